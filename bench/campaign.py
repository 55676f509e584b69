"""Campaigns on PostgreSQL: harvest storing rate, the draw over 100 k eligible participants, the report page at
1 M reposts against 10 k, and an independent re-run of the draw from the published data.

- **harvest**: reposts stored per second through the harvest's storing step, ``campaigns.harvest.entries_store``
  (pages of 200 reposts, one transaction each: new entries and their place in the repost tree, the roll-ups
  ``CampaignStats``/``CampaignDay`` added to, the participants and their fans added); no HTTP.
- **draw**: ``campaign_commit_seed`` then ``campaign_draw`` end to end (``participants_evaluate`` over every
  entry and participant with the followers given, the published list, the draw, the winners stored) on a
  campaign of 110 k participants, the 100 k who follow eligible.
- **report**: the report page (``/campaigns/<pk>/report/``, through Django's test client as the manager) of a
  campaign with 10 k reposts and of one with 1 M reposts in the same database (entries made with INSERT ...
  SELECT generate_series, the roll-ups as the harvest keeps them, participants a tenth of the reposts),
  in interleaved rounds; the goal is large ÷ small ≤ 1.5, because the report reads roll-ups, not entries.
- **verified**: the published verification data read from the public API, written to files, and
  ``manage.py verify_draw`` run as a subprocess with no database in its environment; true when it exits 0
  and prints exactly the stored winners.

Starts a private PostgreSQL and Redis in a temporary folder (bench/publish.py's helpers) unless DATABASE_URL
and REDIS_URL are given (then a fresh database is made on that server and dropped at the end; give a Redis
database nobody else uses: the draw's notice task is sent there and no worker takes it). Progress goes to
stderr, one JSON object to stdout.

    .venv/bin/python bench/campaign.py [--small 10000] [--large 1000000] [--draw 100000] [--harvest 20000]
        [--repeat 15] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import publish  # bench/publish.py: its private PostgreSQL, children in their own sessions
from publish import ROOT, say

GOAL_RATIO = 1.5
PAGE = 200  # reposts per page of repost_timeline: what one storing step receives


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000, help="reposts of the small campaign")
    parser.add_argument("--large", type=int, default=1_000_000, help="reposts of the large campaign")
    parser.add_argument("--draw", type=int, default=100_000, help="participants of the drawn campaign")
    parser.add_argument("--harvest", type=int, default=20_000, help="reposts stored through the storing step")
    parser.add_argument("--winners", type=int, default=10, help="winners drawn")
    parser.add_argument("--repeat", type=int, default=15, help="report pages per size")
    parser.add_argument("--keep-logs", action="store_true", help="keep the run folder and say where")
    parser.add_argument("--quick", action="store_true", help="smoke test: small sizes")
    args = parser.parse_args()
    if args.quick:
        args.small, args.large, args.draw, args.harvest, args.repeat = 2000, 50_000, 5000, 2000, 5
    return args


def store_page(campaign_id: int, entries: list) -> int:
    """The harvest's storing step for one page (``campaigns.harvest.entries_store``, in its transaction)."""
    from django.db import transaction

    from campaigns.harvest import entries_store

    with transaction.atomic():
        return len(entries_store(campaign_id=campaign_id, entries=entries, users={}))


class Bench:
    def __init__(self, args: argparse.Namespace, stack: contextlib.ExitStack, run_dir: Path):
        self.args, self.stack, self.run_dir = args, stack, run_dir
        self.servers = publish.Run(args, stack, run_dir)
        self.wall: dict[str, float] = {}

    def environment(self) -> None:
        self.database_url = self.servers.postgres()
        # No worker runs; the draw still sends its "tell the winners" task to the broker on commit. Nothing here
        # calls Weibo (the followers are given to the draw).
        os.environ.update(publish.offline_environment(database_url=self.database_url, redis_url=self.servers.redis(),
                                                      run_dir=self.run_dir))

    def seed(self) -> None:
        from django.core.management import call_command
        from django.utils import timezone

        from positioning.models import Account, Brand
        from team.models import User

        say("migrating and seeding the demo brand")
        call_command("migrate", verbosity=0)
        call_command("seed_demo", quiet=True)
        self.brand = Brand.objects.get(name="鲜牧乳业")
        self.account = Account.objects.filter(brand=self.brand).order_by("pk").first()
        self.manager = User.objects.get(username="manager")
        self.now = timezone.now()  # one moment: the two measured campaigns start together, neither is "earlier"

    def campaign(self, title: str, *, days_ago: float, kind: str = "repost_prize", **fields):
        from campaigns import services

        start = self.now - timedelta(days=days_ago)
        return services.campaign_create(brand=self.brand, by=self.manager, title=title, kind=kind,
                                        lead=self.manager, accounts=[self.account], starts_at=start,
                                        ends_at=start + timedelta(days=7), **fields)

    def fill(self, campaign, reposts: int, participants: int) -> None:
        """Entries, participants and the roll-ups the harvest would have kept, in SQL."""
        from django.db import connection

        span = 7 * 24 * 3600
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO campaigns_entry (campaign_id, kind, platform_id, status_id, parent_id, depth, uid,"
                " screen_name, text, posted_at, mentions, has_picture, followers)"
                " SELECT %s, 'repost', (%s::bigint + g)::text, '4999000000', '',"
                "  1 + (g %% 4 = 0)::int + (g %% 20 = 0)::int, (1000000000 + g %% %s)::text, 'u' || (g %% %s),"
                "  '转发抽奖 #鲜牧#', %s + make_interval(secs => (g::float8 * %s / %s)), 0, false, g %% 500"
                " FROM generate_series(1, %s) g",
                [campaign.pk, campaign.pk * 10**10, participants, participants, campaign.starts_at, span, reposts,
                 reposts])
            cursor.execute(
                "INSERT INTO campaigns_participant (campaign_id, uid, screen_name, first_entry_at, first_entry_id,"
                " entries, followers, ruled_eligible, reasons, eligible, override_reason)"
                " SELECT %s, (1000000000 + g)::text, 'u' || g, %s, g::text, 1, g %% 500, g %% 3 <> 0, '[]',"
                "  g %% 3 <> 0, '' FROM generate_series(0, %s - 1) g",
                [campaign.pk, campaign.starts_at, participants])
            cursor.execute(
                "UPDATE campaigns_campaignstats s SET reposts = a.n, second_level = a.deep, max_depth = a.longest,"
                " reach = a.reach, updated_at = now(), excluded = '{\"hunter\": 1, \"not_following\": 2}'"
                " FROM (SELECT count(*) n, count(*) FILTER (WHERE depth >= 2) deep, max(depth) longest,"
                "  sum(followers) reach FROM campaigns_entry WHERE campaign_id = %s) a WHERE s.campaign_id = %s",
                [campaign.pk, campaign.pk])
            cursor.execute(
                "INSERT INTO campaigns_campaignday (campaign_id, day, reposts, second_level, comments, posts)"
                " SELECT %s, (posted_at AT TIME ZONE 'Asia/Shanghai')::date, count(*),"
                "  count(*) FILTER (WHERE depth >= 2), 0, 0 FROM campaigns_entry WHERE campaign_id = %s GROUP BY 2",
                [campaign.pk, campaign.pk])
            cursor.execute(
                "INSERT INTO campaigns_code (campaign_id, channel, code, redeemed_at, redemption_id, redeemed_where,"
                " created_at) SELECT %s, CASE WHEN g %% 2 = 0 THEN '瓶盖' ELSE '海报' END, 'B' || %s || '-' || g,"
                "  CASE WHEN g %% 5 = 0 THEN now() END, CASE WHEN g %% 5 = 0 THEN 'R' || %s || '-' || g END, '',"
                "  now() FROM generate_series(1, 1000) g",
                [campaign.pk, campaign.pk, campaign.pk])

    def load(self) -> None:
        from django.db import connection

        from campaigns import services

        say(f"loading campaigns of {self.args.small:,} and {self.args.large:,} reposts")
        started = time.monotonic()
        for i in range(3):  # the brand's history: the report compares with these
            earlier = self.campaign(f"往期活动 {i + 1}", days_ago=200 - 30 * i)
            self.fill(earlier, 5000, 500)
        self.small = self.campaign("小活动", days_ago=20)
        self.large = self.campaign("大活动", days_ago=20)
        for campaign in (self.small, self.large):
            services.campaign_goals_set(campaign=campaign, by=self.manager,
                                        targets={"second_level": 1000, "participants": 500, "redemptions": 100})
        self.fill(self.small, self.args.small, max(self.args.small // 10, 1))
        self.fill(self.large, self.args.large, max(self.args.large // 10, 1))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        self.wall["load"] = time.monotonic() - started

    def page_times(self) -> dict:
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = Client()
        client.force_login(self.manager, backend="django.contrib.auth.backends.ModelBackend")
        times: dict[str, list[float]] = {"small": [], "large": []}
        queries: dict[str, int] = {}
        for campaign in (self.small, self.large):  # warm up
            response = client.get(f"/campaigns/{campaign.pk}/report/")
            if response.status_code != 200:
                sys.exit(f"the report page answered {response.status_code}: {response.content[:2000]!r}")
        for _round in range(self.args.repeat):
            for name, campaign in (("small", self.small), ("large", self.large)):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(f"/campaigns/{campaign.pk}/report/")
                    times[name].append(time.perf_counter() - started)
                assert response.status_code == 200, response.status_code
                queries[name] = len(captured.captured_queries)
                if any("campaigns_entry" in q["sql"] for q in captured.captured_queries):
                    sys.exit("the report read the entries table")
        small, large = statistics.median(times["small"]), statistics.median(times["large"])
        return {"small_reposts": self.args.small, "large_reposts": self.args.large,
                "small_ms": round(small * 1000, 1), "large_ms": round(large * 1000, 1),
                "ratio": round(large / small, 2), "goal": GOAL_RATIO, "goal_met": large / small <= GOAL_RATIO,
                "queries": queries, "participants_per_repost": 0.1}

    def harvest(self) -> dict:
        from django.utils import timezone

        from campaigns.models import Entry

        campaign = self.campaign("采集速度", days_ago=3)
        n = self.args.harvest
        say(f"storing {n:,} reposts in pages of {PAGE}")
        start = timezone.now() - timedelta(days=2)
        pages = [[Entry(campaign_id=campaign.pk, kind="repost", platform_id=str(7 * 10**12 + i),
                        status_id="4999000001", depth=1 + (i % 4 == 0), uid=str(3 * 10**9 + i % (n // 2 or 1)),
                        screen_name=f"h{i % (n // 2 or 1)}", text="转发抽奖", posted_at=start + timedelta(seconds=i),
                        followers=i % 700) for i in range(first, min(first + PAGE, n))]
                 for first in range(0, n, PAGE)]
        started = time.perf_counter()
        stored = sum(store_page(campaign.pk, page) for page in pages)
        seconds = time.perf_counter() - started
        path = "campaigns.harvest.entries_store"
        return {"reposts": stored, "seconds": round(seconds, 2), "reposts_per_second": round(stored / seconds),
                "page": PAGE, "storing_step": path}

    def draw(self) -> dict:
        from django.db import connection
        from django.utils import timezone

        from campaigns import services
        from campaigns.models import Participant

        eligible_wanted = self.args.draw
        n = eligible_wanted + eligible_wanted // 10  # and a tenth more who do not follow: excluded
        campaign = self.campaign("十万人抽奖", days_ago=10, winners_count=self.args.winners, rule_follow=True)
        say(f"drawing {self.args.winners} winners among {eligible_wanted:,} eligible of {n:,} participants")
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO campaigns_entry (campaign_id, kind, platform_id, status_id, parent_id, depth, uid,"
                " screen_name, text, posted_at, mentions, has_picture, followers)"
                " SELECT %s, 'repost', (8000000000000 + g)::text, '4999000002', '', 1, (4000000000 + g)::text,"
                "  'd' || g, '转发', %s, 0, false, 10 FROM generate_series(0, %s - 1) g",
                [campaign.pk, campaign.starts_at + timedelta(hours=1), n])
            cursor.execute(
                "INSERT INTO campaigns_participant (campaign_id, uid, screen_name, first_entry_at, first_entry_id,"
                " entries, followers, ruled_eligible, reasons, eligible, override_reason)"
                " SELECT %s, (4000000000 + g)::text, 'd' || g, %s, (8000000000000 + g)::text, 1, 10, false, '[]',"
                "  false, '' FROM generate_series(0, %s - 1) g",
                [campaign.pk, campaign.starts_at + timedelta(hours=1), n])
            cursor.execute("ANALYZE campaigns_participant; ANALYZE campaigns_entry")
        followers = {str(4000000000 + g) for g in range(eligible_wanted)}
        services.campaign_commit_seed(campaign=campaign, by=self.manager)
        campaign.refresh_from_db()
        started = time.perf_counter()
        winners = services.campaign_draw(campaign=campaign, by=self.manager, followers=followers,
                                         now=max(campaign.ends_at, timezone.now()) + timedelta(minutes=1))
        seconds = time.perf_counter() - started
        self.drawn = campaign
        eligible = Participant.objects.filter(campaign=campaign, eligible=True).count()
        return {"participants": n, "eligible": eligible, "winners": len(winners), "seconds": round(seconds, 2)}

    def verified(self) -> dict:
        from django.test import Client

        from campaigns.models import Winner

        data = Client().get(f"/api/v1/campaigns/campaigns/{self.drawn.pk}/verification/").json()
        folder = self.run_dir / "published"
        folder.mkdir()
        (folder / "participants.txt").write_text(data["participants"], encoding="utf-8")
        (folder / "winners.txt").write_text("".join(f"{uid}\n" for uid in data["winners"]), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env["WEIBO_OPS_VAR_DIR"] = str(self.run_dir / "verify-var")  # an empty folder: no data at all
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "manage.py", "verify_draw", "--participants", folder / "participants.txt",
             "--seed", data["seed"], "--winners", str(data["winners_count"]), "--commitment", data["seed_hash"],
             "--digest", data["participants_digest"], "--expect-winners", folder / "winners.txt"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
        printed = re.findall(r"^\s+\d+\. (\d+)$", result.stdout, flags=re.MULTILINE)
        stored = list(Winner.objects.filter(campaign=self.drawn).order_by("rank")
                      .values_list("participant__uid", flat=True))
        if result.returncode:
            say(f"verify_draw said:\n{result.stdout}\n{result.stderr}")
        return {"ok": result.returncode == 0 and printed == stored, "exit": result.returncode,
                "seconds": round(time.perf_counter() - started, 2), "winners": len(printed)}

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
        harvest = self.harvest()
        self.load()
        say("timing the report pages")
        report = self.page_times()
        draw = self.draw()
        say("re-running the draw from the published data with manage.py verify_draw")
        verification = self.verified()
        return {"harvest": harvest, "draw": draw, "report": report, "verification": verification,
                "harvest_reposts_per_second": harvest["reposts_per_second"], "draw_seconds": draw["seconds"],
                "report_ratio": report["ratio"], "verified": verification["ok"],
                "wall_seconds": {k: round(v, 1) for k, v in self.wall.items()}}


def main() -> None:
    publish.run_and_print(Bench, parse_args(), "campaign", default=str)


if __name__ == "__main__":
    main()
