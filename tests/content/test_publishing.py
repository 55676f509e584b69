"""Publishing targets exactly once against the sandbox, through every fault it can inject."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from content import publishing
from content.models import Pillar, Post, PostTarget, TargetState
from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from positioning.weibo import account_client

pytestmark = pytest.mark.embedded  # claims and exactly-once publishing under SQLite's locking

BRAND_UID = "5500000001"
LINK = "https://xianmu.example.com/p/"


@pytest.fixture
def brand(demo, weibo):
    account = demo.accounts["鲜牧乳业"]
    connect_through_sandbox(account, uid=BRAND_UID, app_url="http://testserver")
    return account


def make_target(demo, account, text: str, **fields) -> PostTarget:
    pillar, _ = Pillar.objects.get_or_create(brand=demo.brand, name="产品")
    post = Post.objects.create(brand=demo.brand, pillar=pillar, text=text, created_by=demo.people["operator"],
                               state="approved")
    now = timezone.now()
    values = {"state": TargetState.SCHEDULED, "scheduled_at": now, "next_attempt_at": now, "rip": "203.0.113.5"}
    return PostTarget.objects.create(post=post, account=account, **(values | fields))


def copies_on_weibo(account, text: str) -> int:
    """Checked on the platform's side: how many posts with this text the account has."""
    return sum(1 for s in account_client(account=account).user_timeline(count=100).items if s.text == text)


def run_due(target: PostTarget) -> PostTarget:
    PostTarget.objects.filter(pk=target.pk).update(next_attempt_at=timezone.now())
    publishing.target_publish(target_id=target.pk)
    target.refresh_from_db()
    return target


def test_a_due_target_is_published_once_and_a_redelivered_task_does_nothing(demo, brand):
    target = make_target(demo, brand, f"鲜牧有机奶，今天上新 {LINK}1")
    publishing.target_publish(target_id=target.pk)
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHED and target.mid and target.url.endswith(target.mid)
    assert publishing.target_publish(target_id=target.pk) is None
    assert copies_on_weibo(brand, target.text) == 1
    [attempt] = target.publish_attempts.all()
    assert (attempt.action, attempt.outcome) == ("share", "published")


@pytest.mark.parametrize("fault", ["drop", "error"])
def test_a_lost_answer_is_looked_up_before_posting_again(demo, brand, weibo, fault):
    weibo.admin("POST", "/_sandbox/faults", {"once": [{"kind": fault, "path": "/2/statuses/share.json"}]})
    target = make_target(demo, brand, f"答案丢了也只发一次 {LINK}{fault}")
    publishing.target_publish(target_id=target.pk)
    target.refresh_from_db()
    assert target.state == TargetState.CONFIRMING and target.needs_lookup
    target = run_due(target)
    assert target.state == TargetState.PUBLISHED
    assert copies_on_weibo(brand, target.text) == 1  # the drop had stored it; the 5xx had not
    actions = list(target.publish_attempts.values_list("action", "outcome"))
    assert actions[0] == ("share", "unconfirmed")
    assert actions[1] == ("lookup", "found" if fault == "drop" else "not_found")


def test_an_accepted_but_slow_post_is_confirmed_not_reposted(demo, brand, weibo):
    weibo.admin("POST", "/_sandbox/faults", {"pending_seconds": 1.5,
                                             "once": [{"kind": "pending", "path": "/2/statuses/share.json"}]})
    target = make_target(demo, brand, f"慢一点也没关系 {LINK}pending")
    publishing.target_publish(target_id=target.pk)
    target.refresh_from_db()
    assert target.state == TargetState.CONFIRMING and target.pending
    target = run_due(target)  # not visible yet: keep waiting, do not post again
    assert target.state == TargetState.CONFIRMING and target.lookups == 1
    time.sleep(1.6)
    target = run_due(target)
    assert target.state == TargetState.PUBLISHED and copies_on_weibo(brand, target.text) == 1
    assert [a.action for a in target.publish_attempts.all()] == ["share", "lookup", "lookup"]


def test_a_worker_killed_mid_call_is_swept_and_confirmed(demo, brand, settings):
    text = f"进程被杀也不重复 {LINK}killed"
    account_client(account=brand).share(text, rip="203.0.113.5")  # the call went through ...
    long_ago = timezone.now() - timedelta(seconds=settings.CONTENT_PUBLISH_STALE_SECONDS + 1)
    target = make_target(demo, brand, text, state=TargetState.PUBLISHING, claimed_at=long_ago,
                         first_call_at=long_ago, needs_lookup=True)  # ... and the worker died
    assert publishing.targets_sweep() == 1
    target = run_due(target)
    assert target.state == TargetState.PUBLISHED and copies_on_weibo(brand, text) == 1


def test_the_hourly_post_budget_moves_a_target_to_the_next_hour_and_says_so(demo, brand, weibo):
    weibo.admin("POST", "/_sandbox/limits", {"posts": 1})
    first = make_target(demo, brand, f"第一条 {LINK}a")
    second = make_target(demo, brand, f"第二条 {LINK}b")
    publishing.target_publish(target_id=first.pk)
    publishing.target_publish(target_id=second.pk)
    second.refresh_from_db()
    next_hour = (timezone.now() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    assert second.state == TargetState.SCHEDULED and second.next_attempt_at == next_hour
    assert "限流" in second.message or "Rate limited" in second.message
    third = make_target(demo, brand, f"第三条 {LINK}c")
    publishing.target_publish(target_id=third.pk)  # the budget now refuses before calling Weibo
    third.refresh_from_db()
    assert third.state == TargetState.SCHEDULED and third.next_attempt_at == next_hour


@pytest.mark.parametrize(("text", "state"), [
    (f"想要优惠加微信 xianmu888 {LINK}ad", TargetState.FORBIDDEN),
    ("没有链接", TargetState.FAILED),
])
def test_a_rejected_post_is_kept_with_its_reason(demo, brand, text, state):
    target = run_due(make_target(demo, brand, text))
    assert target.state == state and target.message and target.post.text == text


def test_a_duplicate_is_said_to_be_one(demo, brand):
    text = f"每天一杯鲜牧奶 {LINK}dup"
    account_client(account=brand).share(text, rip="203.0.113.5")
    target = run_due(make_target(demo, brand, text))
    assert target.state == TargetState.DUPLICATE and "重复" in target.message


def test_a_revoked_account_pauses_its_targets(demo, brand, weibo):
    weibo.admin("POST", "/_sandbox/tokens/revoke", {"uid": BRAND_UID})
    target = run_due(make_target(demo, brand, f"授权没了 {LINK}reauth"))
    assert target.state == TargetState.NEEDS_REAUTH
    old = make_target(demo, brand, f"很早的排期 {LINK}old", scheduled_at=timezone.now() - timedelta(hours=13))
    old = run_due(old)
    assert old.state == TargetState.NEEDS_REAUTH
    assert publishing.targets_resume() == 0  # still not connected: they stay paused

    connect_through_sandbox(brand, uid=BRAND_UID, app_url="http://testserver")  # a person reconnects it
    assert publishing.targets_resume() == 2
    target.refresh_from_db()
    old.refresh_from_db()
    assert target.state == TargetState.SCHEDULED
    assert old.state == TargetState.FAILED and "12" in old.message  # not sent half a day late by surprise
    target = run_due(target)
    assert target.state == TargetState.PUBLISHED and copies_on_weibo(brand, target.text) == 1


def test_a_post_that_may_be_out_is_looked_up_after_reconnection(demo, brand, weibo):
    target = make_target(demo, brand, f"发出去了吗 {LINK}lost")
    weibo.admin("POST", "/_sandbox/faults", {"once": [{"kind": "drop", "path": "/2/statuses/share.json"}]})
    target = run_due(target)
    assert target.state == TargetState.CONFIRMING and target.needs_lookup
    weibo.admin("POST", "/_sandbox/tokens/revoke", {"uid": BRAND_UID})
    target = run_due(target)
    assert (target.state, target.needs_lookup) == (TargetState.NEEDS_REAUTH, True)
    connect_through_sandbox(brand, uid=BRAND_UID, app_url="http://testserver")
    publishing.targets_resume()
    target = run_due(target)
    assert target.state == TargetState.PUBLISHED
    assert copies_on_weibo(brand, target.text) == 1


def test_the_dispatcher_queues_each_due_target_once(demo, brand):
    due = make_target(demo, brand, f"到点了 {LINK}due")
    later = make_target(demo, brand, f"还没到 {LINK}later", next_attempt_at=timezone.now() + timedelta(hours=1))
    [queued] = publishing.targets_dispatch()
    assert queued.target_id == due.pk and queued.at == due.next_attempt_at  # the task's ETA: its due time
    assert publishing.targets_dispatch() == []  # queued a moment ago: not again
    assert later.pk not in {q.target_id for q in publishing.targets_dispatch(now=timezone.now() + timedelta(minutes=2))}


def test_the_dispatcher_queues_a_target_due_in_seconds_with_its_time_and_an_early_task_does_nothing(demo, brand):
    soon = make_target(demo, brand, f"马上到点 {LINK}soon", next_attempt_at=timezone.now() + timedelta(seconds=3))
    [queued] = publishing.targets_dispatch()
    assert (queued.target_id, queued.at) == (soon.pk, soon.next_attempt_at)
    assert publishing.target_publish(target_id=soon.pk) is None  # ran early (another host's clock): not claimed
    soon.refresh_from_db()
    assert (soon.state, soon.dispatched_at) == (TargetState.SCHEDULED, None)  # the next dispatch queues it again
    assert copies_on_weibo(brand, soon.text) == 0


def test_each_account_is_paced_to_its_posts_a_minute(demo, brand, settings):
    settings.CONTENT_POSTS_PER_MINUTE = 5
    targets = [make_target(demo, brand, f"第{n}条 {LINK}pace{n}") for n in range(7)]
    queued = publishing.targets_dispatch()
    assert [q.target_id for q in queued] == [t.pk for t in targets[:5]]
    for target in targets[5:]:
        target.refresh_from_db()
        assert target.next_attempt_at > timezone.now() + timedelta(seconds=55)
        assert target.state == TargetState.SCHEDULED and "5" in target.message
    for q in queued:
        publishing.target_publish(target_id=q.target_id)
    assert publishing.targets_dispatch(now=timezone.now() + timedelta(seconds=20)) == []  # the minute is full
    later = publishing.targets_dispatch(now=timezone.now() + timedelta(seconds=62))
    assert {q.target_id for q in later} == {t.pk for t in targets[5:]}


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_on_one_target_publish_it_once(demo, weibo):
    brand = demo.accounts["鲜牧乳业"]
    connect_through_sandbox(brand, uid=BRAND_UID, app_url="http://testserver")
    target = make_target(demo, brand, f"两个进程同时抢 {LINK}race")

    def work():
        publishing.target_publish(target_id=target.pk)
        connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHED and copies_on_weibo(brand, target.text) == 1
    assert target.publish_attempts.count() == 1


@pytest.mark.parametrize("code", [10014, 21321])
def test_an_app_level_refusal_pauses_the_targets_and_alerts_managers_once(demo, brand, weibo, code):
    from team.models import Notice

    share = "/2/statuses/share.json"
    weibo.admin("POST", "/_sandbox/faults", {"once": [{"kind": "code", "code": code, "path": share}] * 2})
    first = make_target(demo, brand, f"应用被拒时等待 {LINK}app1")
    second = make_target(demo, brand, f"应用被拒时也等待 {LINK}app2")
    before = timezone.now()
    for target in (first, second):
        publishing.target_publish(target_id=target.pk)
        target.refresh_from_db()
        assert target.state == TargetState.SCHEDULED  # waiting, not failed
        assert target.next_attempt_at > before + timedelta(minutes=59)
        assert "Managers have been alerted" in target.message or "已" in target.message
    alerts = Notice.objects.filter(kind="weibo_app")
    assert sorted(alerts.values_list("recipient__username", flat=True)) == ["admin", "manager"]  # one each, not per job
    assert not Notice.objects.filter(kind="publish").exists()  # nobody is told their post failed
    assert run_due(first).state == TargetState.PUBLISHED  # once the app is fixed, it goes out
