"""Ingest against the sandbox over real HTTP: the three polled sources, cursors, gaps, redelivery,
pushes, routing at arrival, and the budget reserve."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fans import ingest, services
from fans.models import Fan, IngestCursor, Interaction, Kind, Source, State
from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from weibo_ops.weibo.models import PushEvent

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]  # embedded: leases, gaps and cursors moved in transactions

CS_UID = "5500000002"  # 鲜牧客服 on the sandbox


@pytest.fixture
def cs(demo, weibo):
    account = demo.accounts["鲜牧客服"]
    connect_through_sandbox(account, uid=CS_UID, app_url="http://testserver")
    return account


def fan_post(weibo, text, kind="mention", **extra):
    return weibo.admin("POST", "/_sandbox/fan_posts", {"to_uid": int(CS_UID), "text": text, "kind": kind, **extra})


def test_first_poll_stores_the_backlog_once_and_moves_every_cursor(cs, weibo):
    results = ingest.account_poll(account_id=cs.pk)
    assert {r.source for r in results} == set(ingest.POLLED)
    assert all(not r.skipped for r in results), results
    stored = Interaction.objects.filter(account=cs).count()
    assert stored == sum(r.stored for r in results) > 0
    # The seeded world is weeks old: its backlog arrives closed, as history, not as work to do.
    assert not Interaction.objects.filter(account=cs, state=State.OPEN,
                                          created_at__lt=timezone.now() - ingest.HISTORY_HORIZON).exists()
    cursors = {c.source: c for c in IngestCursor.objects.filter(account=cs)}
    assert all(c.lease_until is None and c.polled_at for c in cursors.values())
    for source, cursor in cursors.items():
        ids = Interaction.objects.filter(account=cs, source=source).values_list("platform_id", flat=True)
        assert cursor.since_id == (max(ids, key=int) if ids else "")
    assert cursors[Source.MENTIONS].since_id and cursors[Source.COMMENTS_TO_ME].since_id
    again = ingest.account_poll(account_id=cs.pk)
    assert sum(r.stored for r in again) == 0
    assert Interaction.objects.filter(account=cs).count() == stored


def test_the_recent_backlog_is_open_with_its_clocks_starting_at_the_first_poll(demo, weibo):
    account = demo.accounts["鲜牧乳业"]  # the seeded world has recent @s and comments for it
    connect_through_sandbox(account, uid="5500000001", app_url="http://testserver")
    polled = timezone.now()
    ingest.account_poll(account_id=account.pk)
    recent = list(Interaction.objects.filter(account=account, state=State.OPEN))
    assert recent and all(i.created_at < polled for i in recent)
    # 2 h to answer from when the app first saw them (鲜牧乳业's playbook), not from when the fan wrote.
    assert all(i.first_response_due >= polled + timezone.timedelta(hours=2) for i in recent)


def test_new_mentions_and_comments_arrive_with_their_post_and_fan(cs, weibo):
    ingest.account_poll(account_id=cs.pk)
    mention = fan_post(weibo, "请问订的鲜奶什么时候送到？")["status"]
    comment = fan_post(weibo, "这批酸奶发酸了，投诉！", kind="comment")["comment"]
    ingest.account_poll(account_id=cs.pk)
    got = Interaction.objects.get(account=cs, platform_id=mention["idstr"])
    assert got.kind == Kind.MENTION and got.source == Source.MENTIONS and got.state == State.OPEN
    assert got.is_question and got.fan.uid == mention["user"]["idstr"]
    assert got.fan.screen_name == mention["user"]["screen_name"] and got.fan.profile_at is not None
    assert got.first_response_due == got.created_at + timezone.timedelta(hours=1)  # 鲜牧客服's playbook
    under = Interaction.objects.get(account=cs, platform_id=comment["idstr"])
    assert under.kind == Kind.COMMENT and under.status_id == comment["status"]["idstr"]
    assert under.status_text == comment["status"]["text"]
    assert under.thread_key == f"s:{comment['status']['idstr']}"


def test_a_poll_that_stops_at_its_page_limit_fills_the_gap_before_moving_on(cs, weibo, settings):
    ingest.account_poll(account_id=cs.pk)
    settings.FANS_POLL_PAGES = 1
    for n in range(ingest.PAGE_COUNT + 30):
        fan_post(weibo, f"第{n}条：鲜牧的酸奶真好喝")
    first = ingest.source_poll(account=cs, source=Source.MENTIONS)
    assert first.stored == ingest.PAGE_COUNT
    cursor = IngestCursor.objects.get(account=cs, source=Source.MENTIONS)
    assert cursor.gap_max_id and cursor.gap_top_id  # the 30 oldest are still to read
    second = ingest.source_poll(account=cs, source=Source.MENTIONS)
    assert second.stored == 30
    cursor.refresh_from_db()
    assert not cursor.gap_max_id and cursor.since_id == first_top(cs)
    texts = set(Interaction.objects.filter(account=cs, text__contains="真好喝").values_list("text", flat=True))
    assert len(texts) == ingest.PAGE_COUNT + 30


def first_top(account):
    ids = Interaction.objects.filter(account=account, source=Source.MENTIONS).values_list("platform_id", flat=True)
    return max(ids, key=int)


def test_a_leased_source_is_not_polled_twice_at_once(cs, weibo):
    cursor = IngestCursor.objects.create(account=cs, source=Source.MENTIONS,
                                         lease_until=timezone.now() + timezone.timedelta(minutes=1))
    assert ingest.source_poll(account=cs, source=Source.MENTIONS).skipped == "leased"
    cursor.lease_until = timezone.now() - timezone.timedelta(seconds=1)  # its worker died
    cursor.save()
    assert ingest.source_poll(account=cs, source=Source.MENTIONS).skipped == ""


def test_polling_leaves_the_reserve_of_the_hourly_budget(cs, weibo, settings):
    settings.FANS_POLL_RESERVE_CALLS = settings.WEIBO_RATE_LIMITS["calls"]
    assert {r.skipped for r in ingest.account_poll(account_id=cs.pk)} == {"budget"}
    assert not Interaction.objects.exists()


def test_pushed_messages_and_follows_become_items_once(cs, weibo):
    PushEvent.objects.create(digest="a" * 64, msg_type="text", sender_id="7700000001", receiver_id=CS_UID,
                             text="在吗？我的订单一直没发货", created_at=timezone.now(), payload={})
    PushEvent.objects.create(digest="b" * 64, msg_type="event", subtype="follow", sender_id="7700000002",
                             receiver_id=CS_UID, created_at=timezone.now(), payload={})
    PushEvent.objects.create(digest="c" * 64, msg_type="text", sender_id="7700000003", receiver_id="1",
                             text="not for us", payload={})
    assert ingest.pushes_ingest() == 2
    assert ingest.pushes_ingest() == 0
    message = Interaction.objects.get(kind=Kind.MESSAGE)
    assert message.state == State.OPEN and message.thread_key == f"dm:{CS_UID}:7700000001"
    follow = Interaction.objects.get(kind=Kind.FOLLOW)
    assert follow.state == State.CLOSED and not follow.needs_answer and follow.first_response_due is None
    assert not PushEvent.objects.filter(processed_at__isnull=True).exists()
    assert Fan.objects.filter(uid="7700000001", profile_at__isnull=True).exists()  # users/show fills it later


def test_a_rule_assigns_complaints_round_robin_in_its_department(cs, weibo, demo):
    from team.models import Department

    service = Department.objects.get(name="客户服务部")
    tag = services.tag_create(brand=demo.brand, name="投诉", by=None)
    services.rule_create(brand=demo.brand, by=None, name="投诉给客服", keywords=["投诉", "发酸"],
                         assign_department=service, add_tags=[tag], set_priority=2, mark_complaint=True)
    ingest.account_poll(account_id=cs.pk)
    fan_post(weibo, "酸奶发酸了，我要投诉")
    fan_post(weibo, "今天的牛奶很好喝")
    ingest.account_poll(account_id=cs.pk)
    complaint = Interaction.objects.get(account=cs, text__contains="我要投诉")
    assert complaint.assignee == demo.people["agent"] and complaint.is_complaint and complaint.priority == 2
    assert list(complaint.tags.values_list("name", flat=True)) == ["投诉"]
    praise = Interaction.objects.get(account=cs, text__contains="很好喝")
    assert praise.assignee is None and not praise.is_complaint and praise.routed_at is not None


def test_an_app_level_refusal_pauses_polling_instead_of_failing_each_poll(cs, weibo):
    from team.models import Notice

    weibo.admin("POST", "/_sandbox/faults", {"once": [{"kind": "code", "code": 21321}]})
    result = ingest.source_poll(account=cs, source=Source.MENTIONS)
    assert result.skipped == "app"
    cursor = IngestCursor.objects.get(account=cs, source=Source.MENTIONS)
    assert cursor.paused_until > timezone.now() + timedelta(minutes=59)
    assert ingest.source_poll(account=cs, source=Source.MENTIONS).skipped == "paused"
    assert Notice.objects.filter(kind="weibo_app").count() == 2


# --- each fan's first interaction with an account (the active-fan share's denominator, issue 17) -------------

def _first_interactions(account) -> dict[int, object]:
    from django.db.models import Min

    return dict(Interaction.objects.filter(account=account).values("fan_id").annotate(first=Min("created_at"))
                .values_list("fan_id", "first"))


def test_polling_keeps_each_fans_first_interaction_with_the_account(cs, weibo):
    from fans.models import AccountFan

    ingest.account_poll(account_id=cs.pk)
    kept = dict(AccountFan.objects.filter(account=cs).values_list("fan_id", "first_interaction_at"))
    assert kept and kept == _first_interactions(cs)
    ingest.account_poll(account_id=cs.pk)  # nothing new: nothing moves, nothing twice
    assert dict(AccountFan.objects.filter(account=cs).values_list("fan_id", "first_interaction_at")) == kept


def test_an_older_item_read_later_moves_the_fans_first_interaction_back(demo):
    from fans.models import AccountFan

    account = demo.accounts["鲜牧客服"]
    now = timezone.now().replace(microsecond=0)

    def comment(n, at):
        return ingest.Incoming(kind=Kind.COMMENT, source=Source.COMMENTS_TO_ME, object_type="comment",
                               platform_id=f"af{n}", user=None, uid="7700000001", text="好喝", created_at=at,
                               thread_key=f"t{n}")

    ingest.items_store(account=account, incoming=[comment(1, now - timedelta(days=2))])
    fan = Fan.objects.get(uid="7700000001")
    assert AccountFan.objects.get(account=account, fan=fan).first_interaction_at == now - timedelta(days=2)
    ingest.items_store(account=account, incoming=[comment(2, now - timedelta(days=1))])  # newer: stays
    assert AccountFan.objects.get(account=account, fan=fan).first_interaction_at == now - timedelta(days=2)
    # A backlog read after the newer items: two older ones at once, the earliest wins.
    ingest.items_store(account=account, incoming=[comment(3, now - timedelta(days=5)),
                                                  comment(4, now - timedelta(days=9))])
    assert AccountFan.objects.get(account=account, fan=fan).first_interaction_at == now - timedelta(days=9)
    assert AccountFan.objects.filter(fan=fan).count() == 1
