"""Hourly rate budgets, spent before every call and shared by every process.

Weibo limits each account per app per hour (calls in all, posts, comments, private messages) and each
server IP. Exceeding them gets an account or an IP black-holed, so the workers spend from a budget
first: when a budget is exhausted the caller gets ``RateLimited`` with the time it resets, and Weibo
is never called. Windows are clock hours in UTC. The counters live in Redis when ``REDIS_URL`` is set
(one atomic Lua script per spend) and in the database otherwise (conditional updates in one
transaction), so web, worker and beat processes on any machine spend from the same budget.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q

from .errors import RateLimited
from .models import RateBlock, RateCounter

KINDS = ("calls", "posts", "comments", "messages")  # an account's hourly budgets
BIZ = "biz"  # the business API's own budget, per server IP
BIZ_LIMIT = 50_000  # calls an hour: the business API's limit, when the limits given do not name one
WINDOW = timedelta(hours=1)  # Weibo's limits are per hour


def window_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Bucket:
    scope: str
    kind: str
    limit: int


@dataclass(frozen=True)
class KindStatus:
    kind: str
    used: int
    limit: int
    blocked_until: datetime | None

    @property
    def remaining(self) -> int:
        return 0 if self.blocked_until else max(self.limit - self.used, 0)


@dataclass(frozen=True)
class BudgetStatus:
    scope: str
    resets_at: datetime
    kinds: list[KindStatus]

    @property
    def limited_until(self) -> datetime | None:
        """When calls are possible again, if any budget of this scope is spent or blocked."""
        times = [k.blocked_until or self.resets_at for k in self.kinds if k.remaining == 0]
        return max(times) if times else None

    def as_dict(self) -> dict:
        return {
            "resets_at": self.resets_at.isoformat(),
            "limited_until": self.limited_until.isoformat() if self.limited_until else None,
            **{
                k.kind: {"used": k.used, "limit": k.limit, "remaining": k.remaining,
                         "blocked_until": k.blocked_until.isoformat() if k.blocked_until else None}
                for k in self.kinds
            },
        }


class _SlowPath(Exception):
    """Rolls back the fast spend when it could not take from every bucket."""


class DatabaseStore:
    """Counters in the database: works everywhere, one short write transaction per call.

    Precondition: call outside any transaction of the caller's (no ``atomic()`` around a Weibo call),
    so the counter rows are locked for milliseconds, not for the HTTP call, and a rollback of the
    caller's work does not undo a spend that Weibo counted.
    """

    def take(self, buckets: list[Bucket], now: datetime) -> tuple[Bucket, datetime | None] | None:
        """Spend one from every bucket, or none: returns the bucket that refused and until when."""
        start = window_start(now)
        # Every spender locks the counter rows in the same order, so that two of them sharing rows
        # (the server IP's above all) never wait on each other in a cycle: no deadlocks on PostgreSQL.
        buckets = sorted(buckets, key=lambda b: (b.scope, b.kind))
        try:
            with transaction.atomic():
                if self._fast_take(buckets, start, now):
                    return None
                raise _SlowPath
        except _SlowPath:
            pass
        # Blocked, a counter missing (first call of the hour) or full: go bucket by bucket.
        with transaction.atomic():
            blocked = self._blocked(buckets, now)
            if blocked:
                return blocked
            for bucket in buckets:
                if not self._increment(bucket, start):
                    transaction.set_rollback(True)
                    return bucket, None
        return None

    @staticmethod
    def _fast_take(buckets: list[Bucket], start: datetime, now: datetime) -> bool:
        """The common case: nothing blocked, every counter there with room; one statement per bucket.

        Plain SQL (the same on SQLite and PostgreSQL): building these filters with the ORM cost ten
        times the queries themselves, on every call to Weibo.
        """
        adapt = connection.ops.adapt_datetimefield_value
        pairs = " OR ".join(["(scope = %s AND kind = %s)"] * len(buckets))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {RateBlock._meta.db_table} WHERE until > %s AND ({pairs})",  # noqa: S608 (no input)
                [adapt(now), *(v for b in buckets for v in (b.scope, b.kind))],
            )
            if cursor.fetchone():
                return False
            for bucket in buckets:
                cursor.execute(
                    f"UPDATE {RateCounter._meta.db_table} SET used = used + 1 "  # noqa: S608 (no input in the SQL)
                    "WHERE scope = %s AND kind = %s AND window_start = %s AND used < %s",
                    [bucket.scope, bucket.kind, adapt(start), bucket.limit],
                )
                if cursor.rowcount != 1:
                    return False
        return True

    @staticmethod
    def _blocked(buckets: list[Bucket], now: datetime) -> tuple[Bucket, datetime] | None:
        for scope, kind, until in RateBlock.objects.filter(_any(buckets), until__gt=now).values_list(
            "scope", "kind", "until"
        )[:1]:
            return next(b for b in buckets if (b.scope, b.kind) == (scope, kind)), until
        return None

    @staticmethod
    def _increment(bucket: Bucket, start: datetime) -> bool:
        rows = RateCounter.objects.filter(scope=bucket.scope, kind=bucket.kind, window_start=start)
        if rows.filter(used__lt=bucket.limit).update(used=F("used") + 1):
            return True
        _, created = RateCounter.objects.get_or_create(
            scope=bucket.scope, kind=bucket.kind, window_start=start, defaults={"used": 1}
        )
        if created:
            # Past windows are worth nothing: the first spend of an hour clears them.
            RateCounter.objects.filter(scope=bucket.scope, kind=bucket.kind, window_start__lt=start).delete()
            return True
        # Another process created the row between our update and our insert: try once more.
        return bool(rows.filter(used__lt=bucket.limit).update(used=F("used") + 1))

    def block(self, bucket: Bucket, until: datetime) -> None:
        RateBlock.objects.update_or_create(scope=bucket.scope, kind=bucket.kind, defaults={"until": until})

    def read(self, buckets: list[Bucket], now: datetime) -> dict[tuple[str, str], tuple[int, datetime | None]]:
        used = dict.fromkeys(((b.scope, b.kind) for b in buckets), 0)
        for scope, kind, count in RateCounter.objects.filter(_any(buckets), window_start=window_start(now)).values_list(
            "scope", "kind", "used"
        ):
            used[(scope, kind)] = count
        blocked = {
            (scope, kind): until
            for scope, kind, until in RateBlock.objects.filter(_any(buckets), until__gt=now).values_list(
                "scope", "kind", "until"
            )
        }
        return {key: (count, blocked.get(key)) for key, count in used.items()}


def _any(buckets: list[Bucket]) -> Q:
    query = Q(pk__in=[])
    for bucket in buckets:
        query |= Q(scope=bucket.scope, kind=bucket.kind)
    return query


# Checks every block, then every counter, and only then increments all of them: all or nothing.
# Returns {0} when spent, {1, i} when counter i is full, {2, i, until} when bucket i is blocked.
TAKE_SCRIPT = """
local n = #KEYS / 2
local now = tonumber(ARGV[1])
for i = 1, n do
  local untl = redis.call('GET', KEYS[n + i])
  if untl and tonumber(untl) > now then return {2, i, untl} end
end
for i = 1, n do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[2 + i]) then return {1, i} end
end
for i = 1, n do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], tonumber(ARGV[2]))
end
return {0}
"""


class RedisStore:
    """Counters in Redis: one round trip per call, atomic across every process and machine."""

    PREFIX = "weibo-ops:budget"

    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.script = self.redis.register_script(TAKE_SCRIPT)

    def _counter(self, bucket: Bucket, start: datetime) -> str:
        return f"{self.PREFIX}:{bucket.scope}:{bucket.kind}:{int(start.timestamp())}"

    def _block(self, bucket: Bucket) -> str:
        return f"{self.PREFIX}:block:{bucket.scope}:{bucket.kind}"

    def take(self, buckets: list[Bucket], now: datetime) -> tuple[Bucket, datetime | None] | None:
        start = window_start(now)
        keys = [self._counter(b, start) for b in buckets] + [self._block(b) for b in buckets]
        ttl = int(WINDOW.total_seconds()) + 60  # seconds: the window and a margin for clock skew
        answer = self.script(keys=keys, args=[now.timestamp(), ttl, *(b.limit for b in buckets)])
        if answer[0] == 0:
            return None
        bucket = buckets[int(answer[1]) - 1]
        until = datetime.fromtimestamp(float(answer[2]), tz=UTC) if answer[0] == 2 else None
        return bucket, until

    def block(self, bucket: Bucket, until: datetime) -> None:
        ttl_ms = max(int((until - datetime.now(UTC)).total_seconds() * 1000), 1)
        self.redis.set(self._block(bucket), until.timestamp(), px=ttl_ms)

    def read(self, buckets: list[Bucket], now: datetime) -> dict[tuple[str, str], tuple[int, datetime | None]]:
        start = window_start(now)
        values = self.redis.mget([self._counter(b, start) for b in buckets] + [self._block(b) for b in buckets])
        counts, blocks = values[: len(buckets)], values[len(buckets) :]
        result = {}
        for bucket, count, block in zip(buckets, counts, blocks, strict=True):
            until = datetime.fromtimestamp(float(block), tz=UTC) if block else None
            result[(bucket.scope, bucket.kind)] = (int(count or 0), until if until and until > now else None)
        return result


class Budget:
    """The hourly budgets of accounts (``account_scope``) and of this server's IP."""

    def __init__(self, *, limits: dict[str, int], server_ip: str, store):
        self.limits = limits
        self.ip_scope = f"ip:{server_ip}"
        self.store = store

    def buckets(self, scope: str, kind: str | None) -> list[Bucket]:
        if kind == BIZ:
            # The business API (c.api.weibo.com) counts per server IP, apart from the accounts' hourly calls.
            return [Bucket(self.ip_scope, BIZ, self.limits.get(BIZ, BIZ_LIMIT))]
        buckets = [Bucket(scope, "calls", self.limits["calls"])]
        if kind and kind != "calls":
            buckets.append(Bucket(scope, kind, self.limits[kind]))
        buckets.append(Bucket(self.ip_scope, "calls", self.limits["ip"]))
        return buckets

    def spend(self, scope: str, kind: str | None = None, *, now: datetime | None = None) -> None:
        """Take one call (and one ``kind``) from ``scope`` and the server IP, or raise ``RateLimited``."""
        now = now or datetime.now(UTC)
        refused = self.store.take(self.buckets(scope, kind), now)
        if refused is None:
            return
        bucket, blocked_until = refused
        until = blocked_until or window_start(now) + WINDOW
        who = "ip" if bucket.scope == self.ip_scope else "account"
        raise RateLimited(
            f"{bucket.kind} budget of {'the server IP' if who == 'ip' else 'this account'} is spent",
            retry_at=until, scope=who,
        )

    def block(self, scope: str, kind: str, until: datetime) -> None:
        """Weibo said a budget is spent (it counts calls we cannot see): honour it until ``until``."""
        if scope == self.ip_scope:
            limit = self.limits.get(BIZ, BIZ_LIMIT) if kind == BIZ else self.limits["ip"]
        else:
            limit = self.limits.get(kind, self.limits["calls"])
        self.store.block(Bucket(scope, kind, limit), until)

    def status(self, scope: str, *, now: datetime | None = None) -> BudgetStatus:
        now = now or datetime.now(UTC)
        buckets = [Bucket(scope, kind, self.limits[kind]) for kind in KINDS]
        values = self.store.read(buckets, now)
        kinds = []
        for bucket in buckets:
            used, blocked_until = values[(bucket.scope, bucket.kind)]
            kinds.append(KindStatus(bucket.kind, used, bucket.limit, blocked_until))
        return BudgetStatus(scope=scope, resets_at=window_start(now) + WINDOW, kinds=kinds)


@functools.cache
def default_budget() -> Budget:
    store = RedisStore(settings.REDIS_URL) if settings.REDIS_URL else DatabaseStore()
    return Budget(limits=settings.WEIBO_RATE_LIMITS, server_ip=settings.WEIBO_SERVER_IP, store=store)


def account_scope(account_id: int) -> str:
    return f"account:{account_id}"
