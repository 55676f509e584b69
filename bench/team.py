"""Scorecards on PostgreSQL: the scorecard page for a brand of 150 accounts × 1 year of activity against one of
4 accounts × 1 month, in the same database.

- **load**: two brands besides the demo one, their accounts (a third regional), playbooks, target circles,
  published posts (3 per account a day, a fifth of them reposts), their repost trees (campaign entries for a
  tenth of the posts), fans (a tenth of them naming a circle in their profile), inbox items (10 per account a
  day: three quarters answered, a third closed) with each (account, fan)'s first interaction as the ingest
  keeps it, and crisis incidents (2 a day, each with one step), all with INSERT ... SELECT generate_series.
- **pages**: the scorecard page (``/reports/scorecard/``, the real view through Django's test client as the
  manager) of the last 30 days, brand-wide and for one account, of the large brand and of the small one, in
  interleaved rounds; the goal is large ÷ small ≤ 1.5 and the same number of queries at both sizes.

Starts a private PostgreSQL and Redis in a temporary folder (bench/publish.py's helpers) unless DATABASE_URL
and REDIS_URL are given (then a fresh database is made on that server and dropped at the end). Progress goes
to stderr, one JSON object to stdout.

    .venv/bin/python bench/team.py [--accounts 150] [--days 365] [--small-accounts 4] [--small-days 30]
        [--repeat 9] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import publish  # bench/publish.py: its private PostgreSQL, children in their own sessions
from publish import say

GOAL_RATIO = 1.5
POSTS_A_DAY = 3  # per account
ITEMS_A_DAY = 10  # inbox items per account
INCIDENTS_A_DAY = 2  # per brand
PERIOD_DAYS = 30  # the scorecard's period: the last 30 days


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=150, help="accounts of the large brand")
    parser.add_argument("--days", type=int, default=365, help="days of activity of the large brand")
    parser.add_argument("--small-accounts", type=int, default=4, help="accounts of the small brand")
    parser.add_argument("--small-days", type=int, default=30, help="days of activity of the small brand")
    parser.add_argument("--repeat", type=int, default=9, help="pages per size and scope")
    parser.add_argument("--keep-logs", action="store_true", help="keep the run folder and say where")
    parser.add_argument("--quick", action="store_true", help="smoke test: small sizes")
    args = parser.parse_args()
    if args.quick:
        args.accounts, args.days, args.repeat = 20, 60, 3
    return args


def insert_series(model, n: int, exprs: dict[str, str], source: str | None = None) -> None:
    """``n`` rows of ``model`` in one INSERT ... SELECT: the columns in ``exprs`` as those SQL expressions of the
    series number ``g`` (``%%`` for modulo), every other column its field's default (``now()`` for automatic
    times, NULL where the field allows it and has none). ``source`` replaces the series (it must name ``g``)."""
    from django.db import connection

    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(f'"{field.column}"')
        if field.column in exprs:
            values.append(exprs[field.column])
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append("now()")
        elif field.null and not field.has_default():
            values.append("NULL")
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    source = source or f"generate_series(0, {n} - 1) g"
    with connection.cursor() as cursor:
        cursor.execute(f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) '  # noqa: S608 - our own SQL
                       f"SELECT {', '.join(values)} FROM {source}", params)


class Bench:
    def __init__(self, args: argparse.Namespace, stack: contextlib.ExitStack, run_dir: Path):
        self.args, self.stack, self.run_dir = args, stack, run_dir
        self.servers = publish.Run(args, stack, run_dir)
        self.wall: dict[str, float] = {}

    def environment(self) -> None:
        os.environ.update(publish.offline_environment(database_url=self.servers.postgres(),
                                                      redis_url=self.servers.redis(), run_dir=self.run_dir))

    def seed(self) -> None:
        from django.core.management import call_command
        from django.utils import timezone

        from team.models import User

        say("migrating and seeding the demo brand")
        call_command("migrate", verbosity=0)
        call_command("seed_demo", quiet=True)
        self.manager = User.objects.get(username="manager")
        self.now = timezone.now()

    def brand(self, name: str, accounts: int, days: int, serial: int) -> dict:
        """A brand and its accounts' activity of ``days`` days up to now; ``serial`` keeps Weibo ids apart."""
        from django.db import connection

        from campaigns.models import Campaign, Entry
        from content.models import Pillar, Post, PostTarget
        from fans.models import AccountFan, Fan, Interaction
        from positioning.models import Account, Brand, PlaybookVersion, TargetCircle
        from sentiment.models import Incident, IncidentTask

        brand = Brand.objects.create(name=name)
        made = Account.objects.bulk_create([
            Account(brand=brand, name=f"{name}{i:03d}", purpose="region" if i % 3 == 0 else "product",
                    region=f"城{i}" if i % 3 == 0 else "") for i in range(accounts)])
        first = made[0].pk
        if [a.pk for a in made] != list(range(first, first + accounts)):
            sys.exit("the accounts' ids are not consecutive: the SQL below assumes they are")
        PlaybookVersion.objects.bulk_create([
            PlaybookVersion(account=a, number=1, content_mix=[{"pillar": "产品", "per_day": POSTS_A_DAY}])
            for a in made])
        TargetCircle.objects.bulk_create([TargetCircle(account=a, name=f"{name}圈{i}-{k}")
                                          for i, a in enumerate(made) for k in range(2)])
        pillar = Pillar.objects.create(brand=brand, name="产品")
        now = f"'{self.now.isoformat()}'::timestamptz"
        posts = accounts * days * POSTS_A_DAY
        per_day = accounts * POSTS_A_DAY
        say(f"{name}: {accounts} accounts × {days} days: {posts:,} posts, {accounts * days * ITEMS_A_DAY:,} items")
        insert_series(Post, posts, {
            "brand_id": str(brand.pk), "pillar_id": str(pillar.pk), "created_by_id": str(self.manager.pk),
            "text": f"'新品 城' || (g %% {accounts})", "is_original": "g %% 5 <> 0", "state": "'approved'"})
        low = Post.objects.filter(brand=brand).order_by("pk").values_list("pk", flat=True).first()
        published = f"{now} - make_interval(secs => (g::float8 / {per_day}) * 86400)"
        insert_series(PostTarget, posts, {
            "post_id": "pid", "account_id": f"{first} + g %% {accounts}", "state": "'published'",
            "scheduled_at": published, "published_at": published, "mid": f"({serial} * 10^12 + g)::bigint::text",
            "reposts": "g %% 50", "comments": "g %% 20", "attitudes": "g %% 100"},
            source=f"(SELECT id AS pid, id - {low} AS g FROM content_post WHERE brand_id = {brand.pk}) s")  # noqa: S608
        campaign = Campaign.objects.create(brand=brand, title="转发", kind="repost", lead=self.manager,
                                           created_by=self.manager, starts_at=self.now - timedelta(days=days),
                                           ends_at=self.now)
        reposts = posts // 10 * 4  # a tenth of the posts, 4 reposts each: 1 direct, 3 of the second level
        insert_series(Entry, reposts, {
            "campaign_id": str(campaign.pk), "kind": "'repost'",
            "platform_id": f"({serial + 1} * 10^12 + g)::bigint::text",
            "status_id": f"({serial} * 10^12 + (g / 4) * 10)::bigint::text", "depth": "1 + (g %% 4 <> 0)::int",
            "uid": "(g %% 5000)::text", "posted_at": now})
        fans = max(accounts * 300, 2000)
        insert_series(Fan, fans, {
            "uid": f"({serial + 2} * 10^12 + g)::bigint::text", "influence": "g %% 100",
            "description": f"CASE WHEN g %% 10 = 0 THEN '{name}圈' || (g %% {accounts}) || '-0' ELSE '' END",
            "first_seen_at": f"{now} - make_interval(days => g %% {days})"})
        low_fan = Fan.objects.filter(uid__startswith=str(serial + 2)).order_by("pk").values_list("pk", flat=True)[0]
        items = accounts * days * ITEMS_A_DAY
        created = f"{now} - make_interval(secs => (g::float8 / {accounts * ITEMS_A_DAY}) * 86400 + 60)"
        insert_series(Interaction, items, {
            "account_id": f"{first} + g %% {accounts}", "kind": "'comment'", "source": "'comments_to_me'",
            "object_type": "'comment'", "platform_id": f"({serial + 3} * 10^12 + g)::bigint::text",
            "fan_id": f"{low_fan} + (g::bigint * 7919) %% {fans}", "created_at": created, "thread_key": "'t' || g",
            "needs_answer": "true", "state": "CASE WHEN g %% 3 = 0 THEN 'closed' ELSE 'open' END",
            "first_response_at": f"CASE WHEN g %% 4 <> 0 THEN {created} + make_interval(mins => g %% 120) END",
            "closed_at": f"CASE WHEN g %% 3 = 0 THEN {created} + make_interval(mins => 200 + g %% 300) END"})
        # What the ingest keeps beside the items it stores (fans.ingest.fan_accounts_record): each pair's first.
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{AccountFan._meta.db_table}" (account_id, fan_id, first_interaction_at) '  # noqa: S608
                "SELECT account_id, fan_id, min(created_at) FROM fans_interaction WHERE account_id BETWEEN %s AND %s "
                "GROUP BY account_id, fan_id", [first, first + accounts - 1])
        incidents = days * INCIDENTS_A_DAY
        insert_series(Incident, incidents, {
            "brand_id": str(brand.pk), "title": "'事件' || g",
            "opened_at": f"{now} - make_interval(secs => (g::float8 / {INCIDENTS_A_DAY}) * 86400)"})
        insert_series(IncidentTask, incidents, {
            "incident_id": "iid", "key": "'k'", "title": "'声明'", "owner_id": str(self.manager.pk),
            "due_at": "opened + interval '1 hour'",
            "done_at": "CASE WHEN iid %% 3 <> 0 THEN opened + make_interval(mins => (iid %% 90)::int) END"},
            source=f"(SELECT id AS iid, opened_at AS opened FROM sentiment_incident WHERE brand_id = {brand.pk}) s")  # noqa: S608
        return {"brand": brand, "account": made[-1], "accounts": accounts, "days": days, "posts": posts,
                "items": items, "fans": fans, "reposts": reposts, "incidents": incidents}

    def load(self) -> None:
        from django.db import connection

        started = time.monotonic()
        self.large = self.brand("大品牌", self.args.accounts, self.args.days, 10)
        self.small = self.brand("小品牌", self.args.small_accounts, self.args.small_days, 20)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        self.wall["load"] = time.monotonic() - started

    def page_times(self) -> dict:
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        client = Client()
        client.force_login(self.manager, backend="django.contrib.auth.backends.ModelBackend")
        end = timezone.localdate()
        period = {"start": (end - timedelta(days=PERIOD_DAYS - 1)).isoformat(), "end": end.isoformat()}
        pages = {}
        for size, data in (("large", self.large), ("small", self.small)):
            pages[f"{size}_brand"] = {"brand": data["brand"].pk, **period}
            pages[f"{size}_account"] = {"account": data["account"].pk, **period}
        for name, query in pages.items():  # warm up, and check the figures are there
            response = client.get("/reports/scorecard/", query)
            if response.status_code != 200:
                sys.exit(f"the scorecard answered {response.status_code} for {name}: {response.content[:2000]!r}")
        times: dict[str, list[float]] = {name: [] for name in pages}
        queries: dict[str, int] = {}
        figures: dict[str, dict] = {}
        slowest: list[dict] = []
        for _round in range(self.args.repeat):
            for name, query in pages.items():
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get("/reports/scorecard/", query)
                    times[name].append(time.perf_counter() - started)
                assert response.status_code == 200, response.status_code
                queries[name] = len(captured.captured_queries)
                figures[name] = {f.code: f.value for f in response.context["figures"]}
                if name == "large_brand":
                    slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:6]
        ms = {name: round(statistics.median(values) * 1000, 1) for name, values in times.items()}
        # Where the large brand's page spends its time (the last round): what an index or a roll-up would help.
        result = {"ms": ms, "queries": queries, "figures": figures,
                  "large_brand_slowest": [{"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:300]}
                                          for q in slowest]}
        for scope in ("brand", "account"):
            ratio = ms[f"large_{scope}"] / ms[f"small_{scope}"]
            result[f"{scope}_ratio"] = round(ratio, 2)
            result[f"{scope}_goal_met"] = ratio <= GOAL_RATIO
            result[f"{scope}_queries_equal"] = queries[f"large_{scope}"] == queries[f"small_{scope}"]
        return result

    def __call__(self) -> dict:
        from django.test.utils import override_settings, setup_test_environment

        self.environment()
        import django

        django.setup()
        setup_test_environment()
        self.stack.enter_context(override_settings(STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}))
        self.seed()
        self.load()
        say("timing the scorecard pages")
        pages = self.page_times()
        sizes = {size: {k: v for k, v in data.items() if k not in ("brand", "account")}
                 for size, data in (("large", self.large), ("small", self.small))}
        return {"sizes": sizes, "period_days": PERIOD_DAYS, "goal": GOAL_RATIO, **pages,
                "wall_seconds": {k: round(v, 1) for k, v in self.wall.items()}}


def main() -> None:
    publish.run_and_print(Bench, parse_args(), "team", default=str)


if __name__ == "__main__":
    main()
