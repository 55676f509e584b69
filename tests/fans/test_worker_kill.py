"""SIGKILL the real worker in the middle of an ingest batch (one source stored, another being read, a
gap still open), restart it: every item on the sandbox ends in the inbox exactly once."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

import pytest
from django.utils import timezone

from fans import ingest
from fans.models import IngestCursor, Interaction, Source
from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from tests.weibo_ops.test_worker import celery_start, stop, subprocess_env

# embedded: leases under SQLite's locking and the filesystem broker
pytestmark = [pytest.mark.embedded, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CS_UID = "5500000002"
EACH = 240  # mentions and as many comments: more than one page of 200, so a poll leaves a gap to fill


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_killing_the_ingest_worker_mid_batch_loses_and_duplicates_nothing(demo, weibo, tmp_path):
    account = demo.accounts["鲜牧客服"]
    connect_through_sandbox(account, uid=CS_UID, app_url="http://testserver")
    ingest.account_poll(account_id=account.pk)  # the backlog; from here every new item must arrive
    before = Interaction.objects.count()
    texts = []
    for n in range(EACH):
        # The texts as Weibo holds them (a mention starts with the @name): what the inbox must show.
        texts.append(weibo.admin("POST", "/_sandbox/fan_posts", {
            "to_uid": int(CS_UID), "text": f"批次测试{n:03d}：订的鲜奶还没到", "kind": "mention"})["status"]["text"])
        texts.append(weibo.admin("POST", "/_sandbox/fan_posts", {
            "to_uid": int(CS_UID), "text": f"评论测试{n:03d}：酸奶很好喝", "kind": "comment"})["comment"]["text"])
    # Polls every 2 s spend more than the 150 calls an hour of the normal tier: lift both sides' limits.
    weibo.admin("POST", "/_sandbox/limits", {"calls": 100_000, "ip": 1_000_000})
    # Each call takes a while, so that the kill lands while a batch is in flight.
    weibo.admin("POST", "/_sandbox/faults", {"slow_rate": 1.0, "slow_seconds": 0.6})
    env = subprocess_env() | {
        "WEIBO_API_URL": weibo.url, "WEIBO_BIZ_API_URL": weibo.biz_url, "WEIBO_APP_KEY": weibo.app_key,
        "WEIBO_APP_SECRET": weibo.app_secret, "FANS_POLL_SECONDS": "2", "FANS_POLL_TICK_SECONDS": "1",
        "FANS_POLL_PAGES": "1", "FANS_INGEST_LEASE_SECONDS": "5", "FANS_POLL_RESERVE_CALLS": "0",
        "WEIBO_RATE_LIMITS": "calls=100000,ip=1000000",
    }
    worker_args = ["worker", "--pool", "threads", "--concurrency", "2", "--loglevel", "INFO", "--hostname", "i@%h"]
    beat = celery_start("beat", ["beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "schedule")], env, tmp_path)
    worker = celery_start("worker", worker_args, env, tmp_path)

    def mid_batch() -> bool:
        cursors = {c.source: c for c in IngestCursor.objects.filter(account=account)}
        stored_one = cursors[Source.MENTIONS].gap_max_id != ""  # the first page of mentions is in
        reading_another = any(c.lease_until is not None for s, c in cursors.items() if s != Source.MENTIONS)
        return stored_one and reading_another

    try:
        landed = wait_for(mid_batch, 60)
        os.killpg(worker.pid, signal.SIGKILL)  # no goodbye: a lease held, a gap open, a page in flight
        worker.wait()
        assert landed, (tmp_path / "worker.log").read_text()[-3000:]
        stored_at_kill = Interaction.objects.count() - before
        assert 0 < stored_at_kill < 2 * EACH
        weibo.admin("DELETE", "/_sandbox/faults")
        worker = celery_start("worker", worker_args, env, tmp_path)
        done = wait_for(lambda: Interaction.objects.filter(text__in=texts).count() >= len(texts), 90)
        assert done, (Interaction.objects.filter(text__in=texts).count(),
                      list(IngestCursor.objects.filter(account=account).values()),
                      (tmp_path / "worker.log").read_text()[-1000:])
        for _twice in range(2):  # every source polled twice more: nothing further may arrive twice
            since = timezone.now()
            polled = wait_for(lambda since=since: not IngestCursor.objects.filter(
                account=account, polled_at__lt=since).exists(), 30)
            assert polled, list(IngestCursor.objects.filter(account=account).values("source", "polled_at"))
    finally:
        for process in (worker, beat):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
            stop(process)
    counts = Counter(Interaction.objects.filter(account=account).values_list("text", flat=True))
    assert all(counts[text] == 1 for text in texts), [t for t in texts if counts[t] != 1][:5]
    ids = list(Interaction.objects.values_list("object_type", "platform_id"))
    assert len(ids) == len(set(ids))
    cursors = IngestCursor.objects.filter(account=account)
    assert all(not c.gap_max_id for c in cursors), [(c.source, c.gap_max_id) for c in cursors]
