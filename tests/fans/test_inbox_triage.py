"""Inbox triage (issue 15, §2): unanswered items stand out, the list can be ordered by deadline (page
and API, keyset pages included), the same complaint text is marked alike however it arrives, "投诉"
shows once on a row, the filters fold away on narrow screens, the reply box has a skip link, and the
escalation deadline has one definition that the playbook and the desks both show."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fans import ingest, selectors, services
from fans.models import Fan, Interaction, Kind, RoutingRule, Source, Tag
from positioning.models import Account
from team.models import Department

LANGUAGE = "en"  # the people these tests sign in have chosen English: the tests read its words


pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
API = "/api/v1/fans"
_ids = itertools.count(1)


def make_item(account, text="请问什么时候发货？", *, kind=Kind.COMMENT, due_in: timedelta | None = timedelta(hours=2),
              minutes_ago=5, **fields) -> Interaction:
    n = next(_ids)
    fan = Fan.objects.create(uid=f"66{n:06d}", screen_name=f"粉丝{n}")
    now = timezone.now()
    return Interaction.objects.create(
        account=account, kind=kind, source=Source.COMMENTS_TO_ME, object_type="comment", platform_id=str(7000 + n),
        fan=fan, text=text, created_at=now - timedelta(minutes=minutes_ago), thread_key=f"s:{6000 + n}",
        first_response_due=None if due_in is None else now + due_in, **fields)


def rows(page: str) -> list[int]:
    """The item ids of the inbox rows, in the order shown."""
    return [int(pk) for pk in re.findall(r'<tr class="inbox-row[^"]*" data-item="(\d+)"', page)]


def row_html(page: str, item: Interaction) -> str:
    match = re.search(rf'<tr class="inbox-row[^"]*" data-item="{item.pk}">.*?</tr>', page, re.S)
    assert match, f"no row for item {item.pk}"
    return match.group(0)


# --- unanswered items ----------------------------------------------------------------------------

def test_an_unanswered_mention_is_marked_in_words_and_style_and_an_answered_item_is_not(demo, login):
    cs = demo.accounts["鲜牧客服"]
    mention = make_item(cs, "@鲜牧客服 你们的酸奶什么时候上新", kind=Kind.MENTION)
    answered = make_item(cs, "谢谢回复", first_response_at=timezone.now())
    page = login(demo.people["manager"]).get(reverse("fans:inbox"), **EN).content.decode()
    waiting_row, answered_row = row_html(page, mention), row_html(page, answered)
    assert 'class="inbox-row sla-ok unanswered"' in waiting_row
    assert '<span class="tag unanswered">Not answered yet</span>' in waiting_row
    assert "unanswered" not in answered_row and "Not answered yet" not in answered_row


# --- deadline first ------------------------------------------------------------------------------

def _deadline_set(cs: Account) -> dict[str, Interaction]:
    return {
        "later": make_item(cs, "三小时后到期", due_in=timedelta(hours=3), minutes_ago=1),
        "none_old": make_item(cs, "没有期限·旧", kind=Kind.FOLLOW, due_in=None, minutes_ago=50),
        "overdue": make_item(cs, "已超时", due_in=timedelta(hours=-1), minutes_ago=40),
        "soon": make_item(cs, "一小时后到期", due_in=timedelta(hours=1), minutes_ago=2),
        "none_new": make_item(cs, "没有期限·新", kind=Kind.FOLLOW, due_in=None, minutes_ago=3),
    }


def test_deadline_first_orders_by_the_first_answer_due_with_items_without_one_last(demo, login):
    items = _deadline_set(demo.accounts["鲜牧客服"])
    client = login(demo.people["manager"])
    expected = [items[k].pk for k in ("overdue", "soon", "later", "none_old", "none_new")]
    page = client.get(reverse("fans:inbox"), {"ordering": "deadline"}, **EN).content.decode()
    assert rows(page) == expected
    # Remembered in the URL: the order is chosen in the filters, and the tabs keep it.
    assert '<option value="deadline" selected>Deadline first</option>' in page
    assert 'href="?sla=breached&amp;ordering=deadline"' in page
    newest = client.get(reverse("fans:inbox"), **EN).content.decode()
    assert rows(newest) == [items[k].pk for k in ("later", "soon", "none_new", "overdue", "none_old")]
    assert "ordering=deadline" not in newest


def test_deadline_first_keyset_pages_cover_every_item_once_across_the_items_without_a_deadline(demo):
    items = _deadline_set(demo.accounts["鲜牧客服"])
    filters = selectors.InboxFilters(ordering=selectors.DEADLINE)
    seen, cursor, cursors = [], "", []
    while True:
        page = selectors.inbox_page(user=demo.people["manager"], filters=filters, cursor=cursor, limit=2)
        seen += [item.pk for item in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
        cursors.append(cursor)
    assert seen == [items[k].pk for k in ("overdue", "soon", "later", "none_old", "none_new")]
    assert cursors[-1] == f"-.{items['none_old'].pk}"  # a position among the items without a deadline


def test_the_page_follows_its_next_link_in_deadline_order(demo, login):
    cs = demo.accounts["鲜牧客服"]
    items = _deadline_set(cs)
    fan = Fan.objects.create(uid="6699999999", screen_name="常客")
    now = timezone.now()
    # A full page of items due after the set's dated ones, all newer than the rest.
    Interaction.objects.bulk_create([Interaction(
        account=cs, kind=Kind.COMMENT, source=Source.COMMENTS_TO_ME, object_type="comment", platform_id=f"p{n}",
        fan=fan, text=f"第{n}条", created_at=now, thread_key=f"s:p{n}",
        first_response_due=now + timedelta(hours=4, minutes=n),
    ) for n in range(selectors.INBOX_PAGE)])
    client = login(demo.people["manager"])
    page = client.get(reverse("fans:inbox"), {"ordering": "deadline"}, **EN).content.decode()
    shown = rows(page)
    assert len(shown) == selectors.INBOX_PAGE and shown[:3] == [items[k].pk for k in ("overdue", "soon", "later")]
    link = re.search(r'<a href="([^"]+)" rel="next">', page).group(1).replace("&amp;", "&")
    assert "ordering=deadline" in link and "cursor=" in link
    second = client.get(reverse("fans:inbox") + link, **EN).content.decode()
    assert rows(second)[-2:] == [items["none_old"].pk, items["none_new"].pk] and len(rows(second)) == 5
    assert not set(rows(second)) & set(shown)


def test_the_api_orders_by_deadline_and_pages_through_next(demo, api):
    items = _deadline_set(demo.accounts["鲜牧客服"])
    client = api(demo.people["manager"])
    seen, url, query = [], f"{API}/items/", {"ordering": "deadline", "page_size": 2}
    while url:
        answer = client.get(url, query)
        assert answer.status_code == 200, answer.data
        seen += [row["id"] for row in answer.data["results"]]
        url, query = answer.data["next"], None
    assert seen == [items[k].pk for k in ("overdue", "soon", "later", "none_old", "none_new")]
    bad = client.get(f"{API}/items/", {"ordering": "oldest", "cursor": "-.x"})
    assert bad.status_code == 400
    assert set(bad.data) == {"ordering", "cursor"}


# --- the same complaint, marked alike ----------------------------------------------------------

COMPLAINT = "鲜牧纯牛奶订了月卡，这周已经三天没送了，奶箱空空的"


def _arrive(account: Account, text: str, *, kind: str, n: int) -> Interaction:
    """An item as polling stores it (routing included), from a comment or from an @ that reposts."""
    source, object_type = ((Source.MENTIONS, "status") if kind == Kind.MENTION else (Source.COMMENTS_TO_ME, "comment"))
    incoming = ingest.Incoming(kind=kind, source=source, object_type=object_type, platform_id=f"49000{n:06d}",
                               user=None, uid=f"58{n:08d}", text=text, created_at=timezone.now(),
                               thread_key=f"s:{n}")
    (item,) = ingest.items_store(account=account, incoming=[incoming])
    return Interaction.objects.prefetch_related("tags").get(pk=item.pk)


@pytest.mark.parametrize("account_name", ["鲜牧客服", "鲜牧乳业", "鲜牧华东"])
def test_the_same_complaint_is_marked_and_tagged_alike_as_a_comment_and_as_a_mention(demo, account_name):
    call_command("seed_demo_fans")
    account = demo.accounts[account_name]
    comment = _arrive(account, COMPLAINT, kind=Kind.COMMENT, n=1)
    mention = _arrive(account, f"@{account_name} {COMPLAINT}//@路人甲:转发微博", kind=Kind.MENTION, n=2)
    for item in (comment, mention):
        assert (item.is_complaint, [t.name for t in item.tags.all()]) == (True, ["投诉"]), item.kind


def test_a_complaint_is_marked_whichever_rule_comes_first(demo):
    call_command("seed_demo_fans")
    # A manager puts a rule for everyone on the main account above the complaint rules.
    services.rule_create(brand=demo.brand, by=demo.people["manager"], name="主号全部给运营", position=1,
                         accounts=[demo.accounts["鲜牧乳业"]], assign_to=demo.people["operator"])
    assert RoutingRule.objects.filter(brand=demo.brand).order_by("position").first().name == "主号全部给运营"
    item = _arrive(demo.accounts["鲜牧乳业"], COMPLAINT, kind=Kind.COMMENT, n=3)
    assert (item.is_complaint, item.routed_by.name) == (True, "主号全部给运营")
    praise = _arrive(demo.accounts["鲜牧乳业"], "@投诉小助手 鲜牧纯牛奶好喝，会一直回购的", kind=Kind.COMMENT, n=4)
    assert praise.is_complaint is False  # an @name is not what the fan says


# --- "投诉" once on a row ---------------------------------------------------------------------------

def test_a_complaint_with_the_complaint_tag_says_it_once(demo, login):
    cs = demo.accounts["鲜牧客服"]
    complaint_tag = Tag.objects.create(brand=demo.brand, name="投诉")
    delivery = Tag.objects.create(brand=demo.brand, name="配送")
    item = make_item(cs, "三天没送了", is_complaint=True)
    item.tags.add(complaint_tag, delivery)
    client = login(demo.people["manager"])
    row = row_html(client.get(reverse("fans:inbox"), **ZH).content.decode(), item)
    flags = re.search(r'<div class="flags">(.*?)</div>', row, re.S).group(1)
    assert flags.count("投诉") == 1 and flags.count("配送") == 1
    status = re.search(r'<p class="item-status">(.*?)</p>', client.get(reverse("fans:item", args=[item.pk]), **ZH)
                       .content.decode(), re.S).group(1)
    assert status.count("投诉") == 1 and status.count("配送") == 1
    # A tag named so on an item not marked as a complaint is still shown: it is the only "投诉" there.
    tagged_only = make_item(cs, "标签而已")
    tagged_only.tags.add(complaint_tag)
    row = row_html(client.get(reverse("fans:inbox"), **ZH).content.decode(), tagged_only)
    assert re.search(r'<div class="flags">(.*?)</div>', row, re.S).group(1).count("投诉") == 1


# --- the ticket column, the filters, the reply box -----------------------------------------------

def test_the_ticket_column_keeps_department_and_state_whole(demo, login):
    from fans.models import Ticket

    item = make_item(demo.accounts["鲜牧客服"], "破损了")
    Ticket.objects.create(interaction=item, department=Department.objects.get(name="物流部"), summary="补发",
                          deadline=timezone.now() + timedelta(hours=12), created_by=demo.people["manager"])
    row = row_html(login(demo.people["manager"]).get(reverse("fans:inbox"), **EN).content.decode(), item)
    assert '<td class="small ticket"><span class="nowrap">物流部:</span> <span class="nowrap">New</span>' in row


def test_the_filters_are_a_disclosure_that_folds_on_narrow_screens_until_some_are_chosen(demo, login):
    client = login(demo.people["manager"])
    page = client.get(reverse("fans:inbox"), **EN).content.decode()
    assert re.search(r'<details class="inbox-filters-disclosure" id="inbox-filters-disclosure" open '
                     r'data-collapse-narrow="true">\s*<summary>Filters and order</summary>', page)
    chosen = client.get(reverse("fans:inbox"), {"kind": "mention"}, **EN).content.decode()
    assert '<details class="inbox-filters-disclosure" id="inbox-filters-disclosure" open>' in chosen
    ordered = client.get(reverse("fans:inbox"), {"ordering": "deadline"}, **EN).content.decode()
    assert 'data-collapse-narrow="true"' in ordered  # the order alone narrows nothing


def test_the_item_page_opens_with_a_skip_link_to_the_reply_box(demo, login):
    item = make_item(demo.accounts["鲜牧客服"])
    page = login(demo.people["agent"]).get(reverse("fans:item", args=[item.pk]), **EN).content.decode()
    skip = page.index('<a class="skip" href="#id_text">Skip to the reply</a>')
    assert page.index('<a class="skip" href="#main">') < skip < page.index('<header class="top">')
    assert '<textarea name="text"' in page and 'id="id_text"' in page
    reader = login(demo.people["pr"]).get(reverse("fans:item", args=[item.pk]), **EN).content.decode()
    assert "Skip to the reply" not in reader or 'id="id_text"' in reader  # no link to a box that is not there


# --- one escalation deadline ----------------------------------------------------------------------

def _playbook(client, demo) -> str:
    return client.get(reverse("positioning:account", args=[demo.accounts["鲜牧客服"].pk]), **EN).content.decode()


def _desks(client) -> str:
    return client.get(reverse("fans:desks"), **EN).content.decode()


def _desk_hours(page: str, department: str) -> int:
    return int(re.search(rf"{department}</a>.*?</td>\s*<td>\d+ h</td>\s*<td>(\d+) h</td>", page, re.S).group(1))


def test_the_playbook_and_the_desks_show_one_escalation_deadline(demo, login):
    call_command("seed_demo_fans")
    manager = demo.people["manager"]
    client = login(manager)
    playbook, desks = _playbook(client, demo), _desks(client)
    assert _desk_hours(desks, "物流部") == 12
    assert "物流部: 12 h" in playbook and "24 小时" not in playbook
    logistics = Department.objects.get(name="物流部")
    services.desk_set(department=logistics, by=manager, normal_hours=48, weibo_first_hours=6)
    playbook, desks = _playbook(client, demo), _desks(client)
    assert _desk_hours(desks, "物流部") == 6 and "物流部: 6 h" in playbook
    contact = next(u for u in demo.people.values() if u.department_id == logistics.pk and u.role == "dept_contact")
    desk = login(contact).get(reverse("fans:desk"), **EN).content.decode()
    assert "物流部 answers a complaint from Weibo within 6 h of receiving it (Weibo first)." in desk
