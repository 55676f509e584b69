"""Inbox page time at 10 k and 1 M stored interactions on PostgreSQL, and ingest throughput.

The inbox must not slow down as history piles up (issue 5: the 1 M page within 1.5 x the 10 k page).
This loads a realistic store into a private PostgreSQL (the demo brand from ``seed_demo`` and
``seed_demo_fans``: 4 accounts, their tags and routing rules; 100 k fans, most items closed history
spread over a year, a fixed set of open items, ~20 % assigned, tags, tickets, Chinese texts from the
sandbox's corpus), copies it, grows the copy to the large size with generated rows
(INSERT ... SELECT generate_series, then VACUUM ANALYZE), and times the two databases side by side,
in interleaved rounds:

- the selector every inbox list and the API use (``fans.selectors.inbox_page``, 50 items, rendered
  into a list of dicts): the first page (open items of every account, newest first), a deep keyset
  page (``next_cursor`` followed 20 times), filtered pages (account, assignee, SLA breached, tag,
  text search, and all five at once), all states (and a search there), and ``inbox_counts``; the
  time spent in the database is reported beside the whole call's;
- the whole inbox page ``/fans/`` through Django's test client as the demo manager;
- EXPLAIN ANALYZE on the large store of the first and the filtered page, and of every read past the
  goal or whose database time grew more than that.

Then ingest against a local Weibo sandbox: one account connected through OAuth, a burst of mentions
and comments created on the sandbox (its ``negative_spike`` scenario), and ``fans.ingest.account_poll``
timed end to end (HTTP, storing, routing, scoring) on both stores, then ``items_store`` alone on
items fetched beforehand. The budget would stop a poll of thousands of items, so the run raises
WEIBO_RATE_LIMITS, FANS_POLL_PAGES and FANS_POLL_RESERVE_CALLS (the JSON says so).

Starts a private PostgreSQL and Redis in a temporary folder (bench/publish.py's helpers) unless
DATABASE_URL and REDIS_URL are given (then fresh databases are created on that server and dropped at
the end), and the sandbox; stops all of them at the end, on failure and on Ctrl-C. Progress goes to
stderr, one JSON object to stdout.

    .venv/bin/python bench/inbox.py [--small 10000] [--large 1000000] [--repeat 25] [--ingest 1000]
        [--ingest-rounds 3] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import math
import os
import random
import secrets
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import publish  # bench/publish.py: its private PostgreSQL and Redis, children in their own sessions
from publish import SANDBOX_APP, free_port, say

BIG = 10**9  # budgets that never refuse: the bench measures ingest, not the hourly budget
RAISED = {
    "WEIBO_RATE_LIMITS": f"calls={BIG},posts={BIG},comments={BIG},messages={BIG},ip={BIG}",
    "FANS_POLL_PAGES": "100",  # pages of 200 per source and poll: a burst of thousands in one poll
    "FANS_POLL_RESERVE_CALLS": "0",
}
FANS = 100_000  # fans in the store, whatever its size
OPEN_ITEMS = 2_000  # open items, the same set at both sizes: only the history grows
TEXTS = 3_000  # distinct texts drawn from the sandbox's corpus
POSTS_PER_ACCOUNT = 400  # own posts that comments are under
DEEP_PAGES = 20  # next_cursor followed this often for the deep page
READS = {  # what each timed read is, for the JSON
    "first_page": "inbox_page, default filters (open items of every account, newest first), 50 items as dicts",
    "deep_page": f"the page after following next_cursor {DEEP_PAGES} times",
    "filter_account": "one account (鲜牧客服)", "filter_assignee": "one assignee (agent)",
    "filter_sla_breached": "SLA breached", "filter_tag": "one tag (投诉)", "filter_search": "text search q",
    "filter_combined": "account, assignee, SLA breached, tag and q at once",
    "all_states_first_page": "state '' (open and closed), newest first",
    "all_states_search": "state '' and a common word", "all_states_search_no_match": "state '' and a word in no text",
    "counts": "inbox_counts (the tabs and the dashboard)",
    "inbox_page_http": "GET /fans/ through the test client as the demo manager (the whole page)",
}
GOAL_RATIO = 1.5  # issue 5: the large page within 1.5 x the small one
CHUNK = 250_000  # rows per INSERT when growing (progress on stderr)
CS_UID = "5500000002"  # 鲜牧客服 on the sandbox
SPIKE_SPEED = 20_000.0  # the sandbox's half-hour negative spike (weibo_sandbox.traffic.SPIKE_WINDOW) in 0.09 s
# Kinds of fan text and their share of the generated texts (private messages go to "message" items).
TEXT_KINDS = [("complaint", 0.3), ("praise", 0.25), ("question", 0.2), ("neutral", 0.15), ("private_message", 0.1)]
TAGS = {"complaint": "投诉", "delivery": "配送", "quality": "质量", "suggestion": "建议", "praise": "表扬",
        "vip": "意见领袖"}  # generator's names for the demo's tags (fans/management/commands/seed_demo_fans.py)
SEARCH_WORDS = ["酸奶", "配送", "漏", "退款", "包装", "鲜奶", "牛奶", "客服"]
NO_MATCH = "冰淇淋"  # in no corpus text: a search over every state reads the whole history to fill no page

# One statement makes a range of rows: r.* are the row's random draws, k.* what follows from them.
# Open rows are recent (the last 3 days, most in the last hours) and a third of them answered already;
# history rows are spread over a year, answered and closed.
INTERACTIONS_SQL = """
WITH r AS (
    SELECT g, random() AS ra, random() AS rk, random() AS rf, random() AS rs, random() AS rt, random() AS rp,
           random() AS rq, random() AS rx
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
), k AS (
    SELECT r.*,
        CASE WHEN ra < 0.4 THEN %(a_cs)s WHEN ra < 0.7 THEN %(a_brand)s WHEN ra < 0.9 THEN %(a_yog)s
             ELSE %(a_east)s END AS account,
        CASE WHEN rk < 0.45 THEN 'comment' WHEN rk < 0.75 THEN 'mention' WHEN rk < 0.82 THEN 'comment_mention'
             WHEN rk < 0.95 THEN 'message' ELSE 'follow' END AS kind,
        %(fan0)s + floor(%(fans)s * rf * rf)::int AS fan,  -- a few fans write often
        CASE WHEN %(open)s THEN %(now)s - interval '72 hours' * rs * rs
             ELSE %(now)s - interval '365 days' * rs END AS at,
        CASE WHEN rp < 0.08 THEN %(u_agent)s WHEN rp < 0.14 THEN %(u_operator)s WHEN rp < 0.18 THEN %(u_pr)s
             WHEN rp < 0.2 THEN %(u_manager)s END AS assignee
    FROM r
), i AS (
    SELECT k.*, kind <> 'follow' AS answerable,
        interval '1 hour' * CASE WHEN account = %(a_cs)s THEN 1 ELSE 4 END AS reply_within,
        CASE WHEN %(open)s THEN CASE WHEN rq < 0.35 THEN at + (%(now)s - at) * rq END
             WHEN kind <> 'follow' THEN at + interval '3 hours' * rq END AS answered
    FROM k
)
INSERT INTO fans_interaction (
    account_id, kind, source, object_type, platform_id, fan_id, text, created_at, received_at, status_id,
    status_text, status_author, reply_to_id, reply_to_text, thread_key, reposted_from, is_question, is_praise, defends,
    state, needs_answer, priority, is_complaint, assignee_id, assigned_at, routed_at, first_response_due,
    resolution_due, first_response_at, first_response_by_id, closed_at, closed_by_id, loop_closed_at)
SELECT account, kind,
    CASE kind WHEN 'comment' THEN 'comments_to_me' WHEN 'mention' THEN 'mentions'
              WHEN 'comment_mention' THEN 'comments_mentions' ELSE 'push' END,
    CASE kind WHEN 'mention' THEN 'status' WHEN 'message' THEN 'message' WHEN 'follow' THEN 'event'
              ELSE 'comment' END,
    (4900000000000000 + g)::text, fan,
    CASE WHEN kind = 'follow' THEN '' WHEN kind = 'message' THEN m.text ELSE t.text END,
    at, at + interval '1 minute',
    CASE WHEN kind LIKE 'comment%%' THEN p.status_id WHEN kind = 'mention' THEN (4900000000000000 + g)::text
         ELSE '' END,
    CASE WHEN kind LIKE 'comment%%' THEN p.text ELSE '' END,
    CASE WHEN kind LIKE 'comment%%' THEN p.author ELSE '' END,
    '', '',
    CASE WHEN kind LIKE 'comment%%' THEN 's:' || p.status_id WHEN kind = 'mention' THEN 's:' || (4900000000000000 + g)
         WHEN kind = 'message' THEN 'dm:' || account || ':' || fan ELSE 'f:' || account || ':' || fan END,
    CASE WHEN kind IN ('follow', 'message') THEN '' ELSE t.reposted_from END,
    kind NOT IN ('follow', 'message') AND t.is_question, kind NOT IN ('follow', 'message') AND t.is_praise,
    kind NOT IN ('follow', 'message') AND t.defends,
    CASE WHEN %(open)s AND answerable THEN 'open' ELSE 'closed' END,
    answerable,
    CASE WHEN rx < 0.01 THEN 3 WHEN rx < 0.06 THEN 2 WHEN rx > 0.9 THEN 0 ELSE 1 END,
    answerable AND rx < 0.12,
    assignee, CASE WHEN assignee IS NOT NULL THEN at + interval '10 minutes' END,
    at + interval '1 minute',
    CASE WHEN answerable THEN at + reply_within END,
    CASE WHEN answerable THEN at + interval '24 hours' END,
    answered, CASE WHEN answered IS NOT NULL THEN coalesce(assignee, %(u_agent)s) END,
    CASE WHEN NOT %(open)s THEN at + interval '20 hours' * rq + interval '1 minute' END,
    CASE WHEN NOT %(open)s THEN coalesce(assignee, %(u_agent)s) END,
    NULL
FROM i
JOIN bench_text AS t ON t.n = floor(rt * %(texts)s)::int
JOIN bench_message AS m ON m.n = floor(rt * %(messages)s)::int
JOIN bench_post AS p ON p.account_id = account AND p.n = (g %% %(posts)s)
"""
# Tags on the items of an id range: most complaints carry 投诉, some items another tag, a few two.
TAGS_SQL = """
INSERT INTO fans_interaction_tags (interaction_id, tag_id)
SELECT id, tag FROM (
    SELECT id, CASE WHEN is_complaint AND r < 0.7 THEN %(t_complaint)s
                    WHEN r < 0.03 THEN %(t_delivery)s WHEN r < 0.05 THEN %(t_quality)s
                    WHEN r < 0.07 THEN %(t_suggestion)s WHEN r < 0.09 THEN %(t_praise)s END AS tag
    FROM (SELECT id, is_complaint, random() AS r FROM fans_interaction WHERE id BETWEEN %(lo)s AND %(hi)s) AS s
    UNION ALL
    SELECT id, %(t_vip)s FROM fans_interaction WHERE id BETWEEN %(lo)s AND %(hi)s AND random() < 0.02
) AS tagged WHERE tag IS NOT NULL
ON CONFLICT DO NOTHING
"""
# A ticket for one complaint in 20: resolved for history (most of them told back to the fan), open
# or in progress for open items.
TICKETS_SQL = """
WITH picked AS (
    SELECT id, state AS item_state, created_at, random() AS r FROM fans_interaction
    WHERE id BETWEEN %(lo)s AND %(hi)s AND is_complaint AND random() < 0.05
), made AS (
    INSERT INTO fans_ticket (interaction_id, department_id, state, summary, deadline, created_by_id, created_at,
                             updated_at, resolution, resolved_at, resolved_by_id, escalated_at, external_id)
    SELECT id, CASE WHEN r < 0.5 THEN %(d_cs)s ELSE %(d_logistics)s END,
           CASE WHEN item_state = 'closed' THEN 'resolved' WHEN r < 0.5 THEN 'open' ELSE 'in_progress' END,
           '请核实并处理粉丝反馈的问题', created_at + interval '12 hours', %(u_agent)s, created_at + interval '1 hour',
           created_at + interval '2 hours', CASE WHEN item_state = 'closed' THEN '已补发并致歉' ELSE '' END,
           CASE WHEN item_state = 'closed' THEN created_at + interval '10 hours' END,
           CASE WHEN item_state = 'closed' THEN %(u_logistics)s END, NULL, ''
    FROM picked RETURNING interaction_id, state
)
UPDATE fans_interaction AS i
SET loop_closed_at = CASE WHEN (i.id %% 10) < 7 THEN i.created_at + interval '11 hours' END,
    loop_pending = (i.id %% 10) >= 7
FROM made WHERE made.interaction_id = i.id AND made.state = 'resolved'
"""
FANS_SQL = """
INSERT INTO fans_fan (uid, screen_name, description, location, gender, avatar_url, followers_count, friends_count,
    statuses_count, verified, verified_reason, registered_at, profile_at, profile_problem, profile_checked_at,
    influence, activity, loyalty, zombie, score_reasons, downstream_reposts, positive_count, defends_count,
    scored_at, first_seen_at, last_interaction_at)
SELECT (8800000000 + g)::text, n.name || (g %% 977)::text, '', '', CASE WHEN g %% 2 = 0 THEN 'f' ELSE 'm' END, '',
    floor(50 / (random() + 0.0005))::bigint, floor(300 * random())::bigint, floor(2000 * random())::bigint,
    random() < 0.01, '', %(now)s - interval '3000 days' * random(), %(now)s - interval '7 days' * random(), '', NULL,
    floor(100 * random() ^ 4)::int, 0, floor(100 * random() ^ 3)::int, round((random() ^ 3)::numeric, 2)::float,
    '{}'::jsonb, 0, 0, 0, NULL, %(now)s - interval '365 days', %(now)s - interval '365 days' * random()
FROM generate_series(1, %(fans)s) AS g JOIN bench_name AS n ON n.n = g %% %(names)s
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def summary(seconds: list[float]) -> dict:
    return {"median_ms": round(statistics.median(seconds) * 1000, 2),
            "p95_ms": round(percentile(seconds, 0.95) * 1000, 2)}


class Bench:
    """One run: servers (through bench/publish.py's ``Run``), the two stores, the figures."""

    def __init__(self, args: argparse.Namespace, stack: contextlib.ExitStack, run_dir: Path):
        self.args, self.stack, self.run_dir = args, stack, run_dir
        self.servers = publish.Run(args, stack, run_dir)  # postgres(), redis(), start(): its helpers
        self.started = time.monotonic()
        self.wall: dict[str, float] = {}

    # --- servers ----------------------------------------------------------------------------------
    def environment(self) -> None:
        from cryptography.fernet import Fernet

        database_url, redis_url = self.servers.postgres(), self.servers.redis()
        self.sandbox_port = free_port()
        self.sandbox_url = f"http://127.0.0.1:{self.sandbox_port}"
        # Started now, waited for later: it seeds its world while the stores load.
        limits = ",".join(f"{kind}={BIG}" for kind in ("calls", "posts", "comments", "messages", "ip"))
        self.sandbox = self.servers.start("sandbox", [sys.executable, "-m", "weibo_sandbox", "serve", "--port",
                                                      self.sandbox_port, "--seed", "7", "--limits", limits,
                                                      "--traffic-per-minute", "0"], grace=10)
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        os.environ.update(
            DATABASE_URL=database_url, REDIS_URL=redis_url, WEIBO_OPS_VAR_DIR=str(self.run_dir / "var"),
            WEIBO_SERVER_IP=f"bench-{os.getpid()}", **SANDBOX_APP, **RAISED,
            # Production mode: DEBUG=1 keeps every query in memory and renders templates uncached.
            DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="127.0.0.1,testserver",
            WEIBO_TOKEN_KEYS=Fernet.generate_key().decode(), LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="weibo_ops.settings",
            WEIBO_API_URL=self.sandbox_url, WEIBO_BIZ_API_URL=f"{self.sandbox_url}/c.api.weibo.com",
        )
        self.database_url = database_url

    def wait_for_sandbox(self) -> None:
        import httpx

        deadline = time.monotonic() + 30
        while True:
            if self.sandbox.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"the sandbox did not start:\n{self.servers.log_tail('sandbox')}")
            try:
                httpx.get(f"{self.sandbox_url}/_sandbox/health", timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.2)

    def admin_connection(self):
        """Autocommit on the server's maintenance database, for CREATE DATABASE ... TEMPLATE."""
        import psycopg2

        admin = psycopg2.connect(urlunparse(urlparse(self.database_url)._replace(path="/postgres")))
        admin.autocommit = True
        return admin

    # --- the stores -------------------------------------------------------------------------------
    def seed(self) -> None:
        from django.core.management import CommandError, call_command
        from django.db import connections
        from django.utils import timezone

        from fans import services
        from fans.models import RoutingRule, Tag
        from positioning.models import Account, Brand
        from team.models import Department, User

        self.stack.callback(connections.close_all)  # before the databases are dropped or stopped
        say("migrating a fresh database, creating the demo brand")
        call_command("migrate", verbosity=0)
        call_command("seed_demo", quiet=True)
        with contextlib.suppress(CommandError):  # the demo's tags, routing rules and desks, where they exist
            call_command("seed_demo_fans", stdout=io.StringIO())
        self.now = timezone.now()
        self.users = {u.username: u for u in User.objects.filter(
            username__in=["manager", "agent", "operator", "pr", "logistics"])}
        self.brand = Brand.objects.get(name="鲜牧乳业")
        self.accounts = {a.name: a for a in Account.objects.filter(brand=self.brand)}
        by = self.users["manager"]
        self.tags = {key: Tag.objects.filter(brand=self.brand, name=name).first()
                     or services.tag_create(brand=self.brand, by=by, name=name) for key, name in TAGS.items()}
        if not RoutingRule.objects.filter(brand=self.brand).exists():
            # Routing as a brand would set it up: complaints to customer service, questions up a notch.
            services.rule_create(brand=self.brand, by=by, name="投诉转客服",
                                 keywords=["投诉", "漏", "变质", "退款", "发酸"], assign_to=self.users["agent"],
                                 add_tags=[self.tags["complaint"]], mark_complaint=True)
            services.rule_create(brand=self.brand, by=by, name="提问优先", is_question=True, set_priority=2)
        self.rules = RoutingRule.objects.filter(brand=self.brand, is_active=True).count()
        self.departments = {d.name: d for d in Department.objects.all()}
        self.corpus_tables()
        say(f"creating {FANS:,} fans")
        with connections["default"].cursor() as cursor:
            cursor.execute(FANS_SQL, {"now": self.now, "fans": FANS, "names": self.name_count})
            cursor.execute("SELECT min(id) FROM fans_fan WHERE uid LIKE '88%%'")
            self.fan0 = cursor.fetchone()[0]

    def corpus_tables(self) -> None:
        """Texts, fan names and own posts from the sandbox's corpus, as tables the generator joins."""
        from django.db import connection

        from fans import text as features
        from weibo_sandbox import corpus

        rng = random.Random(5)
        kinds = [kind for kind, _share in TEXT_KINDS if kind != "private_message"]
        weights = [share for kind, share in TEXT_KINDS if kind != "private_message"]
        texts = [corpus.text(rng.choices(kinds, weights)[0], rng) for _ in range(TEXTS)]
        messages = [corpus.text("private_message", rng) for _ in range(TEXTS // 10)]
        names = sorted({corpus.screen_name(rng) for _ in range(3000)})
        self.name_count, self.message_count = len(names), len(messages)
        self.text_lengths = [len(t) for t in texts]
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_text (n int PRIMARY KEY, text text, is_question bool, is_praise bool, "
                           "defends bool, reposted_from text)")
            cursor.executemany("INSERT INTO bench_text VALUES (%s, %s, %s, %s, %s, %s)", [
                (n, t, features.is_question(t), features.is_praise(t), features.defends(t),
                 features.reposted_via(t)[:200]) for n, t in enumerate(texts)])
            cursor.execute("CREATE TABLE bench_message (n int PRIMARY KEY, text text)")
            cursor.executemany("INSERT INTO bench_message VALUES (%s, %s)", list(enumerate(messages)))
            cursor.execute("CREATE TABLE bench_name (n int PRIMARY KEY, name text)")
            cursor.executemany("INSERT INTO bench_name VALUES (%s, %s)", list(enumerate(names)))
            cursor.execute("CREATE TABLE bench_post (account_id int, n int, status_id text, text text, author text, "
                           "PRIMARY KEY (account_id, n))")
            cursor.executemany("INSERT INTO bench_post VALUES (%s, %s, %s, %s, %s)", [
                (account.pk, n, str(4800000000000000 + account.pk * 10_000 + n), corpus.text("brand_post", rng),
                 account.name)
                for account in self.accounts.values() for n in range(POSTS_PER_ACCOUNT)])

    def params(self) -> dict:
        a, u, t, d = self.accounts, self.users, self.tags, self.departments
        return {
            "now": self.now, "fan0": self.fan0, "fans": FANS, "texts": TEXTS, "messages": self.message_count,
            "posts": POSTS_PER_ACCOUNT,
            "a_cs": a["鲜牧客服"].pk, "a_brand": a["鲜牧乳业"].pk, "a_yog": a["鲜牧酸奶"].pk,
            "a_east": a["鲜牧华东"].pk,
            "u_agent": u["agent"].pk, "u_operator": u["operator"].pk, "u_pr": u["pr"].pk, "u_manager": u["manager"].pk,
            "u_logistics": u["logistics"].pk,
            **{f"t_{key}": tag.pk for key, tag in t.items()},
            "d_cs": d["客户服务部"].pk, "d_logistics": d["物流部"].pk,
        }

    def add_rows(self, first: int, count: int, *, is_open: bool) -> None:
        """``count`` generated interactions (numbered from ``first``), their tags and tickets."""
        from django.db import connection

        params = self.params()
        with connection.cursor() as cursor:
            for start in range(first, first + count, CHUNK):
                last = min(start + CHUNK, first + count) - 1
                cursor.execute("SELECT coalesce(max(id), 0) FROM fans_interaction")
                lo = cursor.fetchone()[0] + 1
                cursor.execute(INTERACTIONS_SQL, {**params, "first": start, "last": last, "open": is_open})
                cursor.execute("SELECT max(id) FROM fans_interaction")
                hi = cursor.fetchone()[0]
                cursor.execute(TAGS_SQL, {**params, "lo": lo, "hi": hi})
                cursor.execute(TICKETS_SQL, {**params, "lo": lo, "hi": hi})
                if count > CHUNK:
                    say(f"  {last - first + 1:,} of {count:,} rows")

    def vacuum(self) -> None:
        """What autovacuum does on a live server: statistics and the visibility map."""
        from django.db import connection

        with connection.cursor() as cursor:
            for table in ("fans_interaction", "fans_interaction_tags", "fans_ticket", "fans_fan"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
            cursor.execute("CHECKPOINT")  # written out now, not by the checkpointer while the reads are timed

    def load(self) -> None:
        """The small store, then a copy of it grown to the large size; two connections, one per store."""
        from django.db import connections

        args = self.args
        started = time.monotonic()
        say(f"loading the small store: {args.small:,} interactions ({self.open_items:,} open)")
        self.add_rows(1, args.small - self.open_items, is_open=False)
        self.add_rows(args.small - self.open_items + 1, self.open_items, is_open=True)
        self.vacuum()
        self.wall["load_small"] = time.monotonic() - started
        small = connections["default"]
        small_name = small.settings_dict["NAME"]
        self.large_name = f"{small_name}_large"
        small.close()
        admin = self.admin_connection()
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{self.large_name}" TEMPLATE "{small_name}"')
        publish.drop_at_exit(self.stack, admin, self.large_name)
        self.stores = {"small": small, "large": type(small)({**small.settings_dict, "NAME": self.large_name},
                                                            alias="default")}
        self.stack.callback(self.stores["large"].close)
        self.use("large")
        started = time.monotonic()
        grow = args.large - args.small
        say(f"growing a copy to the large store: {grow:,} more history rows")
        self.add_rows(args.small + 1, grow, is_open=False)
        say("VACUUM ANALYZE")
        self.vacuum()
        self.wall["load_large"] = time.monotonic() - started
        self.sizes = {name: self.store_size(name) for name in self.stores}

    def use(self, name: str) -> None:
        """Make a store Django's default database: the selectors and the pages then read it."""
        from django.db import connections

        connections["default"] = self.stores[name]

    def store_size(self, name: str) -> dict:
        from django.db import connection

        self.use(name)
        with connection.cursor() as cursor:
            cursor.execute("""SELECT count(*), count(*) FILTER (WHERE state = 'open'),
                count(*) FILTER (WHERE assignee_id IS NOT NULL), count(DISTINCT kind),
                min(created_at), max(created_at), pg_total_relation_size('fans_interaction')
                FROM fans_interaction""")
            total, open_, assigned, kinds, oldest, newest, size = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM fans_interaction_tags")
            tags = cursor.fetchone()[0]
            cursor.execute("SELECT count(*), count(*) FILTER (WHERE state = 'resolved') FROM fans_ticket")
            tickets, resolved = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM fans_fan")
            fans = cursor.fetchone()[0]
        return {"interactions": total, "open": open_, "assigned_share": round(assigned / total, 3), "kinds": kinds,
                "tag_links": tags, "tickets": tickets, "tickets_resolved": resolved, "fans": fans,
                "days_spanned": (newest - oldest).days, "table_and_indexes_mb": round(size / 2**20, 1)}

    # --- the inbox --------------------------------------------------------------------------------
    def queries(self) -> dict:
        """name → a callable that reads one inbox page (or the counts) the way the pages and the API do."""
        from django.db.models import Count

        from fans.models import Interaction, State, Tag
        from fans.selectors import InboxFilters, inbox_counts, inbox_page, sla_status

        manager = self.users["manager"]

        def rendered(page) -> list[dict]:
            return [{
                "id": item.pk, "account": item.account.name, "kind": item.get_kind_display(),
                "fan": item.fan.screen_name or item.fan.uid, "text": item.text,
                "created_at": item.created_at.isoformat(), "state": item.state,
                "assignee": str(item.assignee) if item.assignee else "", "priority": item.priority,
                "tags": [tag.name for tag in item.tags.all()],
                "tickets": [(ticket.department.name, ticket.state) for ticket in item.tickets.all()],
                "sla": sla_status(item, page.now),
            } for item in page.items]

        def page(filters: InboxFilters, cursor: str = ""):
            return lambda: rendered(inbox_page(user=manager, filters=filters, cursor=cursor))

        # Filter values picked on the small store (the large one is a copy of it grown by closed
        # history, so the open items and every id are the same): the biggest group of open breached
        # items with an assignee and a tag, and the search word most common among them.
        self.use("small")
        breached = Interaction.objects.filter(state=State.OPEN, needs_answer=True, first_response_at__isnull=True,
                                              first_response_due__lt=self.now, assignee__isnull=False)
        group = (breached.filter(tags__isnull=False).values("account_id", "assignee_id", "tags__id")
                 .annotate(n=Count("id")).order_by("-n").first())
        texts = list(breached.filter(account_id=group["account_id"], assignee_id=group["assignee_id"],
                                     tags__id=group["tags__id"]).values_list("text", flat=True))
        word = max(SEARCH_WORDS, key=lambda w: sum(w in t for t in texts))
        combined = InboxFilters(account=group["account_id"], assignee=str(group["assignee_id"]), sla="breached",
                                tag=group["tags__id"], q=word)
        self.filters = {"account": group["account_id"], "assignee": str(group["assignee_id"]), "sla": "breached",
                        "tag": Tag.objects.get(pk=group["tags__id"]).name, "q": word}
        cursors = {}
        for store in self.stores:
            self.use(store)
            cursor, depth = "", 0
            while depth < DEEP_PAGES:
                following = inbox_page(user=manager, filters=InboxFilters(), cursor=cursor).next_cursor
                if not following:
                    break
                cursor, depth = following, depth + 1
            cursors[store] = cursor
        self.deep_depth = depth
        cs = self.accounts["鲜牧客服"].pk
        return {
            "first_page": page(InboxFilters()),
            "deep_page": {store: page(InboxFilters(), cursor) for store, cursor in cursors.items()},
            "filter_account": page(InboxFilters(account=cs)),
            "filter_assignee": page(InboxFilters(assignee=str(self.users["agent"].pk))),
            "filter_sla_breached": page(InboxFilters(sla="breached")),
            "filter_tag": page(InboxFilters(tag=self.tags["complaint"].pk)),
            "filter_search": page(InboxFilters(q=word)),
            "filter_combined": page(combined),
            "all_states_first_page": page(InboxFilters(state="")),
            "all_states_search": page(InboxFilters(state="", q=word)),
            "all_states_search_no_match": page(InboxFilters(state="", q=NO_MATCH)),
            "counts": lambda: inbox_counts(user=manager),
        }

    def page_client(self) -> dict:
        """A logged-in test client per store that reads /fans/; a page that does not render stops the run."""
        from django.test import Client
        from django.urls import reverse

        url = reverse("fans:inbox")
        clients = {}
        for store in self.stores:
            self.use(store)
            client = Client()
            client.force_login(self.users["manager"], backend="django.contrib.auth.backends.ModelBackend")
            response = client.get(url, secure=True)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}: {response.content[:200]!r}")
            clients[store] = client
        return {store: (lambda c=client: c.get(url, secure=True)) for store, client in clients.items()}

    def measure(self) -> dict:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        calls = self.queries()
        calls["inbox_page_http"] = self.page_client()
        per_store = {name: {store: (call[store] if isinstance(call, dict) else call) for store in self.stores}
                     for name, call in calls.items()}
        timings: dict[str, dict[str, list[float]]] = {name: {s: [] for s in self.stores} for name in per_store}
        sizes: dict[str, dict[str, dict]] = {name: {} for name in per_store}
        self.sql: dict[str, dict[str, list[str]]] = {name: {} for name in per_store}
        for store in self.stores:  # warm up, and what each call runs
            self.use(store)
            for name, call in per_store.items():
                with CaptureQueriesContext(connection) as captured:
                    result = call[store]()
                self.sql[name][store] = [q["sql"] for q in captured.captured_queries]
                sizes[name][store] = {"queries": len(captured)}
                if isinstance(result, list):  # a page's items
                    sizes[name][store]["rows"] = len(result)
                elif isinstance(result, dict):  # the counts
                    sizes[name][store]["counts"] = result
        say(f"timing {len(per_store)} reads x {self.args.repeat} interleaved rounds on both stores")
        in_database: dict[str, dict[str, list[float]]] = {name: {s: [] for s in self.stores} for name in per_store}
        timer = DatabaseTimer()
        order = list(self.stores)
        gc.collect()
        for round_ in range(self.args.repeat):
            for store in order if round_ % 2 == 0 else reversed(order):  # neither store always goes first
                self.use(store)
                with connection.execute_wrapper(timer):
                    for name, call in per_store.items():
                        timer.seconds = 0.0
                        started = time.perf_counter()
                        call[store]()
                        timings[name][store].append(time.perf_counter() - started)
                        in_database[name][store].append(timer.seconds)
        figures = {}
        for name in per_store:
            small, large = ({**summary(timings[name][s]), **sizes[name][s],
                             "database_median_ms": round(statistics.median(in_database[name][s]) * 1000, 2)}
                            for s in ("small", "large"))
            ratio = round(large["median_ms"] / small["median_ms"], 2)
            in_db = round(large["database_median_ms"] / small["database_median_ms"], 2)
            figures[name] = {"small": small, "large": large, "ratio_large_over_small": ratio,
                             "database_ratio": in_db, "goal_met": ratio <= GOAL_RATIO}
        return figures

    def explain(self, names: list[str]) -> dict:
        """EXPLAIN ANALYZE on the large store of the items query (the first one) each call ran."""
        from django.db import connection

        self.use("large")
        plans = {}
        for name in names:
            statements = self.sql.get(name, {}).get("large", [])
            if name == "counts":
                picked = statements[:2]
            elif name == "inbox_page_http":
                picked = [s for s in statements if "fans_interaction" in s and "ORDER BY" in s][:1]
            else:
                picked = statements[:1]
            for n, sql in enumerate(picked):
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
                    plan = cursor.fetchone()[0][0]
                    cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}")
                    text = [row[0] for row in cursor.fetchall()]
                plans[name if len(picked) == 1 else f"{name}.{n + 1}"] = describe(plan, text)
        return plans

    # --- ingest -----------------------------------------------------------------------------------
    def ingest(self) -> dict:
        import httpx

        from fans import ingest
        from positioning.management.commands.weibo_sandbox import connect_through_sandbox

        self.wait_for_sandbox()
        self.http = httpx.Client(base_url=self.sandbox_url, timeout=60)
        self.stack.callback(self.http.close)
        account = self.accounts["鲜牧客服"]
        backlog = {}
        for store in self.stores:  # the same account in both stores, each with its own token and cursors
            self.use(store)
            connect_through_sandbox(account, uid=CS_UID, app_url="http://127.0.0.1:8000")
            started = time.perf_counter()
            stored = sum(r.stored for r in ingest.account_poll(account_id=account.pk))
            backlog[store] = {"stored": stored, "seconds": round(time.perf_counter() - started, 3)}
        say(f"ingest: {self.args.ingest_rounds} bursts of {self.args.ingest} mentions and comments, each polled by "
            "both stores")
        rounds: dict[str, list[dict]] = {s: [] for s in self.stores}
        for n in range(self.args.ingest_rounds):
            released = self.burst(1000 + n)
            for store in self.stores:
                self.use(store)
                started = time.perf_counter()
                results = ingest.account_poll(account_id=account.pk)
                seconds = time.perf_counter() - started
                stored = sum(r.stored for r in results)
                if any(r.skipped for r in results):
                    sys.exit(f"a poll was skipped: {results}")
                rounds[store].append({"released_on_sandbox": released, "stored": stored,
                                      "calls": sum(r.pages for r in results), "seconds": round(seconds, 3),
                                      "items_per_second": round(stored / seconds, 1)})

        def rate(store: str) -> float:
            return round(statistics.median(r["items_per_second"] for r in rounds[store]), 1)

        return {
            "account": f"鲜牧客服 (sandbox uid {CS_UID}), connected through the sandbox's OAuth",
            "burst": f"sandbox scenario negative_spike at speed {SPIKE_SPEED:g}: ~60 % @mentions, ~40 % comments "
                     "on its newest post",
            "raised_settings": dict(RAISED),
            "first_poll_backlog": backlog,
            "end_to_end_account_poll": {
                "measured": "fans.ingest.account_poll: statuses/mentions, comments/to_me, comments/mentions over "
                            f"HTTP, storing, routing ({self.rules} rules), scoring, cursors",
                "items_per_second_median": {store: rate(store) for store in self.stores},
                "rounds": rounds,
            },
            "storage_only_items_store": self.storage_only(account),
        }

    def burst(self, seed: int) -> int:
        """A negative spike played at SPIKE_SPEED: released within a fraction of a second from now on.
        (Backfilled with "instant", a second burst would land below the cursor the first one moved.)"""
        run = self.http.post("/_sandbox/scenarios/negative_spike", json={
            "speed": SPIKE_SPEED, "size": self.args.ingest, "account": int(CS_UID), "seed": seed,
        }).raise_for_status().json()
        deadline = time.monotonic() + 30
        while not run["done"]:
            if time.monotonic() > deadline:
                sys.exit(f"the sandbox did not release the burst within 30 s: {run}")
            time.sleep(0.1)
            run = next(r for r in self.http.get("/_sandbox/scenarios").raise_for_status().json()["runs"]
                       if r["run"] == run["run"])
        return run["released"]

    def storage_only(self, account) -> dict:
        """One more burst read once over HTTP (the poll's own reading code), then stored into each store."""
        from django.db import transaction

        from fans import ingest
        from fans.models import IngestCursor
        from positioning.weibo import account_client

        released = self.burst(2000)
        self.use("small")
        client = account_client(account=account)
        fetched, fetch_seconds = [], 0.0
        for source in ingest.POLLED:
            cursor = IngestCursor.objects.get(account=account, source=source)
            started = time.perf_counter()
            items, *_rest = ingest._read_down(client, source, cursor, ingest.PollResult(source), first_poll=False)
            fetch_seconds += time.perf_counter() - started
            fetched.append(items)
        count = sum(len(items) for items in fetched)
        figures = {"measured": "fans.ingest.items_store on items read beforehand (one transaction per source)",
                   "released_on_sandbox": released, "read": count, "read_seconds": round(fetch_seconds, 3),
                   "read_items_per_second": round(count / fetch_seconds, 1)}
        for store in self.stores:
            self.use(store)
            started = time.perf_counter()
            stored = 0
            for items in fetched:
                with transaction.atomic():
                    stored += len(ingest.items_store(account=account, incoming=items))
            seconds = time.perf_counter() - started
            figures[store] = {"stored": stored, "seconds": round(seconds, 3),
                              "items_per_second": round(stored / seconds, 1) if stored else None}
        return figures

    # --- the run ----------------------------------------------------------------------------------
    def __call__(self) -> dict:
        from django.test.utils import override_settings, setup_test_environment

        args = self.args
        self.open_items = min(OPEN_ITEMS, args.small // 5)
        self.environment()
        import django

        django.setup()
        setup_test_environment()  # the test client records the templates a page rendered
        # Production serves hashed static files from collectstatic's manifest, which a bench run has not
        # built; plain static storage renders the same template work.
        self.stack.enter_context(override_settings(STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}))
        self.seed()
        self.load()
        say("measuring the inbox")
        started = time.monotonic()
        inbox = self.measure()
        self.wall["inbox_measure"] = time.monotonic() - started
        past_goal = [name for name, figure in inbox.items() if not figure["goal_met"]]
        slower_in_db = [name for name, figure in inbox.items() if figure["database_ratio"] > GOAL_RATIO]
        plans = self.explain(list(dict.fromkeys(["first_page", "filter_combined", *past_goal, *slower_in_db])))
        started = time.monotonic()
        ingest = self.ingest()
        self.wall["ingest"] = time.monotonic() - started
        self.wall["total"] = time.monotonic() - self.started
        return {
            "database": "postgresql", "goal": f"large page time <= {GOAL_RATIO} x small page time (medians)",
            "sizes": self.sizes,
            "generated": {
                "accounts": 4, "fans": FANS, "open_items": self.open_items,
                "history": "closed, answered, created_at uniform over 365 days",
                "open": "created in the last 72 h (most in the last hours), a third answered; the same at both sizes",
                "kinds": "comment 45 %, mention 30 %, comment_mention 7 %, message 13 %, follow 5 %",
                "assigned": "20 %", "tags": "70 % of complaints 投诉, 8 % 配送/质量/建议/表扬, 2 % 意见领袖",
                "tickets": "5 % of complaints; history ones resolved, 70 % of those told back to the fan",
                "text_chars_median": statistics.median(self.text_lengths),
                "texts": f"{TEXTS} from weibo_sandbox.corpus (complaint, praise, question, neutral; private messages)",
            },
            "page_size": 50, "repeat": args.repeat, "deep_page_depth": self.deep_depth,
            "filters_combined": self.filters,
            "reads": {name: READS[name] for name in inbox},
            "inbox": inbox,
            "goal_met_all": not past_goal, "past_goal": past_goal,
            "explain_large": plans,
            "ingest": ingest,
            "wall_seconds": {k: round(v, 1) for k, v in self.wall.items()},
        }


class DatabaseTimer:
    """An execute wrapper adding up the time spent in the database (psycopg2 fetches rows on execute)."""

    seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def describe(plan: dict, text: list[str]) -> dict:
    """The top node, whether an index reads fans_interaction (the table paged through), every index and
    sequential scan in the plan, and the text plan without its per-worker and cache counters."""
    indexes, scans, on_items = [], [], []

    def walk(node: dict, heap: str = "") -> None:
        # A bitmap index scan names no table: its Bitmap Heap Scan above it does.
        relation = node.get("Relation Name") or heap
        if "Index Name" in node:
            indexes.append(node["Index Name"])
            if relation == "fans_interaction":
                on_items.append(node["Index Name"])
        if node["Node Type"] in ("Seq Scan", "Parallel Seq Scan"):
            scans.append(node["Relation Name"])
        below = relation if node["Node Type"] in ("Bitmap Heap Scan", "BitmapAnd", "BitmapOr") else ""
        for child in node.get("Plans", []):
            walk(child, below)

    top = plan["Plan"]
    walk(top)
    noise = ("Buffers", "Planning", "Execution", "Worker ", "Cache Key", "Cache Mode", "Hits:", "Heap Blocks")
    return {"top_node": top["Node Type"], "index_used_on_fans_interaction": bool(on_items),
            "fans_interaction_indexes": list(dict.fromkeys(on_items)), "all_indexes": list(dict.fromkeys(indexes)),
            "seq_scans": list(dict.fromkeys(scans)), "execution_ms": round(plan["Execution Time"], 2),
            "plan": [line for line in text if not line.strip().startswith(noise)]}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000, help="interactions in the small store")
    parser.add_argument("--large", type=int, default=1_000_000, help="interactions in the large store")
    parser.add_argument("--repeat", type=int, default=25, help="timed rounds per read and store")
    parser.add_argument("--ingest", type=int, default=1000, help="items per burst on the sandbox (at most 5000)")
    parser.add_argument("--ingest-rounds", type=int, default=3, help="bursts polled end to end")
    parser.add_argument("--keep-logs", action="store_true", help="keep the run folder (process logs) and say where")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 2,000 and 20,000 items, 3 rounds, one burst of 200")
    args = parser.parse_args()
    if args.quick:
        args.small, args.large, args.repeat, args.ingest, args.ingest_rounds = 2_000, 20_000, 3, 200, 1
    if not 1000 <= args.small < args.large:
        parser.error("--small must be at least 1000 and below --large")
    if not 1 <= args.ingest <= 5000 or min(args.repeat, args.ingest_rounds) < 1:
        parser.error("--ingest must be 1-5000, --repeat and --ingest-rounds at least 1")
    return args


def main() -> None:
    publish.run_and_print(Bench, parse_args(), "inbox", default=str)


if __name__ == "__main__":
    main()
