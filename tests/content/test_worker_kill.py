"""SIGKILL the real worker while targets are publishing, restart it: every target ends published exactly
once on the sandbox (counted on the sandbox's side) or in a stated error state."""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.utils import timezone

from content.models import FINAL_STATES, Pillar, Post, PostTarget, TargetState
from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from positioning.weibo import account_client
from tests.weibo_ops.test_worker import celery_start, stop, subprocess_env

# embedded: claims under SQLite's one-writer locking and the filesystem broker
pytestmark = [pytest.mark.embedded, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

UIDS = {"鲜牧乳业": "5500000001", "鲜牧客服": "5500000002", "鲜牧酸奶": "5500000003", "鲜牧华东": "5500000004"}
PER_ACCOUNT = 4  # the platform refuses more than 5 posts a minute from one account (20016)


def test_killing_the_worker_mid_publish_loses_and_duplicates_nothing(demo, weibo, tmp_path):
    pillar = Pillar.objects.create(brand=demo.brand, name="产品")
    targets = []
    now = timezone.now()
    for name, uid in UIDS.items():
        account = demo.accounts[name]
        connect_through_sandbox(account, uid=uid, app_url="http://testserver")
        for n in range(PER_ACCOUNT):
            post = Post.objects.create(brand=demo.brand, pillar=pillar, created_by=demo.people["manager"],
                                       text=f"{name} 第{n}条：鲜牧每日一杯 https://xianmu.example.com/k/{uid}/{n}",
                                       state="approved")
            targets.append(PostTarget.objects.create(post=post, account=account, state=TargetState.SCHEDULED,
                                                     scheduled_at=now, next_attempt_at=now, rip="203.0.113.8"))
    # Every call takes a while, so that the kill lands while calls are in flight.
    weibo.admin("POST", "/_sandbox/faults", {"slow_rate": 1.0, "slow_seconds": 0.8})
    env = subprocess_env() | {
        "WEIBO_API_URL": weibo.url, "WEIBO_BIZ_API_URL": weibo.biz_url, "WEIBO_APP_KEY": weibo.app_key,
        "WEIBO_APP_SECRET": weibo.app_secret, "CONTENT_PUBLISH_STALE_SECONDS": "5", "CONTENT_DISPATCH_SECONDS": "1",
        # The killed worker took the tasks it held with it: their targets are queued again after this.
        "CONTENT_REDISPATCH_SECONDS": "10",
    }
    worker_args = ["worker", "--pool", "threads", "--concurrency", "4", "--loglevel", "INFO", "--hostname", "k@%h"]
    beat = celery_start("beat", ["beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "schedule")], env, tmp_path)
    worker = celery_start("worker", worker_args, env, tmp_path)
    try:
        deadline = time.monotonic() + 60
        in_flight = 0
        while in_flight < 2 and time.monotonic() < deadline:  # the count the kill is asserted on, not a later one
            time.sleep(0.05)
            in_flight = PostTarget.objects.filter(state=TargetState.PUBLISHING).count()
        os.killpg(worker.pid, signal.SIGKILL)  # no goodbye: tasks in flight, claims held
        worker.wait()
        assert in_flight >= 2, (tmp_path / "worker.log").read_text()[-3000:]
        weibo.admin("DELETE", "/_sandbox/faults")
        worker = celery_start("worker", worker_args, env, tmp_path)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if PostTarget.objects.exclude(state__in=FINAL_STATES).count() == 0:
                break
            time.sleep(0.5)
    finally:
        for process in (worker, beat):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
            stop(process)
    states = {t.pk: t.state for t in PostTarget.objects.all()}
    assert set(states.values()) <= set(FINAL_STATES), (states, (tmp_path / "worker.log").read_text()[-3000:])
    for target in PostTarget.objects.select_related("post", "account"):
        timeline = account_client(account=target.account).user_timeline(count=100).items
        copies = sum(1 for status in timeline if status.text == target.post.text)
        assert copies == (1 if target.state == TargetState.PUBLISHED else 0), (target.post.text, target.state)
    assert list(states.values()).count(TargetState.PUBLISHED) == len(UIDS) * PER_ACCOUNT
