"""Rate budgets: spent before every call, all or nothing, shared by every process, on both stores."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection

from weibo_ops.weibo.budget import Budget, DatabaseStore, RedisStore
from weibo_ops.weibo.errors import RateLimited

pytestmark = pytest.mark.embedded  # the budget counts in the database here, in Redis there

LIMITS = {"calls": 5, "posts": 2, "comments": 3, "messages": 3, "ip": 8}
NOON = datetime(2026, 11, 22, 4, 30, tzinfo=UTC)

# The database store always; Redis in the run that has REDIS_URL (make test's second run).
STORES = ["database", *(["redis"] if settings.REDIS_URL else [])]


@pytest.fixture(params=STORES)
def make_budget(request, transactional_db):
    def make(limits=LIMITS):
        if request.param == "redis":
            store = RedisStore(settings.REDIS_URL)
            store.PREFIX = f"test-budget-{id(store)}"
            return Budget(limits=limits, server_ip="test", store=store)
        return Budget(limits=limits, server_ip="test", store=DatabaseStore())
    return make


def test_calls_are_refused_when_the_hour_is_spent_and_allowed_in_the_next(make_budget):
    budget = make_budget()
    for _ in range(5):
        budget.spend("account:1", now=NOON)
    with pytest.raises(RateLimited) as caught:
        budget.spend("account:1", now=NOON)
    assert caught.value.retry_at == datetime(2026, 11, 22, 5, tzinfo=UTC) and caught.value.scope == "account"
    budget.spend("account:1", now=NOON + timedelta(hours=1))


def test_a_refused_spend_takes_nothing(make_budget):
    budget = make_budget()
    budget.spend("account:1", "posts", now=NOON)
    budget.spend("account:1", "posts", now=NOON)
    with pytest.raises(RateLimited, match="posts"):
        budget.spend("account:1", "posts", now=NOON)
    status = budget.status("account:1", now=NOON)
    assert {k.kind: k.used for k in status.kinds} == {"calls": 2, "posts": 2, "comments": 0, "messages": 0}
    assert status.limited_until == datetime(2026, 11, 22, 5, tzinfo=UTC)
    budget.spend("account:1", "comments", now=NOON)  # other kinds still have room


def test_the_server_ip_budget_is_shared_by_every_account(make_budget):
    budget = make_budget()
    for account in range(8):
        budget.spend(f"account:{account}", now=NOON)
    with pytest.raises(RateLimited) as caught:
        budget.spend("account:99", now=NOON)
    assert caught.value.scope == "ip"


def test_a_block_from_the_platform_is_honoured_until_its_time(make_budget):
    budget = make_budget()
    until = datetime.now(UTC) + timedelta(minutes=20)
    budget.block("account:1", "posts", until)
    with pytest.raises(RateLimited) as caught:
        budget.spend("account:1", "posts")
    assert abs((caught.value.retry_at - until).total_seconds()) < 1
    budget.spend("account:1", "comments")
    status = budget.status("account:1")
    assert next(k for k in status.kinds if k.kind == "posts").remaining == 0
    assert abs((status.limited_until - until).total_seconds()) < 1


def test_concurrent_spenders_never_exceed_the_limit(make_budget):
    """Threads with their own database connections (or Redis connections) stand for processes."""
    budget = make_budget({"calls": 40, "posts": 30, "comments": 60, "messages": 60, "ip": 10000})
    granted, refused = [], []

    def spend():
        for _ in range(15):
            try:
                budget.spend("account:7", now=NOON)
                granted.append(1)
            except RateLimited:
                refused.append(1)
        connection.close()

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 40 and len(refused) == 20
    assert budget.status("account:7", now=NOON).kinds[0].used == 40


def test_spenders_sharing_the_server_ip_neither_deadlock_nor_miscount(make_budget):
    """Accounts and kinds mixed, all sharing the IP counter: the case that deadlocked on PostgreSQL when
    rows were locked in whatever order each statement met them."""
    budget = make_budget({"calls": 10_000, "posts": 10_000, "comments": 10_000, "messages": 10_000, "ip": 100_000})
    errors = []

    def spend(worker: int):
        try:
            for n in range(40):
                budget.spend(f"account:{(worker + n) % 3}", ("posts", "comments", None)[n % 3], now=NOON)
        except Exception as exc:  # any error at all fails the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=spend, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    used = sum(budget.status(f"account:{n}", now=NOON).kinds[0].used for n in range(3))
    assert used == 8 * 40
