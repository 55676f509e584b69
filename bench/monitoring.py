"""Monitoring pipeline throughput on real Weibo texts, against bare jieba and with 10 vs 10,000 terms.

Runs real Weibo texts (UTF-8, one a line) through the whole pipeline into PostgreSQL, as a worker does:
``mentions_store`` + ``mentions_after_store`` per batch of SENTIMENT_PIPELINE_BATCH in one transaction
(deduplication, the Aho-Corasick matcher, jieba, the sentiment model, keywords, bulk writes, the alert
check and the cascade watch). Goals: the pipeline keeps at least half of bare ``jieba.lcut``'s rate on
the same texts (``jieba.lcut`` is the one step no pipeline can skip), and 10,000 keyword terms keep at
least 0.8 of the rate with 10.

The texts are made to match: two brands, each with 10 keyword groups. With 10 terms, group i's include
term is the file's i-th most frequent two-character word (jieba's cut); with 10,000, group i also holds
999 more of the file's most frequent words (9,990 in all), so every text is a real match candidate of
both. The items come in as @mentions (stored whether or not a group matches, as the inbox hands them
over), each with its own Weibo id per round. The three passes (bare jieba, 10 terms, 10,000 terms) run
side by side in interleaved rounds, their order rotating; the figures are medians. Before each pipeline
pass the mention tables are emptied (untimed), so that every pass stores into the same empty store
instead of folding its texts onto the previous round's copies. numpy runs on one core, like jieba.

Starts a private PostgreSQL in a temporary folder (bench/publish.py's helpers) unless DATABASE_URL is
given (then a fresh database is created on that server and dropped at the end); stops it at the end, on
failure and on Ctrl-C. Without --texts, the contents of SMP2020-EWECT usual_train (../shared/data) are
written to a texts file in the run folder; the JSON says which file was read. Progress goes to stderr,
one JSON object to stdout.

    .venv/bin/python bench/monitoring.py [--texts FILE] [--count 2000] [--rounds 5] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import secrets
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import publish  # bench/publish.py: its private PostgreSQL, the exit stack, the JSON printing
from publish import SANDBOX_APP, say

# One core, as jieba has: numpy reads these when it is first imported (by sentiment.classifier, later).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "sentiment" / "smp2020_ewect" / "usual_train.json"
GROUPS = 10  # keyword groups per brand, in both runs: only the number of terms differs
FEW, MANY = 10, 10_000  # include terms in all
WORDS_SEEN = 20_000  # distinct words counted before the terms are picked: enough to rank 10,000
PIPELINE_GOAL, TERMS_GOAL = 0.5, 0.8
PASSES = ("jieba", f"pipeline_{FEW}_terms", f"pipeline_{MANY}_terms")
UNUSED_PLATFORM = "http://127.0.0.1:9"  # the discard port: never called
MENTION_TABLES = ("sentiment_mention", "sentiment_alert", "sentiment_cascade")  # emptied before each pass


def is_word(token: str) -> bool:
    return len(token) >= 2 and all("\u4e00" <= c <= "\u9fff" for c in token)


class DatabaseTime:
    """Seconds spent in the database (connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


class Bench:
    def __init__(self, args: argparse.Namespace, stack: contextlib.ExitStack, run_dir: Path):
        self.args, self.stack, self.run_dir = args, stack, run_dir
        self.servers = publish.Run(args, stack, run_dir)  # postgres(): its private server or a fresh database
        self.started = time.monotonic()

    # --- set-up -------------------------------------------------------------------------------------
    def environment(self) -> None:
        from cryptography.fernet import Fernet

        database_url = self.servers.postgres()
        os.environ.pop("REDIS_URL", None)  # nothing here needs a broker: alerts are told in-app
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        os.environ.update(
            DATABASE_URL=database_url, WEIBO_OPS_VAR_DIR=str(self.run_dir / "var"),
            # Production mode: DEBUG=1 would keep every query in memory.
            DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="127.0.0.1",
            WEIBO_TOKEN_KEYS=Fernet.generate_key().decode(), LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="weibo_ops.settings",
            # Nothing here calls Weibo; production settings still want a platform to point at.
            WEIBO_API_URL=UNUSED_PLATFORM, WEIBO_BIZ_API_URL=UNUSED_PLATFORM, **SANDBOX_APP,
        )

    def read_texts(self) -> tuple[list[str], dict]:
        path = self.args.texts
        about: dict = {}
        if path is None:
            source = DEFAULT_SOURCE
            if not source.is_file():
                sys.exit(f"no --texts given and the default {source} is missing (shared/data beside the checkout)")
            contents = [" ".join(row["content"].split()) for row in json.loads(source.read_text("utf-8"))]
            path = self.run_dir / "texts.txt"
            path.write_text("\n".join(c for c in contents if c) + "\n", "utf-8")
            about["made_from"] = f"the 'content' of every row of {source} (SMP2020-EWECT usual_train)"
        lines = [line.strip() for line in Path(path).read_text("utf-8").splitlines()]
        texts = [line for line in lines if line]
        if len(texts) < 100:
            sys.exit(f"{path} holds {len(texts)} texts; the bench needs at least 100")
        used = texts[:self.args.count]
        about |= {"file": str(path), "texts_in_file": len(texts), "texts_per_pass": len(used),
                  "chars_median": statistics.median(len(t) for t in used),
                  "chars_total_per_pass": sum(len(t) for t in used)}
        return texts, about

    def pick_terms(self, texts: list[str]) -> tuple[list[str], list[str]]:
        """The file's most frequent words, counted over as many lines as it takes to see WORDS_SEEN of them."""
        import jieba

        counts: Counter = Counter()
        for start in range(0, len(texts), 1000):
            counts.update(w for text in texts[start:start + 1000] for w in jieba.lcut(text) if is_word(w))
            if len(counts) >= WORDS_SEEN:
                break
        two = [w for w, _n in counts.most_common() if len(w) == 2][:FEW]
        others = [w for w, _n in counts.most_common() if w not in two][:MANY - FEW]
        if len(others) < MANY - FEW:
            sys.exit(f"the file has only {len(counts)} distinct words; 10,000 terms need more text")
        return two, others

    def seed(self, few: list[str], others: list[str]) -> None:
        from django.core.management import call_command
        from django.db import connections

        from positioning.models import Brand
        from sentiment.alerts import monitoring_settings
        from sentiment.models import RuleGroup

        self.stack.callback(connections.close_all)  # before the database is dropped or stopped
        say("migrating a fresh database")
        call_command("migrate", verbosity=0)
        per_group = (MANY - FEW) // GROUPS
        self.brands = {}
        for name, extra in ((PASSES[1], [[] for _ in range(GROUPS)]),
                            (PASSES[2], [others[i * per_group:(i + 1) * per_group] for i in range(GROUPS)])):
            brand = Brand.objects.create(name=f"鲜牧乳业 {name}")
            RuleGroup.objects.bulk_create(
                RuleGroup(brand=brand, name=f"组{i}", include_terms=[few[i], *extra[i]], search_enabled=False)
                for i in range(GROUPS))
            monitoring_settings(brand)
            self.brands[name] = brand
        terms = {name: sum(len(g.include_terms) for g in RuleGroup.objects.filter(brand=b))
                 for name, b in self.brands.items()}
        assert terms == {PASSES[1]: FEW, PASSES[2]: MANY}, terms

    # --- the passes ---------------------------------------------------------------------------------
    def empty_store(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(MENTION_TABLES)} RESTART IDENTITY CASCADE")

    def jieba_pass(self, texts: list[str]) -> dict:
        import jieba

        gc.collect()
        started = time.perf_counter()
        tokens = 0
        for text in texts:
            tokens += len(jieba.lcut(text))
        seconds = time.perf_counter() - started
        return {"seconds": round(seconds, 3), "per_second": round(len(texts) / seconds, 1), "tokens": tokens}

    def pipeline_pass(self, name: str, texts: list[str], round_no: int) -> dict:
        from django.db import connection, transaction

        from sentiment.models import Alert, Mention, MentionSource
        from sentiment.pipeline import Raw, mentions_after_store, mentions_store

        brand = self.brands[name]
        self.empty_store()
        raws = [Raw(text=text, platform_id=f"{round_no}-{n}", author_uid=str(7_700_000_000 + n % 5000),
                    author_name=f"用户{n % 5000}") for n, text in enumerate(texts)]
        batch = self.args.batch
        new = copies = known = 0
        timer = DatabaseTime()
        gc.collect()
        started = time.perf_counter()
        with connection.execute_wrapper(timer):
            for first in range(0, len(raws), batch):
                with transaction.atomic():
                    result = mentions_store(brand=brand, source=MentionSource.MENTIONS, raws=raws[first:first + batch])
                    mentions_after_store(brand=brand, result=result)
                new, copies, known = new + len(result.new), copies + result.copies, known + result.known
        seconds = time.perf_counter() - started
        links = Mention.groups.through.objects.filter(mention__brand=brand).count()
        return {"seconds": round(seconds, 3), "per_second": round(len(texts) / seconds, 1),
                "database_share": round(timer.seconds / seconds, 3), "stored": new, "copies_folded": copies,
                "known": known, "group_links_per_mention": round(links / max(new, 1), 3),
                "matched_share": round(Mention.objects.filter(brand=brand, groups__isnull=False).distinct().count()
                                       / max(new, 1), 3),
                "alerts": Alert.objects.filter(brand=brand).count()}

    def run_pass(self, name: str, texts: list[str], round_no: int) -> dict:
        if name == "jieba":
            return self.jieba_pass(texts)
        return self.pipeline_pass(name, texts, round_no)

    # --- the run ------------------------------------------------------------------------------------
    def __call__(self) -> dict:
        self.environment()
        import django

        django.setup()
        import jieba

        jieba.setLogLevel(logging.WARNING)
        from django.conf import settings

        from sentiment.pipeline import warm_up

        if self.args.batch is None:
            self.args.batch = settings.SENTIMENT_PIPELINE_BATCH
        texts, about = self.read_texts()
        say(f"read {about['texts_in_file']} texts from {about['file']}; picking the terms")
        warm_up()  # jieba, its IDF table and the model, as a worker loads them when it starts
        few, others = self.pick_terms(texts)
        self.seed(few, others)
        used = texts[:self.args.count]
        say("warming up: the matchers are built and jieba learns the terms")
        for round_no, name in enumerate(PASSES[1:], start=1):
            self.pipeline_pass(name, used[:200], round_no)
        rounds: list[dict] = []
        for r in range(self.args.rounds):
            order = PASSES[r % 3:] + PASSES[:r % 3]
            figures = {}
            for name in order:
                figures[name] = self.run_pass(name, used, 10 + r)
            rounds.append({"order": list(order), **figures})
            say(f"round {r + 1}/{self.args.rounds}: " + ", ".join(
                f"{name} {figures[name]['per_second']:.0f}/s" for name in PASSES))
        return self.figures(rounds, about, few, others)

    def figures(self, rounds: list[dict], about: dict, few: list[str], others: list[str]) -> dict:
        from django.conf import settings

        def median(name: str) -> float:
            return round(statistics.median(r[name]["per_second"] for r in rounds), 1)

        bare, with_few, with_many = (median(name) for name in PASSES)
        last = rounds[-1]
        return {
            "database": "postgresql",
            "measured": "mentions_store + mentions_after_store per batch in one transaction, as @mentions: dedup, "
                        "matcher, jieba, sentiment model, keywords, bulk writes, alert check, cascade watch",
            "texts": about,
            "terms": {
                f"{FEW}_terms": f"{GROUPS} groups, one include term each: the file's most frequent 2-character "
                                f"words {few}",
                f"{MANY}_terms": f"the same {GROUPS} groups, each with {(MANY - FEW) // GROUPS} more of the file's "
                                 f"most frequent words (from {others[0]} on)",
            },
            "batch": self.args.batch, "rounds": len(rounds), "numpy_threads": 1,
            "jieba_lcut_texts_per_second_median": bare,
            "pipeline_mentions_per_second_median": {f"{FEW}_terms": with_few, f"{MANY}_terms": with_many},
            "pipeline_to_jieba_ratio": {"value": round(with_few / bare, 3), "goal": PIPELINE_GOAL,
                                        "goal_met": with_few / bare >= PIPELINE_GOAL},
            "many_to_few_terms_ratio": {"value": round(with_many / with_few, 3), "goal": TERMS_GOAL,
                                        "goal_met": with_many / with_few >= TERMS_GOAL},
            "last_round_store": {name: {k: v for k, v in last[name].items() if k not in ("seconds", "per_second")}
                                 for name in PASSES[1:]},
            "per_round_per_second": [{name: r[name]["per_second"] for name in r["order"]} for r in rounds],
            "settings": {"SENTIMENT_PIPELINE_BATCH": settings.SENTIMENT_PIPELINE_BATCH},
            "wall_seconds": round(time.monotonic() - self.started, 1),
        }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=Path, help="UTF-8 file, one Weibo text a line (default: SMP2020 usual_train)")
    parser.add_argument("--count", type=int, default=2000, help="texts per pass (the first of the file)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the three passes")
    parser.add_argument("--batch", type=int, help="raw items per transaction (default SENTIMENT_PIPELINE_BATCH)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the run folder and say where")
    parser.add_argument("--quick", action="store_true", help="smoke test: 500 texts, 2 rounds")
    args = parser.parse_args()
    if args.quick:
        args.count, args.rounds = 500, 2
    if args.count < 100 or args.rounds < 1 or (args.batch is not None and args.batch < 1):
        parser.error("--count must be at least 100, --rounds and --batch at least 1")
    if args.texts is not None and not args.texts.is_file():
        parser.error(f"--texts {args.texts} is not a file")
    return args


def main() -> None:
    publish.run_and_print(Bench, parse_args(), "monitoring")


if __name__ == "__main__":
    main()
