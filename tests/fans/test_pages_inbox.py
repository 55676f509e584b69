"""The inbox pages: the list across the matrix (visibility, filters, constant queries, escaping,
bulk actions), a conversation (replies through the sandbox, refusals on the page, escalation) and
the approval queue."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from fans import ingest, replies, services, tickets
from fans.models import Fan, Interaction, Kind, Reply, ReplyState, Source, State, Tag, Ticket, TicketState
from positioning import services as positioning_services
from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from positioning.weibo import account_client
from team.models import Department

pytestmark = pytest.mark.django_db

CS_UID = "5500000002"  # 鲜牧客服 on the sandbox
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
_ids = itertools.count(1)

LANGUAGE = "en"  # the people these tests sign in have chosen English: the tests read its words


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def make_item(account, text="请问什么时候发货？", *, kind=Kind.COMMENT, fan=None, minutes_ago=5, **fields):
    n = next(_ids)
    fan = fan or Fan.objects.create(uid=f"77{n:06d}", screen_name=f"粉丝{n}", followers_count=n)
    now = timezone.now()
    fields.setdefault("first_response_due", now + timedelta(hours=2))
    return Interaction.objects.create(
        account=account, kind=kind, source=Source.COMMENTS_TO_ME, object_type="comment", platform_id=str(9000 + n),
        fan=fan, text=text, created_at=now - timedelta(minutes=minutes_ago), thread_key=f"s:{8000 + n}",
        status_id=str(8000 + n), status_text="鲜牧的新品上市啦", status_author=account.name, **fields)


def inbox(client, **params):
    return client.get(reverse("fans:inbox"), params, **EN)


# --- the list ------------------------------------------------------------------------------------

def test_the_inbox_lists_only_the_accounts_the_person_may_see(demo, login):
    make_item(demo.accounts["鲜牧客服"], "客服号收到的评论")
    make_item(demo.accounts["鲜牧华东"], "华东号收到的评论")
    page = inbox(login(demo.people["agent"])).content.decode()
    assert "客服号收到的评论" in page and "华东号收到的评论" not in page
    page = inbox(login(demo.people["manager"])).content.decode()
    assert "客服号收到的评论" in page and "华东号收到的评论" in page


def test_filters_narrow_the_list(demo, login):
    cs, brand = demo.accounts["鲜牧客服"], demo.accounts["鲜牧乳业"]
    manager = demo.people["manager"]
    tag = Tag.objects.create(brand=demo.brand, name="配送")
    make_item(cs, "甲：普通评论")
    make_item(brand, "乙：提及", kind=Kind.MENTION)
    make_item(cs, "丙：分给我的", assignee=manager)
    make_item(cs, "子：分给客服", assignee=demo.people["agent"])
    make_item(cs, "丁：已关闭", state=State.CLOSED)
    tagged = make_item(cs, "戊：带标签")
    tagged.tags.add(tag)
    make_item(cs, "己：投诉", is_complaint=True, priority=3)
    make_item(cs, "庚：超时", first_response_due=timezone.now() - timedelta(minutes=5))
    make_item(cs, "辛：快超时", first_response_due=timezone.now() + timedelta(minutes=10))
    resolved = make_item(cs, "壬：已解决未告知", is_complaint=True, loop_pending=True)
    Ticket.objects.create(interaction=resolved, department=Department.objects.get(name="物流部"), summary="补发",
                          deadline=timezone.now(), created_by=manager, state=TicketState.RESOLVED)
    make_item(cs, "癸：已告知", is_complaint=True, loop_closed_at=timezone.now())
    client = login(manager)

    def texts(**params):
        page = inbox(client, **params).content.decode()
        return {t for t in "甲乙丙丁戊己庚辛壬癸子" if f"{t}：" in page}

    assert texts() == set("甲乙丙戊己庚辛壬癸子")  # open by default
    assert texts(account=brand.pk) == {"乙"}
    assert texts(kind=Kind.MENTION) == {"乙"}
    assert texts(assignee="me") == {"丙"}
    assert "丙" not in texts(assignee="none")
    assert texts(assignee=str(demo.people["agent"].pk)) == {"子"}
    assert texts(state="closed") == {"丁"}
    assert "丁" in texts(state="all")
    assert texts(tag=tag.pk) == {"戊"}
    assert texts(q="带标签") == {"戊"}
    assert texts(complaint="on") == {"己", "壬", "癸"}
    assert texts(priority=3) == {"己"}
    assert texts(sla="breached") == {"庚"}
    assert texts(sla="near") == {"辛"}
    assert texts(loop="open") == {"壬"}
    assert texts(loop="closed") == {"癸"}
    assert texts(tag="999999", kind="nonsense") == texts()  # stale values are dropped, not an error


def test_the_counts_and_the_more_link_use_keyset_pages(demo, login, settings):
    cs = demo.accounts["鲜牧客服"]
    for n in range(55):
        make_item(cs, f"第{n:02d}条", minutes_ago=n + 1)
    client = login(demo.people["manager"])
    response = inbox(client)
    page = response.content.decode()
    assert "第00条" in page and "第49条" in page and "第50条" not in page
    assert 'rel="next"' in page and "cursor=" in page
    assert response.context["counts"]["open"] == 55 and response.context["counts"]["unassigned"] == 55
    more = client.get(reverse("fans:inbox") + response.context["next_url"], **EN).content.decode()
    assert "第50条" in more and "第54条" in more and "第49条" not in more and 'rel="next"' not in more


def _crowd(demo, n: int) -> None:
    cs, brand = demo.accounts["鲜牧客服"], demo.accounts["鲜牧乳业"]
    tags = [Tag.objects.create(brand=demo.brand, name=f"标签{n}-{i}") for i in range(2)]
    department = Department.objects.get(name="客户服务部")
    people = [demo.people["agent"], demo.people["operator"], None]
    for i in range(n):
        item = make_item(cs if i % 2 else brand, f"内容{i}", assignee=people[i % 3], is_complaint=bool(i % 2))
        item.tags.add(*tags)
        Ticket.objects.create(interaction=item, department=department, summary="处理", deadline=timezone.now(),
                              created_by=demo.people["manager"])


def test_the_list_runs_the_same_number_of_queries_at_3_and_30_items(demo, login, django_assert_num_queries):
    client = login(demo.people["operator"])
    _crowd(demo, 3)
    inbox(client)  # warm caches (content types, the session)
    with CaptureQueriesContext(connection) as small:
        assert inbox(client).status_code == 200
    _crowd(demo, 27)
    with django_assert_num_queries(len(small.captured_queries)):
        response = inbox(client)
    assert len(response.context["rows"]) == 30


def test_fan_text_is_escaped(demo, login):
    make_item(demo.accounts["鲜牧客服"], '<script>alert("x")</script>好评',
              fan=Fan.objects.create(uid="123", screen_name="<b>坏人</b>"))
    page = inbox(login(demo.people["agent"])).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<b>坏人</b>" not in page and "&lt;b&gt;坏人&lt;/b&gt;" in page
    item = Interaction.objects.get(fan__uid="123")
    page = login(demo.people["agent"]).get(reverse("fans:item", args=[item.pk]), **EN).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_the_page_carries_polling_and_keyboard_help(demo, login):
    page = inbox(login(demo.people["agent"])).content.decode()
    assert 'id="inbox-live"' in page and "every 15s" in page and "inboxMayRefresh" in page
    assert "js/inbox.js" in page and "<kbd>j</kbd>" in page
    client = login(demo.people["agent"])
    fragment = client.get(reverse("fans:inbox"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="inbox-live", **EN)
    body = fragment.content.decode()
    assert "<html" not in body and 'hx-swap-oob="true"' in body and "inbox-table" in body


# --- bulk actions --------------------------------------------------------------------------------

def test_a_bulk_close_refused_on_one_item_closes_none(demo, login):
    agent = demo.people["agent"]
    # The agent may look at 鲜牧乳业 but not answer there.
    positioning_services.account_member_set(account=demo.accounts["鲜牧乳业"], user=agent, actions=set(), by=None)
    ours = make_item(demo.accounts["鲜牧客服"], "客服号")
    theirs = make_item(demo.accounts["鲜牧乳业"], "品牌号")
    client = login(agent)
    response = client.post(reverse("fans:bulk"), {"action": "close", "items": [ours.pk, theirs.pk],
                                                  "next": reverse("fans:inbox")}, follow=True, **EN)
    page = response.content.decode()
    assert "Nothing was changed." in page and "鲜牧乳业" in page and "permission" in page
    assert set(Interaction.objects.values_list("state", flat=True)) == {State.OPEN}


def test_bulk_assign_tag_and_close(demo, login):
    cs = demo.accounts["鲜牧客服"]
    tag = Tag.objects.create(brand=demo.brand, name="配送")
    items = [make_item(cs, f"第{n}条") for n in range(3)]
    ids = [i.pk for i in items]
    client = login(demo.people["operator"])
    client.post(reverse("fans:bulk"), {"action": "assign", "assignee": demo.people["agent"].pk, "items": ids})
    assert set(Interaction.objects.values_list("assignee__username", flat=True)) == {"agent"}
    client.post(reverse("fans:bulk"), {"action": "tag", "tag": tag.pk, "items": ids[:2]})
    assert Interaction.objects.filter(tags=tag).count() == 2
    client.post(reverse("fans:bulk"), {"action": "close", "items": ids[:1]})
    assert list(Interaction.objects.filter(state=State.CLOSED).values_list("pk", flat=True)) == ids[:1]
    response = client.post(reverse("fans:bulk"), {"action": "assign", "assignee": "me", "items": ids}, follow=True,
                           **EN)
    assert "3 items given to" in response.content.decode()


def test_bulk_on_an_item_the_person_cannot_see_is_refused(demo, login):
    hidden = make_item(demo.accounts["鲜牧华东"], "华东")
    response = login(demo.people["agent"]).post(reverse("fans:bulk"), {"action": "close", "items": [hidden.pk]},
                                                follow=True, **EN)
    assert "not in your inbox" in response.content.decode()
    assert Interaction.objects.get().state == State.OPEN


# --- a conversation ------------------------------------------------------------------------------

@pytest.fixture
def cs(demo, weibo):
    account = demo.accounts["鲜牧客服"]
    connect_through_sandbox(account, uid=CS_UID, app_url="http://testserver")
    ingest.account_poll(account_id=account.pk)
    return account


def arrive(weibo, account, text, kind="comment") -> Interaction:
    posted = weibo.admin("POST", "/_sandbox/fan_posts", {"to_uid": int(CS_UID), "text": text, "kind": kind})
    ingest.account_poll(account_id=account.pk)
    platform_id = (posted.get("comment") or posted.get("status"))["idstr"]
    return Interaction.objects.get(account=account, platform_id=platform_id)


def test_an_item_of_an_account_the_person_cannot_see_is_404(demo, login):
    hidden = make_item(demo.accounts["鲜牧华东"], "华东")
    client = login(demo.people["agent"])
    assert client.get(reverse("fans:item", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("fans:reply_check", args=[hidden.pk]), {"text": "x"}).status_code == 404


def test_the_thread_page_shows_the_post_the_fan_and_their_history(demo, login):
    fan = Fan.objects.create(uid="42", screen_name="老顾客", followers_count=12000, verified=True,
                             verified_reason="美食博主", profile_at=timezone.now() - timedelta(days=3),
                             profile_problem="users/show: 20003 用户不存在",
                             score_reasons={"influence": [["followers", {"n": 12000}]]}, influence=49)
    earlier = make_item(demo.accounts["鲜牧乳业"], "上个月的表扬", fan=fan, minutes_ago=60 * 24 * 30)
    item = make_item(demo.accounts["鲜牧客服"], "这次的酸奶坏了", fan=fan)
    page = login(demo.people["operator"]).get(reverse("fans:item", args=[item.pk]), **EN).content.decode()
    assert "鲜牧的新品上市啦" in page and "这次的酸奶坏了" in page
    assert "12000 followers" in page and "美食博主" in page and "42" in page
    assert "users/show: 20003" in page and "3\xa0days" in page
    assert reverse("fans:item", args=[earlier.pk]) in page and "上个月的表扬" in page


def test_a_reply_from_the_page_reaches_the_sandbox(cs, demo, login, weibo):
    item = arrive(weibo, cs, "请问订的鲜奶什么时候送到？")
    client = login(demo.people["agent"])
    assert client.get(reverse("fans:item", args=[item.pk]), **EN).status_code == 200
    response = client.post(reverse("fans:item_reply", args=[item.pk]), {"text": "您好，明早 8 点前送到，请留意。"},
                           **EN)
    assert response.status_code == 302
    reply = Reply.objects.get()
    assert reply.state == ReplyState.QUEUED and reply.rip == "127.0.0.1"
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.SENT
    comments = account_client(account=cs).comments(item.status_id)
    assert any("明早 8 点前送到" in c.text for c in comments.items)
    page = client.get(reverse("fans:item", args=[item.pk]), **EN).content.decode()
    assert "明早 8 点前送到" in page and "Sent" in page


def test_a_too_long_reply_and_a_forbidden_word_are_refused_on_the_page(demo, login):
    item = make_item(demo.accounts["鲜牧客服"], "怎么还没到")
    client = login(demo.people["agent"])
    response = client.post(reverse("fans:item_reply", args=[item.pk]), {"text": "很" * 200}, **EN)
    assert response.status_code == 400 and "140" in response.content.decode()
    response = client.post(reverse("fans:item_reply", args=[item.pk]), {"text": "这不可能，您再看看"}, **EN)
    page = response.content.decode()
    assert response.status_code == 400 and "forbids" in page and "不可能" in page
    assert "这不可能，您再看看" in page  # the text is kept to edit
    assert not Reply.objects.exists()
    check = client.get(reverse("fans:reply_check", args=[item.pk]), {"text": "这不可能"}, HTTP_HX_REQUEST="true",
                       **EN).content.decode()
    assert "forbids" in check and "of 140 Weibo characters" in check


def test_someone_who_may_only_look_cannot_reply(demo, login):
    item = make_item(demo.accounts["鲜牧乳业"], "品牌号的评论")
    client = login(demo.people["reviewer"])  # approves on 鲜牧乳业, does not answer
    page = client.get(reverse("fans:item", args=[item.pk]), **EN).content.decode()
    assert "reply permission" in page and 'id="reply-form"' not in page
    response = client.post(reverse("fans:item_reply", args=[item.pk]), {"text": "您好"}, **EN)
    assert response.status_code == 403 and "permission" in response.content.decode()
    assert not Reply.objects.exists()


def test_a_bare_template_needs_confirming(demo, login):
    from fans.models import ReplyTemplate

    template = ReplyTemplate.objects.create(brand=demo.brand, name="配送延迟",
                                            text="您好，给您带来不便非常抱歉，我们马上核实。")
    item = make_item(demo.accounts["鲜牧客服"], "怎么还没到")
    client = login(demo.people["agent"])
    page = client.get(reverse("fans:item", args=[item.pk]), **EN).content.decode()
    assert 'data-text="您好，给您带来不便非常抱歉，我们马上核实。"' in page
    data = {"text": template.text, "template": template.pk}
    response = client.post(reverse("fans:item_reply", args=[item.pk]), data, **EN)
    assert response.status_code == 400 and "confirm that the template alone answers" in response.content.decode()
    assert not Reply.objects.exists()
    response = client.post(reverse("fans:item_reply", args=[item.pk]), {**data, "confirm_boilerplate": "on"}, **EN)
    assert response.status_code == 302 and Reply.objects.get().is_boilerplate


def test_escalation_creates_a_ticket_with_the_weibo_first_deadline(demo, login):
    item = make_item(demo.accounts["鲜牧客服"], "酸奶漏了一地")
    department = Department.objects.get(name="物流部")
    client = login(demo.people["agent"])
    page = client.get(reverse("fans:item", args=[item.pk]), **EN).content.decode()
    assert "物流部 (due in 12 h)" in page
    response = client.post(reverse("fans:item_escalate", args=[item.pk]),
                           {"department": department.pk, "summary": "请补发一箱"}, follow=True, **EN)
    ticket = Ticket.objects.get()
    assert ticket.department == department and ticket.summary == "请补发一箱"
    assert abs((ticket.deadline - timezone.now()) - timedelta(hours=12)) < timedelta(minutes=1)
    page = response.content.decode()
    due = timezone.localtime(ticket.deadline).strftime("%Y-%m-%d %H:%M")
    assert f"Ticket #{ticket.pk} for 物流部" in page and due in page and "请补发一箱" in page
    item.refresh_from_db()
    assert item.is_complaint
    response = client.post(reverse("fans:item_escalate", args=[item.pk]),
                           {"department": department.pk, "summary": "再来一次"}, **EN)
    assert response.status_code == 400 and "already has an open ticket" in response.content.decode()
    assert Ticket.objects.count() == 1
    response = client.post(reverse("fans:item_escalate", args=[item.pk]), {"department": department.pk}, **EN)
    assert response.status_code == 400 and "they do not read Weibo" in response.content.decode()


def test_a_resolved_ticket_prompts_to_tell_the_fan(demo, login):
    item = make_item(demo.accounts["鲜牧客服"], "酸奶漏了", is_complaint=True)
    agent, contact = demo.people["agent"], demo.people["logistics"]
    ticket = tickets.ticket_create(item=item, department=Department.objects.get(name="物流部"), summary="补发",
                                   by=agent)
    tickets.ticket_update(ticket=ticket, by=contact, state=TicketState.RESOLVED, resolution="已补发，明天到")
    client = login(agent)
    page = client.get(reverse("fans:item", args=[item.pk]), **EN).content.decode()
    assert "tell the fan it is resolved" in page and "已补发，明天到" in page
    assert re.search(r'<input type="checkbox" name="closes_loop"[^>]*checked', page)
    client.post(reverse("fans:item_reply", args=[item.pk]), {"text": "已为您补发，明天送到", "closes_loop": "on"})
    assert Reply.objects.get().closes_loop
    # Unticked, the reply does not count as telling the fan (e.g. a question back before the news).
    client.post(reverse("fans:item_reply", args=[item.pk]), {"text": "请问您方便什么时间收货？"})
    assert not Reply.objects.get(text="请问您方便什么时间收货？").closes_loop
    listed = inbox(client, loop="open").content.decode()
    assert "酸奶漏了" in listed and "resolved, fan not told" in listed


def test_assign_tags_priority_close_and_reopen_from_the_thread(demo, login):
    item = make_item(demo.accounts["鲜牧客服"], "问一下")
    tag = Tag.objects.create(brand=demo.brand, name="咨询")
    client = login(demo.people["operator"])
    client.post(reverse("fans:item_assign", args=[item.pk]), {"assignee": demo.people["agent"].pk})
    client.post(reverse("fans:item_tags", args=[item.pk]), {"tags": [tag.pk]})
    client.post(reverse("fans:item_update", args=[item.pk]), {"priority": 3, "is_complaint": "on"})
    item.refresh_from_db()
    assert item.assignee == demo.people["agent"] and list(item.tags.all()) == [tag]
    assert item.priority == 3 and item.is_complaint
    client.post(reverse("fans:item_tags", args=[item.pk]), {})
    assert not item.tags.exists()
    client.post(reverse("fans:item_close", args=[item.pk]))
    item.refresh_from_db()
    assert item.state == State.CLOSED
    client.post(reverse("fans:item_reopen", args=[item.pk]))
    item.refresh_from_db()
    assert item.state == State.OPEN
    # Someone who cannot reply on the account may not be given the item: refused on the page.
    response = client.post(reverse("fans:item_assign", args=[item.pk]), {"assignee": demo.people["reviewer"].pk},
                           **EN)
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.assignee == demo.people["agent"]


def test_reply_outcomes_are_shown_with_their_reason(demo, login):
    item = make_item(demo.accounts["鲜牧客服"], "在吗")
    agent = demo.people["agent"]
    base = {"interaction": item, "account": item.account, "method": "comment_reply", "created_by": agent}
    Reply.objects.create(**base, text="回复甲", state=ReplyState.REJECTED, error="20019: 重复内容")
    Reply.objects.create(**base, text="回复乙", state=ReplyState.RATE_LIMITED,
                         retry_at=timezone.now() + timedelta(minutes=30))
    lost = Reply.objects.create(**base, text="回复丙", state=ReplyState.UNCONFIRMED)
    client = login(agent)
    page = client.get(reverse("fans:item", args=[item.pk]), **EN).content.decode()
    assert "Rejected by Weibo" in page and "20019: 重复内容" in page
    assert "Rate limited: goes out at" in page and "Answer lost" in page
    assert reverse("fans:reply_resend", args=[lost.pk]) in page


# --- approvals -----------------------------------------------------------------------------------

def test_the_approval_queue_approves_and_the_reply_goes_out(cs, demo, login, weibo):
    careful = Tag.objects.create(brand=demo.brand, name="敏感", replies_need_approval=True)
    item = arrive(weibo, cs, "你们是不是用了过期奶？")
    services.items_tag(items=[item], tags=[careful], by=demo.people["manager"])
    agent = login(demo.people["agent"])
    agent.post(reverse("fans:item_reply", args=[item.pk]), {"text": "您好，我们的奶都在保质期内，欢迎私信批号核实。"})
    reply = Reply.objects.get()
    assert reply.state == ReplyState.AWAITING_APPROVAL
    assert "我们的奶都在保质期内" not in agent.get(reverse("fans:approvals"), **EN).content.decode()  # not an approver
    client = login(demo.people["manager"])
    page = client.get(reverse("fans:approvals"), **EN).content.decode()
    assert "我们的奶都在保质期内" in page and reverse("fans:approval_decide", args=[reply.pk]) in page
    response = client.post(reverse("fans:approval_decide", args=[reply.pk]), {"decision": "refuse"}, follow=True,
                           **EN)
    assert "Say why" in response.content.decode()
    reply.refresh_from_db()
    assert reply.state == ReplyState.AWAITING_APPROVAL
    response = client.post(reverse("fans:approval_decide", args=[reply.pk]), {"decision": "approve"}, follow=True,
                           **EN)
    assert "Approved" in response.content.decode()
    reply.refresh_from_db()
    assert reply.state == ReplyState.QUEUED and reply.approved_by == demo.people["manager"]
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.SENT
    assert any("保质期内" in c.text for c in account_client(account=cs).comments(item.status_id).items)


def test_sending_back_needs_a_comment_and_tells_the_author(demo, login):
    careful = Tag.objects.create(brand=demo.brand, name="敏感", replies_need_approval=True)
    item = make_item(demo.accounts["鲜牧客服"], "过期了？")
    item.tags.add(careful)
    reply = replies.reply_create(item=item, text="没有过期哦", by=demo.people["agent"])
    client = login(demo.people["manager"])
    client.post(reverse("fans:approval_decide", args=[reply.pk]), {"decision": "refuse", "comment": "请附批号查询方式"})
    reply.refresh_from_db()
    assert reply.state == ReplyState.REFUSED and reply.error == "请附批号查询方式"
    page = login(demo.people["agent"]).get(reverse("fans:item", args=[item.pk]), **EN).content.decode()
    assert "Not approved" in page and "请附批号查询方式" in page


# --- tags that hold replies for approval -------------------------------------------------------

def test_only_an_approver_takes_off_a_tag_that_holds_replies_and_every_change_is_audited(demo, login):
    from team.models import AuditEvent

    cs = demo.accounts["鲜牧客服"]
    careful = Tag.objects.create(brand=demo.brand, name="敏感", replies_need_approval=True)
    delivery = Tag.objects.create(brand=demo.brand, name="配送")
    item = make_item(cs, "你们是不是用了过期奶？")
    agent = login(demo.people["agent"])  # replies on 鲜牧客服, approves nothing
    agent.post(reverse("fans:item_tags", args=[item.pk]), {"tags": [careful.pk, delivery.pk]})
    assert set(item.tags.values_list("name", flat=True)) == {"敏感", "配送"}
    response = agent.post(reverse("fans:item_tags", args=[item.pk]), {"tags": []}, **EN)
    assert response.status_code == 400
    assert ("Replies to items tagged “敏感” wait for approval; only someone who may approve replies on 鲜牧客服 "
            "removes that tag.") in response.content.decode()
    assert set(item.tags.values_list("name", flat=True)) == {"敏感", "配送"}  # neither came off
    agent.post(reverse("fans:item_tags", args=[item.pk]), {"tags": [careful.pk]})  # any other tag: fine
    manager = login(demo.people["manager"])
    manager.post(reverse("fans:item_tags", args=[item.pk]), {"tags": []}, REMOTE_ADDR="198.51.100.4")
    assert not item.tags.exists()
    events = AuditEvent.objects.filter(object_type="fans.interaction", object_id=str(item.pk)).order_by("pk")
    assert [(e.actor.username, e.action, e.changes, e.account_id) for e in events] == [
        ("agent", "inbox.tag", {"tags": [[], ["敏感", "配送"]]}, cs.pk),
        ("agent", "inbox.untag", {"tags": [["敏感", "配送"], ["敏感"]]}, cs.pk),
        ("manager", "inbox.untag", {"tags": [["敏感"], []]}, cs.pk),
    ]
    assert events.last().ip == "198.51.100.4"


def test_a_private_message_shows_weibos_reply_window(demo, login):
    """The thread page says how long Weibo lets the account answer, and why not once it has closed."""
    from weibo_ops.weibo.models import PushEvent

    account = demo.accounts["鲜牧客服"]
    fan = Fan.objects.create(uid="7712345", screen_name="私信粉丝")
    sent = timezone.now() - timedelta(hours=2)
    item = Interaction.objects.create(account=account, kind=Kind.MESSAGE, source=Source.PUSH, object_type="message",
                                      platform_id="c" * 64, fan=fan, text="奶卡怎么用", created_at=sent,
                                      thread_key=f"dm:{CS_UID}:{fan.uid}")
    PushEvent.objects.create(digest="a" * 64, msg_type="text", sender_id=fan.uid, receiver_id=CS_UID,
                             text="奶卡怎么用", created_at=sent, payload={})
    client = login(demo.people["agent"])
    page = client.get(reverse("fans:item", args=[item.pk]), **EN).content.decode()
    until = timezone.localtime(sent + timedelta(hours=48))
    assert 'id="message-window"' in page and "Replies allowed until" in page
    assert f"{until:%Y}" in page and f"{until:%H:%M}" in page
    PushEvent.objects.create(digest="b" * 64, msg_type="event", subtype="unfollow", sender_id=fan.uid,
                             receiver_id=CS_UID, created_at=timezone.now(), payload={})
    page = client.get(reverse("fans:item", args=[item.pk]), **EN).content.decode()
    assert "The fan unfollowed the account" in page
