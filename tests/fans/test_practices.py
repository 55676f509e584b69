"""The fan practices (issue 15, part 3): the suggestion log and the public thank-you when one is adopted,
gifts and revisits of loyal fans, tip-offs credited to the fan, talking to a cascade's key reposters, and
the follower audit. What calls Weibo runs against the sandbox over real HTTP."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fans import ingest, practices, replies, scoring
from fans.models import (
    FanGift,
    FanRevisit,
    FollowerAudit,
    Interaction,
    Kind,
    ReplyMethod,
    ReplyState,
    Source,
    State,
    Suggestion,
    SuggestionState,
    Tag,
    TipOff,
)
from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from positioning.weibo import account_client
from sentiment.cascades import cascade_poll
from sentiment.models import Cascade, Repost
from team.models import AuditEvent, Notice
from weibo_ops.weibo.types import User as WeiboUser

LANGUAGE = "en"  # the people these tests sign in have chosen English: the tests read its words


# embedded: replies are queued on commit and claimed by conditional updates, as in test_replies
pytestmark = [pytest.mark.embedded, pytest.mark.django_db]

CS_UID = "5500000002"  # 鲜牧客服 on the sandbox
BRAND_UID = "5500000001"  # 鲜牧乳业 on the sandbox
RIP = "203.0.113.7"
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def item_on(account, text: str, *, uid: str = "7100000001", name: str = "铁杆奶粉", n: int = 1,
            kind: str = Kind.COMMENT) -> Interaction:
    """An inbox item stored as ingest stores it (for what needs no Weibo call)."""
    from fans.models import Fan

    fan, _new = Fan.objects.get_or_create(uid=uid, defaults={"screen_name": name})
    return Interaction.objects.create(
        account=account, kind=kind, source=Source.COMMENTS_TO_ME, object_type="comment", platform_id=f"t-{uid}-{n}",
        fan=fan, text=text, created_at=timezone.now(), thread_key=f"status:t{n}", status_id=f"9{n:08d}")


@pytest.fixture
def cs(demo, weibo):
    account = demo.accounts["鲜牧客服"]
    connect_through_sandbox(account, uid=CS_UID, app_url="http://testserver")
    ingest.account_poll(account_id=account.pk)
    return account


def arrive(weibo, account, text, kind="comment") -> Interaction:
    answer = weibo.admin("POST", "/_sandbox/fan_posts", {"to_uid": int(CS_UID), "text": text, "kind": kind})
    platform_id = (answer["status"] if kind == "mention" else answer["comment"])["idstr"]
    ingest.account_poll(account_id=account.pk)
    return Interaction.objects.get(account=account, platform_id=platform_id)


def send(reply):
    replies.reply_send(reply_id=reply.pk)
    reply.refresh_from_db()
    return reply


# --- 1. suggestion log ---------------------------------------------------------------------------

def test_one_click_records_the_items_text_as_the_fans_suggestion_once(demo, login):
    item = item_on(demo.accounts["鲜牧客服"], "建议出个小瓶装，带去上班方便")
    agent = login(demo.people["agent"])
    page = agent.get(reverse("fans:item", args=[item.pk]), **ZH)
    assert reverse("fans:item_suggestion", args=[item.pk]) in page.content.decode()
    answer = agent.post(reverse("fans:item_suggestion", args=[item.pk]), {"area": "包装"}, **ZH)
    assert answer.status_code == 302
    [suggestion] = Suggestion.objects.all()
    assert (suggestion.text, suggestion.area, suggestion.state, suggestion.fan_id, suggestion.brand_id) == (
        "建议出个小瓶装，带去上班方便", "包装", SuggestionState.NEW, item.fan_id, demo.brand.pk)
    assert AuditEvent.objects.filter(action="suggestion.record", actor=demo.people["agent"]).count() == 1
    agent.post(reverse("fans:item_suggestion", args=[item.pk]), {}, **ZH)  # a second click
    assert Suggestion.objects.count() == 1
    log = agent.get(reverse("fans:suggestions"), **ZH).content.decode()
    assert "建议出个小瓶装，带去上班方便" in log and "包装" in log


def test_adopting_a_suggestion_thanks_the_fan_in_public_through_the_reply_service(cs, weibo, demo):
    item = arrive(weibo, cs, "建议酸奶盖子做成能重新盖上的")
    agent = demo.people["agent"]
    suggestion = practices.suggestion_record(item=item, by=agent, area="酸奶包装")
    practices.suggestion_decide(suggestion=suggestion, state=SuggestionState.UNDER_REVIEW, by=agent)
    suggestion = practices.suggestion_decide(suggestion=suggestion, state=SuggestionState.ADOPTED, by=agent,
                                             adopted_what="新批次酸奶改用可重复密封的盖子", rip=RIP)
    reply = suggestion.reply
    assert reply.method == ReplyMethod.COMMENT_REPLY and reply.closes_loop and reply.created_by == agent
    assert reply.text == "感谢您的建议！我们已经采纳：新批次酸奶改用可重复密封的盖子。"
    assert send(reply).state == ReplyState.SENT
    under = account_client(account=cs).comments(item.status_id, count=200).items
    assert [c.text for c in under if c.id == reply.platform_id] == [f"回复@{item.fan.screen_name}:{reply.text}"]
    item.refresh_from_db()
    assert item.loop_closed_at == reply.sent_at
    assert suggestion.decided_by == agent and suggestion.state == SuggestionState.ADOPTED
    assert AuditEvent.objects.filter(action="suggestion.decide", object_id=str(suggestion.pk)).count() == 2


def test_the_thank_you_waits_for_approval_where_replies_need_it(demo):
    item = item_on(demo.accounts["鲜牧客服"], "建议增加晚间配送时段")
    item.tags.add(Tag.objects.create(brand=demo.brand, name="公关审核", replies_need_approval=True))
    suggestion = practices.suggestion_record(item=item, by=demo.people["agent"])
    suggestion = practices.suggestion_decide(suggestion=suggestion, state=SuggestionState.ADOPTED,
                                             by=demo.people["agent"], adopted_what="晚间 18-21 点配送", rip=RIP)
    assert suggestion.reply.state == ReplyState.AWAITING_APPROVAL
    assert Notice.objects.filter(kind="reply_approval").exists()


def test_suggestion_api_field_errors_and_permissions(demo, api):
    item = item_on(demo.accounts["鲜牧乳业"], "建议出无糖版本")
    url = "/api/v1/fans/suggestions/"
    refused = api(demo.people["reviewer"]).post(url, {"item": item.pk}, format="json")
    assert refused.status_code == 403  # sees 鲜牧乳业, may not reply on it
    unseen = api(demo.people["logistics"]).post(url, {"item": item.pk}, format="json")
    assert unseen.status_code == 400 and "item" in unseen.json()
    operator = api(demo.people["operator"])
    made = operator.post(url, {"item": item.pk, "area": "口味"}, format="json")
    assert made.status_code == 201 and made.json()["state"] == "new" and made.json()["text"] == "建议出无糖版本"
    decide = f"/api/v1/fans/suggestions/{made.json()['id']}/decide/"
    missing = operator.post(decide, {"state": "adopted"}, format="json")
    assert missing.status_code == 400 and list(missing.json()) == ["adopted_what"]
    bad = operator.post(decide, {"state": "maybe"}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["state"]
    assert operator.post(decide, {"state": "declined", "note": "暂不考虑"}, format="json").status_code == 200
    again = operator.post(decide, {"state": "under_review"}, format="json")
    assert again.status_code == 400 and list(again.json()) == ["state"]
    assert Suggestion.objects.get().state == SuggestionState.DECLINED
    assert operator.get(url + "?state=nope").status_code == 400


# --- 2. gifts and revisits -----------------------------------------------------------------------

def test_a_gift_is_recorded_on_the_fan_page_and_listed(demo, login):
    item = item_on(demo.accounts["鲜牧乳业"], "每天早餐都是鲜牧！")
    operator = login(demo.people["operator"])
    day = timezone.localdate() - timedelta(days=1)
    answer = operator.post(reverse("fans:fan", args=[item.fan_id]), {
        "form": "gift", "what": "新品礼盒", "given_on": day.isoformat(), "reason": "三个月坚持分享", "cost": "88.50"},
        **ZH)
    assert answer.status_code == 302
    gift = FanGift.objects.get()
    assert (gift.what, gift.given_on, gift.reason, str(gift.cost), gift.given_by, gift.brand) == (
        "新品礼盒", day, "三个月坚持分享", "88.50", demo.people["operator"], demo.brand)
    assert "新品礼盒" in operator.get(reverse("fans:fan", args=[item.fan_id]), **ZH).content.decode()
    assert "新品礼盒" in operator.get(reverse("fans:care"), **ZH).content.decode()
    bad = operator.post(reverse("fans:fan", args=[item.fan_id]), {"form": "gift", "what": "x", "cost": "-1"}, **ZH)
    assert bad.status_code == 400 and FanGift.objects.count() == 1


def test_gift_api_field_errors_and_permissions(demo, api):
    item = item_on(demo.accounts["鲜牧客服"], "谢谢客服小姐姐")
    url = "/api/v1/fans/gifts/"
    body = {"fan": item.fan_id, "what": "会员月卡", "given_on": timezone.localdate().isoformat(),
            "reason": "帮忙澄清谣言", "cost": "30"}
    assert api(demo.people["logistics"]).post(url, body, format="json").status_code == 400  # the fan is unseen
    agent = api(demo.people["agent"])
    wrong = agent.post(url, {**body, "cost": "-5", "given_on": "tomorrow"}, format="json")
    assert wrong.status_code == 400 and set(wrong.json()) == {"cost", "given_on"}
    future = agent.post(url, {**body, "given_on": (timezone.localdate() + timedelta(days=2)).isoformat()},
                        format="json")
    assert future.status_code == 400 and list(future.json()) == ["given_on"]
    made = agent.post(url, body, format="json")
    assert made.status_code == 201 and made.json()["cost"] == "30.00"
    # The reviewer sees 鲜牧乳业 only; this fan wrote to 鲜牧客服.
    assert api(demo.people["reviewer"]).get(url).json()["results"] == []


def test_revisits_come_due_and_the_assignee_is_told_once_per_due_date(demo, api, login):
    item = item_on(demo.accounts["鲜牧客服"], "上次的问题解决了，谢谢！")
    agent = api(demo.people["agent"])
    url = "/api/v1/fans/revisits/"
    bad = agent.post(url, {"fan": item.fan_id, "every_days": 0, "assignee": demo.people["reviewer"].pk},
                     format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["every_days"]
    wrong_person = agent.post(url, {"fan": item.fan_id, "every_days": 7, "assignee": demo.people["reviewer"].pk},
                              format="json")
    assert wrong_person.status_code == 400 and list(wrong_person.json()) == ["assignee"]
    made = agent.post(url, {"fan": item.fan_id, "every_days": 7, "assignee": demo.people["agent"].pk}, format="json")
    assert made.status_code == 201 and made.json()["next_due"] == (timezone.localdate() + timedelta(days=7)).isoformat()
    assert agent.get(url + "?due=true").json()["results"] == []
    FanRevisit.objects.update(next_due=timezone.localdate())
    assert [r["id"] for r in agent.get(url + "?due=true").json()["results"]] == [made.json()["id"]]
    assert practices.revisits_notify_due() == 1
    assert practices.revisits_notify_due() == 0  # the beat runs hourly: one notice per due date
    [notice] = Notice.objects.filter(kind="fan_revisit")
    assert notice.recipient == demo.people["agent"] and notice.url == reverse("fans:fan", args=[item.fan_id])
    page = login(demo.people["agent"]).get(reverse("fans:care"), **ZH).content.decode()
    assert reverse("fans:revisit_done", args=[made.json()["id"]]) in page
    done = agent.post(f"/api/v1/fans/revisits/{made.json()['id']}/done/", {"note": "回访：很满意"},
                      format="json")
    assert done.json()["next_due"] == (timezone.localdate() + timedelta(days=7)).isoformat()
    assert done.json()["last_note"] == "回访：很满意"


def test_the_revisit_beat_is_scheduled(settings):
    from fans.tasks import REVISITS_TASK

    assert settings.CELERY_BEAT_SCHEDULE["fans-revisits"]["task"] == REVISITS_TASK


# --- 3. tip-offs ---------------------------------------------------------------------------------

def test_a_tip_off_is_credited_on_the_profile_and_raises_loyalty(demo, login):
    item = item_on(demo.accounts["鲜牧客服"], "你们看下这条，有人造谣说喝了拉肚子")
    scoring.fans_rescore(fan_ids=[item.fan_id])
    item.fan.refresh_from_db()
    before = item.fan.loyalty
    agent = login(demo.people["agent"])
    bad = agent.post(reverse("fans:item_tipoff", args=[item.pk]), {"url": "not a link"}, **ZH)
    assert bad.status_code == 302 and not TipOff.objects.exists()
    agent.post(reverse("fans:item_tipoff", args=[item.pk]), {"url": "https://weibo.com/1234567890/Neg1"}, **ZH)
    tipoff = TipOff.objects.get()
    assert tipoff.fan_id == item.fan_id and tipoff.url == "https://weibo.com/1234567890/Neg1"
    item.fan.refresh_from_db()
    assert item.fan.tipoffs_count == 1 and item.fan.loyalty == before + scoring.TIPOFF_WEIGHT
    assert ["tipoffs", {"n": 1}] in item.fan.score_reasons["loyalty"]
    page = agent.get(reverse("fans:fan", args=[item.fan_id]), **ZH).content.decode()
    assert "https://weibo.com/1234567890/Neg1" in page


def test_tip_off_api_field_errors_and_permissions(demo, api):
    item = item_on(demo.accounts["鲜牧乳业"], "这条黑稿你们看看")
    url = "/api/v1/fans/tipoffs/"
    assert api(demo.people["reviewer"]).post(url, {"item": item.pk, "url": "https://weibo.com/1/2"},
                                             format="json").status_code == 403
    bad = api(demo.people["operator"]).post(url, {"item": item.pk, "url": "javascript:alert(1)"}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["url"]
    made = api(demo.people["operator"]).post(url, {"item": item.pk, "url": "https://weibo.com/1/2"}, format="json")
    assert made.status_code == 201
    fan = api(demo.people["operator"]).get(f"/api/v1/fans/fans/{item.fan_id}/").json()
    assert fan["tipoffs_count"] == 1


# --- 4. talk to the key node ---------------------------------------------------------------------

@pytest.fixture
def kol_cascade(demo, weibo):
    account = demo.accounts["鲜牧乳业"]
    connect_through_sandbox(account, uid=BRAND_UID, app_url="http://testserver")
    run = weibo.admin("POST", "/_sandbox/scenarios/kol_cascade", {"account": int(BRAND_UID), "instant": True,
                                                                   "size": 60, "seed": 7})
    now = timezone.now()
    cascade = Cascade.objects.create(brand=demo.brand, root_id=run["root"], root_author="鲜牧乳业",
                                     root_uid=BRAND_UID, next_poll_at=now, watch_until=now + timedelta(hours=1))
    cascade_poll(cascade_id=cascade.pk)
    cascade.refresh_from_db()
    return cascade, cascade.stats["key_nodes"][0], account


def test_a_key_reposter_is_answered_from_the_cascade_page_under_their_repost(kol_cascade, demo, login):
    cascade, kol, account = kol_cascade
    manager = login(demo.people["manager"])
    page = manager.get(reverse("sentiment:cascade", args=[cascade.pk]), **ZH).content.decode()
    action = reverse("fans:key_node_reply", args=[cascade.pk, kol["mid"]])
    assert action in page
    text = "谢谢您的转发和分享，新品体验装已经为您准备好啦！"
    answer = manager.post(action, {"account": account.pk, "text": text}, REMOTE_ADDR=RIP, **ZH)
    assert answer.status_code == 302
    item = Interaction.objects.get(account=account, platform_id=kol["mid"])
    assert (item.kind, item.fan.uid, item.state, item.needs_answer) == (Kind.REPOST, kol["uid"], State.CLOSED, False)
    [reply] = item.replies.all()
    assert reply.method == ReplyMethod.COMMENT and reply.state == ReplyState.QUEUED and reply.rip == RIP
    assert send(reply).state == ReplyState.SENT
    under = account_client(account=account).comments(kol["mid"], count=200).items
    assert [c.text for c in under if c.id == reply.platform_id] == [text]
    # A repost nobody reposted further is not a key node; a reviewer (no reply right) sees no form.
    leaf = Repost.objects.filter(cascade=cascade).exclude(
        platform_id__in=Repost.objects.filter(cascade=cascade).values("parent_id")).first()
    refused = manager.post(reverse("fans:key_node_reply", args=[cascade.pk, leaf.platform_id]),
                           {"account": account.pk, "text": text})
    assert refused.status_code == 404
    reviewer_page = login(demo.people["reviewer"]).get(reverse("sentiment:cascade", args=[cascade.pk]), **ZH)
    assert reviewer_page.status_code == 200 and action not in reviewer_page.content.decode()


def test_key_node_api_applies_the_reply_rules(kol_cascade, demo, api):
    cascade, kol, account = kol_cascade
    url = "/api/v1/fans/key-node-replies/"
    body = {"cascade": cascade.pk, "mid": kol["mid"], "account": account.pk, "text": "感谢转发！"}
    assert api(demo.people["reviewer"]).post(url, body, format="json").status_code == 403
    not_key = api(demo.people["manager"]).post(url, {**body, "mid": "1"}, format="json")
    assert not_key.status_code == 400 and list(not_key.json()) == ["mid"]
    too_long = api(demo.people["manager"]).post(url, {**body, "text": "好" * 141}, format="json")
    assert too_long.status_code == 400 and list(too_long.json()) == ["text"]
    made = api(demo.people["manager"]).post(url, body, format="json", REMOTE_ADDR=RIP)
    assert made.status_code == 201 and made.json()["state"] == ReplyState.QUEUED
    twice = api(demo.people["manager"]).post(url, body, format="json", REMOTE_ADDR=RIP)
    assert twice.status_code == 400 and list(twice.json()) == ["text"]  # the same comment goes out once


# --- 5. follower audit ---------------------------------------------------------------------------

def sandbox_followers(box) -> list[WeiboUser]:
    token, out, cursor = box.authorize(BRAND_UID), [], 0
    while True:
        page = box.http.get("/2/friendships/followers.json", params={"uid": BRAND_UID, "count": 200,
                                                                     "cursor": cursor},
                            headers={"Authorization": f"OAuth2 {token}"}).json()
        out += [WeiboUser.parse(u) for u in page["users"]]
        cursor = page["next_cursor"]
        if not cursor:
            return out


def test_the_follower_audit_lists_the_zombie_followers_with_reasons_and_a_csv(demo, weibo, api, login):
    account = demo.accounts["鲜牧乳业"]
    connect_through_sandbox(account, uid=BRAND_UID, app_url="http://testserver")
    followers = sandbox_followers(weibo)
    now = timezone.now()
    expected = {}
    for user in followers:
        from fans.models import Fan

        probe = Fan(uid=user.id)
        ingest._apply_profile(probe, user, now)
        if scoring.profile_score(probe, now=now).zombie >= scoring.ZOMBIE_THRESHOLD:
            expected[user.id] = user.screen_name
    assert expected and len(expected) < len(followers)
    url = "/api/v1/fans/follower-audits/"
    assert api(demo.people["operator"]).post(url, {"account": account.pk}, format="json").status_code == 403
    bad = api(demo.people["manager"]).post(url, {"account": account.pk, "pages": 0}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["pages"]
    made = api(demo.people["manager"]).post(url, {"account": account.pk, "pages": 10}, format="json")
    assert made.status_code == 201
    audit = made.json()
    assert audit["read"] == min(len(followers), 2000) and audit["problem"] == ""
    assert {r["uid"]: r["screen_name"] for r in audit["rows"]} == expected
    assert all(r["reasons"] and r["zombie"] >= scoring.ZOMBIE_THRESHOLD for r in audit["rows"])
    assert "cannot remove a follower" in audit["removal"]
    manager = login(demo.people["manager"])
    page = manager.get(reverse("fans:follower_audit", args=[audit["id"]]), **ZH).content.decode()
    assert reverse("fans:follower_audit_csv", args=[audit["id"]]) in page
    exported = manager.get(reverse("fans:follower_audit_csv", args=[audit["id"]]), **ZH)
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == len(expected) + 1 and {r[0] for r in rows[1:]} == set(expected)


def test_a_rate_limited_follower_read_keeps_what_it_read_and_says_why(demo, weibo):
    account = demo.accounts["鲜牧乳业"]
    connect_through_sandbox(account, uid=BRAND_UID, app_url="http://testserver")
    weibo.admin("POST", "/_sandbox/faults", {"once": [{"kind": "code", "code": 10023,
                                                      "path": "/2/friendships/followers.json"}]})
    audit = practices.follower_audit_run(account=account, by=demo.people["manager"], pages=2)
    assert audit.read == 0 and audit.problem and FollowerAudit.objects.get() == audit


# --- demo ----------------------------------------------------------------------------------------

def test_the_demo_shows_every_practice_after_make_run(demo, login):
    call_command("seed_demo_fans", stdout=io.StringIO())
    call_command("seed_demo_fans", stdout=io.StringIO())  # a second run adds nothing
    assert sorted(Suggestion.objects.values_list("state", flat=True)) == ["declined", "new", "under_review"]
    assert FanGift.objects.count() == 1 and FanRevisit.objects.count() == 2 and TipOff.objects.count() == 1
    assert FollowerAudit.objects.get().rows.count() == 3
    manager = login(demo.people["manager"])
    for name in ("fans:suggestions", "fans:care", "fans:follower_audits"):
        assert manager.get(reverse(name), **ZH).status_code == 200
    due = manager.get(reverse("fans:care"), **ZH).content.decode()
    assert "奶香小太阳" in due


def test_the_practice_lists_cost_the_same_queries_for_one_row_or_many(demo, login, django_assert_max_num_queries):
    account = demo.accounts["鲜牧客服"]
    agent = demo.people["agent"]
    for n in range(1, 13):
        item = item_on(account, f"建议 {n}", uid=f"71000001{n:02d}", name=f"粉丝{n}", n=n)
        practices.suggestion_record(item=item, by=agent)
        practices.gift_record(fan=item.fan, by=agent, what="礼盒", given_on=timezone.localdate(), reason="感谢",
                              cost=10)
        practices.revisit_set(fan=item.fan, by=agent, every_days=n, assignee=agent)
    page = login(agent)
    for name in ("fans:suggestions", "fans:care"):
        with django_assert_max_num_queries(14):
            assert page.get(reverse(name), **ZH).status_code == 200


def test_only_people_who_may_answer_the_fan_see_the_decide_form(demo, login):
    item = item_on(demo.accounts["鲜牧乳业"], "建议开通周末配送")
    suggestion = practices.suggestion_record(item=item, by=demo.people["operator"])
    action = reverse("fans:suggestion_decide", args=[suggestion.pk])
    reviewer = login(demo.people["reviewer"])  # sees 鲜牧乳业, may not reply on it
    page = reviewer.get(reverse("fans:suggestions"), **ZH).content.decode()
    assert "建议开通周末配送" in page and action not in page
    assert reviewer.post(action, {"state": "declined"}, **ZH).status_code == 403
    assert Suggestion.objects.get().state == SuggestionState.NEW
    operator = login(demo.people["operator"])
    assert action in operator.get(reverse("fans:suggestions"), **ZH).content.decode()
    failed = operator.post(action, {"state": "adopted"}, **ZH)
    assert failed.status_code == 400 and 'id="id_adopted_what_error"' in failed.content.decode()
    assert Suggestion.objects.get().state == SuggestionState.NEW
