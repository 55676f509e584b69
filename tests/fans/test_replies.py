"""Replies from the inbox against the sandbox over real HTTP: each lands once, through every fault, and
every refusal says why."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fans import ingest, replies, services, tickets
from fans.models import Interaction, Kind, Reply, ReplyMethod, ReplyState, ReplyTemplate
from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from positioning.models import ConnectionState, WeiboConnection
from positioning.services import playbook_publish
from positioning.weibo import account_client
from team.models import Department, Notice
from weibo_ops.weibo.errors import WeiboError
from weibo_ops.weibo.models import PushEvent

# embedded: exactly-once replies: row locks and on-commit queuing
pytestmark = [pytest.mark.embedded, pytest.mark.django_db]

CS_UID = "5500000002"  # 鲜牧客服 on the sandbox
RIP = "203.0.113.7"


@pytest.fixture
def cs(demo, weibo):
    account = demo.accounts["鲜牧客服"]
    connect_through_sandbox(account, uid=CS_UID, app_url="http://testserver")
    ingest.account_poll(account_id=account.pk)  # the seeded backlog arrives as closed history
    return account


def arrive(weibo, account, text, kind="mention") -> Interaction:
    """A fan writes to 鲜牧客服 on the sandbox; one poll brings it into the inbox."""
    answer = weibo.admin("POST", "/_sandbox/fan_posts", {"to_uid": int(CS_UID), "text": text, "kind": kind})
    platform_id = (answer["status"] if kind == "mention" else answer["comment"])["idstr"]
    ingest.account_poll(account_id=account.pk)
    return Interaction.objects.get(account=account, platform_id=platform_id)


def message_arrives(weibo, account, text, *, at=None) -> Interaction:
    """A fan's private message, as the push receiver would have stored it."""
    ago = round((timezone.now() - at).total_seconds()) if at else 0
    answer = weibo.admin("POST", "/_sandbox/messages", {"to_uid": int(CS_UID), "text": text, "ago_seconds": ago})
    PushEvent.objects.create(digest=f"{answer['message']['id']:064d}", msg_type="text",
                             sender_id=str(answer["from_uid"]), receiver_id=CS_UID, text=text,
                             created_at=at or timezone.now(), payload={})
    assert ingest.pushes_ingest() == 1
    return Interaction.objects.get(account=account, kind=Kind.MESSAGE, text=text)


def ours_under(account, status_id, text) -> int:
    """Checked on the platform's side: the account's comments under the post that carry this text."""
    page = account_client(account=account).comments(status_id, count=200)
    return sum(1 for c in page.items if c.user and c.user.id == CS_UID and text in c.text)


def faults(weibo, *once, **body):
    weibo.admin("POST", "/_sandbox/faults", {"once": list(once), **body})


def send(reply: Reply) -> Reply:
    """Run the task now, whatever its retry time says."""
    Reply.objects.filter(pk=reply.pk).update(retry_at=None)
    replies.reply_send(reply_id=reply.pk)
    reply.refresh_from_db()
    return reply


# --- sending ------------------------------------------------------------------------------------

def test_a_comment_is_answered_with_comments_reply_once_and_a_second_run_sends_nothing(cs, weibo, demo):
    item = arrive(weibo, cs, "牛奶今天没送到，怎么回事？", kind="comment")
    text = "您好，已经帮您查到订单，今天下午补送，给您添麻烦了。"
    reply = replies.reply_create(item=item, text=text, by=demo.people["agent"], rip=RIP)
    assert reply.method == ReplyMethod.COMMENT_REPLY and reply.state == ReplyState.QUEUED
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.SENT
    assert replies.reply_send(reply_id=reply.pk) is None  # a redelivered task finds nothing to claim
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENT and reply.platform_id and reply.attempts == 1 and reply.sent_at
    assert ours_under(cs, item.status_id, text) == 1
    [comment] = [c for c in account_client(account=cs).comments(item.status_id, count=200).items
                 if c.id == reply.platform_id]
    assert comment.reply_comment is not None and comment.reply_comment.id == item.platform_id
    item.refresh_from_db()
    assert item.first_response_at == reply.sent_at and item.first_response_by == demo.people["agent"]


def test_a_mention_is_answered_with_a_comment_under_the_fans_post(cs, weibo, demo):
    item = arrive(weibo, cs, "请问鲜牧的低脂奶哪里能买到？")
    text = "您好，各大商超和我们的官方小程序都有，谢谢关注！"
    reply = replies.reply_create(item=item, text=text, by=demo.people["operator"], rip=RIP)
    assert reply.method == ReplyMethod.COMMENT
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.SENT
    assert replies.reply_send(reply_id=reply.pk) is None
    assert ours_under(cs, item.status_id, text) == 1
    item.refresh_from_db()
    assert item.first_response_at is not None and item.first_response_by == demo.people["operator"]


def test_our_own_reply_does_not_come_back_as_an_inbox_item(cs, weibo, demo):
    item = arrive(weibo, cs, "酸奶盖子漏了", kind="comment")
    text = "抱歉给您带来不便，请私信我们订单号，马上为您处理。"
    replies.reply_send(reply_id=replies.reply_create(item=item, text=text, by=demo.people["agent"], rip=RIP).pk)
    ingest.account_poll(account_id=cs.pk)
    assert not Interaction.objects.filter(account=cs, fan__uid=CS_UID).exists()
    assert not Interaction.objects.filter(text__contains=text).exists()


def test_a_dropped_connection_after_the_store_is_looked_up_and_not_sent_twice(cs, weibo, demo):
    item = arrive(weibo, cs, "订的奶少送了一瓶", kind="comment")
    text = "您好，少送的那瓶明天一起补上，抱歉！"
    reply = replies.reply_create(item=item, text=text, by=demo.people["agent"], rip=RIP)
    faults(weibo, {"kind": "drop", "path": "/2/comments/reply.json"})
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.UNCONFIRMED
    reply.refresh_from_db()
    assert reply.state == ReplyState.QUEUED and reply.needs_lookup and reply.retry_at > timezone.now()
    assert replies.reply_send(reply_id=reply.pk) is None  # not before its look-up time
    time.sleep(2.1)  # the look-up runs later than the lost call: it must still find the comment
    reply = send(reply)
    assert reply.state == ReplyState.SENT and not reply.needs_lookup and reply.attempts == 2
    assert ours_under(cs, item.status_id, text) == 1


def test_a_5xx_on_the_write_is_looked_up_then_sent_once(cs, weibo, demo):
    item = arrive(weibo, cs, "请问什么时候发货？")
    text = "您好，今天下午就发货，请留意物流信息。"
    reply = replies.reply_create(item=item, text=text, by=demo.people["agent"], rip=RIP)
    faults(weibo, {"kind": "error", "path": "/2/comments/create.json"})
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.UNCONFIRMED
    assert ours_under(cs, item.status_id, text) == 0  # the 5xx stored nothing
    reply = send(reply)
    assert reply.state == ReplyState.SENT and ours_under(cs, item.status_id, text) == 1


def test_an_accepted_but_slow_reply_is_confirmed_not_rejected_or_sent_again(cs, weibo, demo):
    item = arrive(weibo, cs, "客服在吗？", kind="comment")
    text = "在的，您请说，我们马上为您处理。"
    reply = replies.reply_create(item=item, text=text, by=demo.people["agent"], rip=RIP)
    faults(weibo, {"kind": "pending", "path": "/2/comments/reply.json", "seconds": 0.5})
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.UNCONFIRMED
    reply.refresh_from_db()
    assert reply.state == ReplyState.QUEUED and reply.needs_lookup
    assert not Notice.objects.filter(kind="reply_rejected").exists()
    time.sleep(0.6)
    reply = send(reply)
    assert reply.state == ReplyState.SENT and ours_under(cs, item.status_id, text) == 1


def test_a_rate_limited_reply_waits_until_weibo_allows_it_and_says_until_when(cs, weibo, demo):
    item = arrive(weibo, cs, "能不能换个口味？", kind="comment")
    reply = replies.reply_create(item=item, text="可以的，请私信我们想换的口味。", by=demo.people["agent"], rip=RIP)
    faults(weibo, {"kind": "code", "code": 10023, "path": "/2/comments/reply.json"})
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.RATE_LIMITED
    reply.refresh_from_db()
    next_hour = (timezone.now() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    assert reply.state == ReplyState.RATE_LIMITED and reply.retry_at == next_hour
    assert reply.error and reply.attempts == 1
    assert replies.reply_send(reply_id=reply.pk) is None  # not before retry_at
    calls = [r for r in weibo.admin("GET", "/_sandbox/requests?limit=1000") if "comments/reply" in str(r)]
    assert len(calls) == 1  # the budget now waits for the next hour without asking Weibo


def test_content_weibo_forbids_is_rejected_with_the_reason_and_the_author_is_told(cs, weibo, demo):
    item = arrive(weibo, cs, "你们的奶有问题", kind="comment")
    reply = replies.reply_create(item=item, text="请您提供批次号，我们核实后回复。", by=demo.people["agent"], rip=RIP)
    faults(weibo, {"kind": "code", "code": 20021, "path": "/2/comments/reply.json"})
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.REJECTED
    reply.refresh_from_db()
    assert reply.state == ReplyState.REJECTED and reply.error
    [notice] = Notice.objects.filter(kind="reply_rejected")
    assert notice.recipient == demo.people["agent"] and notice.body == reply.error
    assert replies.reply_send(reply_id=reply.pk) is None  # never retried
    item.refresh_from_db()
    assert item.first_response_at is None


def test_a_revoked_token_pauses_the_reply_and_the_sweep_sends_it_after_reconnecting(cs, weibo, demo):
    item = arrive(weibo, cs, "退款什么时候到账？", kind="comment")
    text = "退款已经原路退回，一般 1–3 个工作日到账。"
    reply = replies.reply_create(item=item, text=text, by=demo.people["agent"], rip=RIP)
    weibo.admin("POST", "/_sandbox/tokens/revoke", {"uid": int(CS_UID)})
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.PAUSED
    reply.refresh_from_db()
    assert reply.state == ReplyState.PAUSED
    assert WeiboConnection.objects.get(account=cs).state == ConnectionState.NEEDS_REAUTH
    assert replies.replies_sweep() == []  # still not connected: it stays paused
    connect_through_sandbox(cs, uid=CS_UID, app_url="http://testserver")
    assert replies.replies_sweep() == [reply.pk]
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.SENT
    assert ours_under(cs, item.status_id, text) == 1


def test_a_reply_left_sending_by_a_killed_worker_is_looked_up_by_the_sweep(cs, weibo, demo, settings):
    item = arrive(weibo, cs, "奶箱坏了能换吗", kind="comment")
    text = "可以换的，师傅明天上门更换奶箱。"
    reply = replies.reply_create(item=item, text=text, by=demo.people["agent"], rip=RIP)
    account_client(account=cs).reply(item.platform_id, item.status_id, text, rip=RIP)  # the call went through ...
    long_ago = timezone.now() - timedelta(seconds=settings.FANS_REPLY_STALE_SECONDS + 1)
    Reply.objects.filter(pk=reply.pk).update(state=ReplyState.SENDING, claimed_at=long_ago)  # ... the worker died
    assert replies.replies_sweep() == [reply.pk]
    reply = send(reply)
    assert reply.state == ReplyState.SENT and ours_under(cs, item.status_id, text) == 1


# --- refused before anything is stored ----------------------------------------------------------

def refused(item, text, by, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        replies.reply_create(item=item, text=text, by=by, rip=RIP, **kwargs)
    assert not Reply.objects.exists()
    return caught.value.message_dict["text"]


def test_a_reply_too_long_is_refused_with_the_reason(cs, weibo, demo):
    item = arrive(weibo, cs, "请问有优惠吗", kind="comment")
    [reason] = refused(item, "好" * 141, demo.people["agent"])
    assert "141" in reason and "140" in reason


def test_a_word_the_playbook_forbids_is_refused(cs, weibo, demo):
    item = arrive(weibo, cs, "能今天送到吗", kind="comment")
    [reason] = refused(item, "今天送到是不可能的，明天吧。", demo.people["agent"])
    assert "不可能" in reason and "鲜牧客服" in reason


def test_a_bare_template_needs_confirming(cs, weibo, demo):
    template = services.template_create(brand=demo.brand, by=demo.people["manager"], name="致歉",
                                        text="非常抱歉给您带来不便，我们会尽快处理。")
    item = arrive(weibo, cs, "快递太慢了", kind="comment")
    reasons = refused(item, "@某人 非常抱歉给您带来不便，我们会尽快处理！", demo.people["agent"], template=template)
    assert len(reasons) == 2 and "致歉" in reasons[0]
    reply = replies.reply_create(item=item, text=template.text, by=demo.people["agent"], template=template,
                                 confirm_boilerplate=True, rip=RIP)
    assert reply.is_boilerplate and reply.state == ReplyState.QUEUED
    edited = replies.reply_create(item=item, text="非常抱歉，您的快递已经到站，今天下午送达。",
                                  by=demo.people["agent"], template=template, rip=RIP)
    assert not edited.is_boilerplate


def test_a_template_of_another_brand_is_refused(cs, weibo, demo):
    from positioning.models import Brand

    other = Brand.objects.create(name="别家乳业")
    template = ReplyTemplate.objects.create(brand=other, name="x", text="您好")
    item = arrive(weibo, cs, "你好", kind="comment")
    with pytest.raises(ValidationError) as caught:
        replies.reply_create(item=item, text="您好，请讲。", by=demo.people["agent"], template=template)
    assert "template" in caught.value.message_dict


def test_someone_without_the_reply_permission_is_refused(cs, weibo, demo):
    item = arrive(weibo, cs, "你好", kind="comment")
    for person in ("reviewer", "logistics", "pr"):
        with pytest.raises(PermissionDenied):
            replies.reply_create(item=item, text="您好，请讲。", by=demo.people[person])
    assert not Reply.objects.exists()


def test_the_same_reply_twice_is_one_reply(cs, weibo, demo):
    """A double click must not answer the fan twice."""
    item = arrive(weibo, cs, "在吗", kind="comment")
    replies.reply_create(item=item, text="在的，您请说。", by=demo.people["agent"], rip=RIP)
    with pytest.raises(ValidationError) as caught:
        replies.reply_create(item=item, text="在的，您请说。 ", by=demo.people["operator"], rip=RIP)
    assert "text" in caught.value.message_dict
    assert Reply.objects.count() == 1


# --- private messages ---------------------------------------------------------------------------

def test_a_private_message_is_answered_inside_the_window(cs, weibo, demo):
    item = message_arrives(weibo, cs, "你好，我想改一下送奶地址")
    text = "好的，请把新地址发给我们，明天起按新地址配送。"
    reply = replies.reply_create(item=item, text=text, by=demo.people["agent"], rip=RIP)
    assert reply.method == ReplyMethod.MESSAGE
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.SENT
    assert replies.reply_send(reply_id=reply.pk) is None
    sent = weibo.admin("GET", f"/_sandbox/messages?uid={item.fan.uid}")["messages"]
    assert [m["text"] for m in sent if str(m["sender_id"]) == CS_UID] == [text]
    item.refresh_from_db()
    assert item.first_response_at is not None


def test_a_private_message_left_sending_by_a_killed_worker_waits_for_a_person(cs, weibo, demo, settings):
    item = message_arrives(weibo, cs, "你好，在吗")
    reply = replies.reply_create(item=item, text="在的，请讲。", by=demo.people["agent"], rip=RIP)
    long_ago = timezone.now() - timedelta(seconds=settings.FANS_REPLY_STALE_SECONDS + 1)
    Reply.objects.filter(pk=reply.pk).update(state=ReplyState.SENDING, claimed_at=long_ago)
    assert replies.replies_sweep() == []  # it may have gone: a conversation cannot be read back
    reply.refresh_from_db()
    assert reply.state == ReplyState.UNCONFIRMED
    reply = replies.reply_resend(reply=reply, by=demo.people["agent"])
    assert reply.state == ReplyState.QUEUED
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.SENT


def test_a_private_message_outside_the_window_is_refused(english, cs, weibo, demo, settings):
    long_ago = timezone.now() - timedelta(hours=48, minutes=1)  # Weibo's window is 48 h, not 72
    item = message_arrives(weibo, cs, "上周的订单还没退款", at=long_ago)
    [reason] = refused(item, "您好，退款已处理。", demo.people["agent"])
    assert "48" in reason and "closed" in reason
    assert not replies.message_window(item).open


def event_arrives(weibo, fan_uid: str, event: str, *, at=None) -> None:
    """The fan follows, unfollows, subscribes or @mentions the account on the platform, and its push is stored
    as the receiver stores it."""
    if event in ("follow", "unfollow"):
        if event == "unfollow":  # only a follower can unfollow
            weibo.admin("POST", "/_sandbox/follow", {"to_uid": int(CS_UID), "from_uid": int(fan_uid)})
        weibo.admin("POST", f"/_sandbox/{event}", {"to_uid": int(CS_UID), "from_uid": int(fan_uid)})
    else:
        weibo.admin("POST", "/_sandbox/fan_events", {"to_uid": int(CS_UID), "from_uid": int(fan_uid), "event": event})
    msg_type, subtype = ("mention", "") if event == "mention" else ("event", event)
    PushEvent.objects.create(digest=f"{event}-{fan_uid}-{PushEvent.objects.count()}".ljust(64, "0"),
                             msg_type=msg_type, subtype=subtype, sender_id=fan_uid, receiver_id=CS_UID,
                             created_at=at or timezone.now(), payload={})


def test_a_follow_or_subscription_opens_the_window_again(cs, weibo, demo):
    item = message_arrives(weibo, cs, "奶卡怎么激活", at=timezone.now() - timedelta(days=3))
    assert not replies.message_window(item).open
    event_arrives(weibo, item.fan.uid, "subscribe")
    window = replies.message_window(item)
    assert window.open and not window.one_reply and window.until > timezone.now() + timedelta(hours=47)
    reply = replies.reply_create(item=item, text="您好，奶卡在小程序里激活。", by=demo.people["agent"], rip=RIP)
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.SENT


def test_after_an_unfollow_no_private_message_goes_and_the_platform_agrees(english, cs, weibo, demo):
    item = message_arrives(weibo, cs, "算了不买了")
    event_arrives(weibo, item.fan.uid, "unfollow")
    window = replies.message_window(item)
    assert not window.open and "unfollowed" in window.reason
    [reason] = refused(item, "您好，还有什么可以帮您？", demo.people["agent"])
    assert "unfollowed" in reason
    # Weibo (the sandbox) refuses it too, had the app tried.
    with pytest.raises(WeiboError) as caught:
        account_client(account=cs).message_reply(item.fan.uid, "您好，还有什么可以帮您？")
    assert caught.value.code == 10017 and "unfollowed" in str(caught.value)


def test_an_at_mention_allows_exactly_one_private_message(english, cs, weibo, demo):
    item = message_arrives(weibo, cs, "上次的问题", at=timezone.now() - timedelta(days=4))
    event_arrives(weibo, item.fan.uid, "mention")
    window = replies.message_window(item)
    assert window.open and window.one_reply
    reply = replies.reply_create(item=item, text="您好，看到您@我们了，请问有什么可以帮您？", by=demo.people["agent"],
                                 rip=RIP)
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.SENT
    assert not replies.message_window(item).open
    problems = replies.reply_check(item=item, text="再补充一句。")
    assert [p.message for p in problems if p.blocking] == [replies.message_window(item).reason]
    assert "one private message" in problems[0].message
    with pytest.raises(WeiboError) as caught:  # and Weibo agrees: one reply after an @mention
        account_client(account=cs).message_reply(item.fan.uid, "再补充一句。")
    assert caught.value.code == 10017


def test_a_private_message_over_299_characters_is_refused(english, cs, weibo, demo):
    item = message_arrives(weibo, cs, "请详细说说")
    [reason] = refused(item, "奶" * 300, demo.people["agent"])
    assert "299" in reason or "300" in reason


# --- approval -----------------------------------------------------------------------------------

def test_replies_wait_for_approval_when_the_playbook_says_so(cs, weibo, demo):
    playbook_publish(account=cs, by=demo.people["manager"], replies_need_approval=True)
    item = arrive(weibo, cs, "你们的客服态度太差了", kind="comment")
    text = "非常抱歉，我们已经记录您的反馈，主管会联系您。"
    reply = replies.reply_create(item=item, text=text, by=demo.people["agent"], rip=RIP)
    assert reply.state == ReplyState.AWAITING_APPROVAL
    assert replies.reply_send(reply_id=reply.pk) is None  # nothing goes out unapproved
    told = set(Notice.objects.filter(kind="reply_approval").values_list("recipient__username", flat=True))
    assert told == {"admin", "manager"}
    with pytest.raises(PermissionDenied):
        replies.reply_approve(reply=reply, by=demo.people["agent"])  # not the author
    with pytest.raises(PermissionDenied):
        replies.reply_approve(reply=reply, by=demo.people["operator"])  # replies, but does not approve
    approved = replies.reply_approve(reply=reply, by=demo.people["manager"], rip="198.51.100.2")
    assert approved.state == ReplyState.QUEUED and approved.approved_by == demo.people["manager"]
    assert approved.rip == "198.51.100.2"
    with pytest.raises(ValidationError):
        replies.reply_approve(reply=reply, by=demo.people["admin"])  # approved already
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.SENT
    assert ours_under(cs, item.status_id, text) == 1


def test_an_approver_cannot_approve_their_own_reply(cs, weibo, demo):
    reply = Reply.objects.create(
        interaction=arrive(weibo, cs, "你好", kind="comment"), account=cs, method=ReplyMethod.COMMENT_REPLY,
        text="您好。", created_by=demo.people["manager"], state=ReplyState.AWAITING_APPROVAL)
    with pytest.raises(PermissionDenied):
        replies.reply_approve(reply=reply, by=demo.people["manager"])
    reply.refresh_from_db()
    assert reply.state == ReplyState.AWAITING_APPROVAL


def test_a_tag_can_ask_for_approval_and_a_refusal_tells_the_author(cs, weibo, demo):
    tag = services.tag_create(brand=demo.brand, by=None, name="媒体", replies_need_approval=True)
    item = arrive(weibo, cs, "我是记者，想了解一下情况", kind="comment")
    services.items_tag(items=[item], tags=[tag], by=demo.people["agent"])
    reply = replies.reply_create(item=item, text="您好，请联系我们的公关部。", by=demo.people["agent"], rip=RIP)
    assert reply.state == ReplyState.AWAITING_APPROVAL
    with pytest.raises(ValidationError) as caught:
        replies.reply_refuse(reply=reply, by=demo.people["manager"], comment=" ")
    assert "comment" in caught.value.message_dict
    refused_reply = replies.reply_refuse(reply=reply, by=demo.people["manager"], comment="由公关部统一回复")
    assert refused_reply.state == ReplyState.REFUSED and refused_reply.error == "由公关部统一回复"
    assert Notice.objects.get(kind="reply_refused").recipient == demo.people["agent"]
    # Untagged items of the same account go out at once; a manager's own reply needs nobody.
    other = arrive(weibo, cs, "另一个问题", kind="comment")
    assert replies.reply_create(item=other, text="您好，请讲。", by=demo.people["agent"]).state == ReplyState.QUEUED
    assert replies.reply_create(item=item, text="您好，已转公关部。", by=demo.people["manager"]).state \
        == ReplyState.QUEUED


# --- closing the loop ---------------------------------------------------------------------------

def test_a_reply_after_a_resolved_ticket_closes_the_loop(cs, weibo, demo):
    item = arrive(weibo, cs, "买到的酸奶过期了，投诉！", kind="comment")
    service = Department.objects.get(name="客户服务部")
    ticket = tickets.ticket_create(item=item, department=service, summary="核实批次并退款", by=demo.people["agent"])
    early = replies.reply_create(item=item, text="您好，已转客服部核实，今天内回复您。", by=demo.people["agent"],
                                 rip=RIP)
    assert not early.closes_loop
    replies.reply_send(reply_id=early.pk)
    tickets.ticket_update(ticket=ticket, by=demo.people["agent"], state="resolved", resolution="已全额退款并补发")
    item.refresh_from_db()
    assert item.loop_closed_at is None and replies.ticket_resolved_open_loops(item=item)
    last = replies.reply_create(item=item, text="您好，退款已到账，补发的酸奶明天送达。", by=demo.people["agent"],
                                rip=RIP)
    assert last.closes_loop
    assert replies.reply_send(reply_id=last.pk) == ReplyState.SENT
    item.refresh_from_db()
    last.refresh_from_db()
    assert item.loop_closed_at == last.sent_at and not replies.ticket_resolved_open_loops(item=item)
    assert item.first_response_at < item.loop_closed_at  # the first answer stays the first


def test_an_app_level_refusal_puts_the_reply_back_in_the_queue(cs, weibo, demo):
    item = arrive(weibo, cs, "你们的客服电话是多少？", kind="comment")
    reply = replies.reply_create(item=item, text="您好，客服电话是 400-000-0000。", by=demo.people["agent"], rip=RIP)
    faults(weibo, {"kind": "code", "code": 10014, "path": "/2/comments/reply.json"})
    before = timezone.now()
    assert replies.reply_send(reply_id=reply.pk) == ReplyState.QUEUED
    reply.refresh_from_db()
    assert reply.state == ReplyState.QUEUED and reply.retry_at > before + timedelta(minutes=59)
    assert Notice.objects.filter(kind="weibo_app").count() == 2  # the admin and the manager
    assert not Notice.objects.filter(kind="reply_rejected").exists()
    assert send(reply).state == ReplyState.SENT
