"""Lateness of posts due at the same moment, through the real publishing engine under faults.

1,000 posts due at one instant across 150 matrix accounts, published by two real Celery workers on
PostgreSQL and Redis, with beat dispatching as in production, to a local Weibo sandbox that answers
5 % of API calls with a 5xx and cuts the connection of another 5 % (a dropped write is stored and its
answer lost). Prints JSON: p50/p99/max lateness after the due time (when the sandbox stored the post,
read from the status id to the millisecond) for targets within the rate budget, with and without a
fault on their way; copies on the sandbox beyond the first (duplicates, must be 0); targets neither
published nor in a stated state (lost, must be 0); targets moved by the rate budget (the sandbox,
like Weibo, refuses a 6th post within a minute from one account with 20016 and an hour's block, so
the engine paces each account to CONTENT_POSTS_PER_MINUTE and moves the rest by a minute; a 20016 or
an exhausted hourly budget moves a target further). Progress goes to stderr.

Starts a private PostgreSQL (initdb/pg_ctl) and Redis in a temporary folder unless DATABASE_URL and
REDIS_URL are given (then a fresh database is created on that server and dropped at the end; give it
a Redis nobody else uses), the sandbox, the workers and the dispatcher, and stops all of them at the
end, on failure and on Ctrl-C.

    .venv/bin/python bench/publish.py [--posts 1000] [--accounts 150] [--workers 2] [--concurrency 8]
        [--pool threads] [--dispatcher beat|loop] [--error-rate 0.05] [--drop-rate 0.05] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CELERY = [sys.executable, "-m", "celery", "-A", "weibo_ops", "--quiet"]
# Weibo's normal tier per account and hour (settings' defaults), written out so the run says what it used.
RATE_LIMITS = "calls=150,posts=30,comments=60,messages=60,ip=10000"
RIP = "203.0.113.5"  # the approver's IP sent with every post (TEST-NET-3)
SANDBOX_APP = {"WEIBO_APP_KEY": "sandbox-app-key", "WEIBO_APP_SECRET": "sandbox-app-secret"}  # its public defaults
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never followed: the code is read from the Location header
SETTLED_AHEAD = timedelta(minutes=5)  # a target due later than this waits on a rate limit or a backoff
SHARE_PATH = "/2/statuses/share.json"
TIMELINE_PAGE = 100  # statuses per user_timeline page
SERIAL = re.compile(r"编号(\d+)")
# Phrases the post texts are put together from. Weibo (and the sandbox) refuse as a duplicate a post
# whose 3-grams overlap 90 % with an earlier one of the same account, so an account's posts differ in
# every slot; the lengths are coprime so that no two of an account's first 1,430 posts share a triple.
OPENERS = ["早安！", "周末愉快，", "今天天气转凉，", "新品上架啦：", "牧场直播预告，", "会员日福利：", "感谢一路相伴，",
           "夏日清爽提醒，", "冬日暖心推荐，", "工厂开放日："]
MIDDLES = ["鲜牧低温鲜奶今晨六点灌装", "酸奶新口味桂花乌龙正式开卖", "牧场奶牛今天多吃了两斤苜蓿",
           "冷链车凌晨准时抵达门店", "儿童成长奶配方升级完成", "高蛋白纯牛奶回归货架", "牧场小牛犊满月了",
           "每一瓶都经过十八项检测", "门店自提点扩展到四十个城市", "燕麦奶咖啡限定款上市", "奶酪棒新增原味和草莓味"]
CLOSERS = ["欢迎来店里尝尝", "评论区说说你的口味", "转给爱喝奶的朋友", "记得冷藏保存哦", "明天见", "祝你元气满满",
           "我们在牧场等你", "点击链接了解详情", "下单前看看配送范围", "家里小朋友喜欢吗", "谢谢每一位老朋友",
           "工作日也要好好吃早餐", "营养师在线答疑"]


STARTED = time.monotonic()


NOWHERE = "http://127.0.0.1:9"  # the discard port: for benches in which nothing calls Weibo


def offline_environment(*, database_url: str, redis_url: str, run_dir: Path) -> dict[str, str]:
    """The app's settings for a bench that measures pages and services without calling Weibo: the private
    PostgreSQL and Redis, production-like settings, fresh secrets, and a Weibo address that answers nothing."""
    from cryptography.fernet import Fernet

    return dict(
        DATABASE_URL=database_url, REDIS_URL=redis_url, WEIBO_OPS_VAR_DIR=str(run_dir / "var"), DEBUG="0",
        SECURE_SSL_REDIRECT="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="127.0.0.1,testserver",
        WEIBO_TOKEN_KEYS=Fernet.generate_key().decode(), LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="weibo_ops.settings", **SANDBOX_APP,
        WEIBO_API_URL=NOWHERE, WEIBO_BIZ_API_URL=f"{NOWHERE}/c.api.weibo.com")


def say(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post_text(serial: int, *, nth: int, account: int, domain: str) -> str:
    """The ``nth`` post of an account: unique, no #topic#, one link on the safe domain."""
    return (f"{OPENERS[nth % len(OPENERS)]}{MIDDLES[(3 * nth + account) % len(MIDDLES)]}，"
            f"{CLOSERS[(5 * nth + 2 * account) % len(CLOSERS)]}。编号{serial:05d} https://{domain}/p/{serial}")


def pace_ranks() -> dict[int, int]:
    """{target id: how many targets of its account come before it}: the dispatcher's order."""
    from content.models import PostTarget

    rank: dict[int, int] = {}
    per_account: Counter = Counter()
    for pk, account_id in PostTarget.objects.order_by("pk").values_list("pk", "account_id"):
        rank[pk], per_account[account_id] = per_account[account_id], per_account[account_id] + 1
    return rank


def waiting_kind(tried: list, *, paced: bool) -> str:
    """Why a target still waits at the end: the engine's pace, a rate limit, or a backoff (late, not lost)."""
    if paced:
        return "paced_to_a_later_minute"
    if tried[-1].outcome == "rate_limited":
        return "moved_by_rate_budget"
    return "retrying_later"


def percentiles(values: list[float]) -> dict:
    """Nearest-rank p50/p99 and the maximum, in seconds."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return round(ordered[max(math.ceil(q * len(ordered)) - 1, 0)], 3)

    return {"n": len(ordered), "p50": rank(0.50), "p99": rank(0.99), "max": round(ordered[-1], 3)}


def stop_process(process: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM to the child's whole group (prefork children too), SIGKILL after ``grace`` seconds."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def stored_at(status_id: int) -> datetime:
    """When the sandbox stored a status: its ids count milliseconds (``weibo_sandbox.platform.id_at``)."""
    from weibo_sandbox.platform import ID_BASE, ID_EPOCH, ID_SLOTS_PER_MS

    return datetime.fromtimestamp(ID_EPOCH + (status_id - ID_BASE) // ID_SLOTS_PER_MS / 1000, UTC)



def drop_at_exit(stack: contextlib.ExitStack, admin, name: str) -> None:
    """Drop database ``name`` (and close the ``admin`` connection that made it) when the run ends."""

    def drop() -> None:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    stack.callback(drop)

class Run:
    """One benchmark run: its folder, its servers and processes (stopped by ``stack``), and its figures."""

    def __init__(self, args: argparse.Namespace, stack: contextlib.ExitStack, run_dir: Path):
        self.args, self.stack, self.run_dir = args, stack, run_dir
        self.logs = run_dir / "logs"
        self.logs.mkdir()
        self.started = time.monotonic()
        self.engine: list[subprocess.Popen] = []  # workers and beat: stopped before the sandbox is read
        self.stop_loop = threading.Event()

    # --- processes and servers ------------------------------------------------------------------
    def start(self, name: str, command: list, *, grace: float = 20) -> subprocess.Popen:
        """A child in its own session (Ctrl-C reaches only us, and we stop it), output in logs/NAME.log."""
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen([str(part) for part in command], cwd=ROOT, env=os.environ.copy(), stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.stack.callback(log.close)
        self.stack.callback(stop_process, process, grace)
        return process

    def log_tail(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-2000:]

    def postgres(self) -> str:
        if os.environ.get("DATABASE_URL"):
            return self.fresh_database(os.environ["DATABASE_URL"])
        say("starting a private PostgreSQL")
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
        pg_ctl = found[-1] if found else shutil.which("pg_ctl")
        if not pg_ctl:
            sys.exit("PostgreSQL is not installed (no pg_ctl): install it or give DATABASE_URL.")
        pg_bin, data, sock = Path(pg_ctl).parent, self.run_dir / "pg", self.run_dir / "pg-sock"
        data.mkdir()
        sock.mkdir()
        as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            user = "postgres" if shutil.which("id") and subprocess.run(
                ["id", "postgres"], capture_output=True, check=False).returncode == 0 else "nobody"
            as_user = ["runuser", "-u", user, "--"]
            self.run_dir.chmod(0o755)
            for folder in (data, sock):
                shutil.chown(folder, user)
        port = free_port()
        subprocess.run([*as_user, pg_bin / "initdb", "-D", data, "-U", "weibo", "--auth=trust", "-E", "UTF8",
                        "--no-locale"], check=True, capture_output=True)
        options = (f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=200")
        subprocess.run([*as_user, pg_bin / "pg_ctl", "-D", data, "-l", sock / "pg.log", "-w", "-t", "60", "-o",
                        options, "start"], check=True, capture_output=True)
        self.stack.callback(subprocess.run, [*as_user, pg_bin / "pg_ctl", "-D", data, "-m", "immediate", "-w",
                                             "stop"], capture_output=True, check=False)
        subprocess.run([*as_user, pg_bin / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "weibo",
                        "weibo_ops"], check=True, capture_output=True)
        return f"postgres://weibo@127.0.0.1:{port}/weibo_ops"

    def fresh_database(self, url: str) -> str:
        """A new database beside the one ``url`` names, dropped at the end: the run touches no data."""
        import psycopg2

        parsed = urlparse(url)
        name = f"{parsed.path.lstrip('/') or 'weibo_ops'}_bench_{os.getpid()}"
        admin = psycopg2.connect(url)
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        drop_at_exit(self.stack, admin, name)
        say(f"using a fresh database {name} on the given server")
        return urlunparse(parsed._replace(path=f"/{name}"))

    def redis(self) -> str:
        if os.environ.get("REDIS_URL"):
            return os.environ["REDIS_URL"]
        port = free_port()
        process = self.start("redis", ["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no", "--dir", self.run_dir], grace=5)
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, check=False).stdout \
                != b"PONG\n":
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"Redis did not start:\n{self.log_tail('redis')}")
            time.sleep(0.1)
        return f"redis://127.0.0.1:{port}/0"

    def sandbox(self) -> str:
        import httpx

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        process = self.start("sandbox", [sys.executable, "-m", "weibo_sandbox", "serve", "--port", port,
                                         "--seed", "7"], grace=10)
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"the sandbox did not start:\n{self.log_tail('sandbox')}")
            try:
                httpx.get(f"{url}/_sandbox/health", timeout=1).raise_for_status()
                return url
            except httpx.HTTPError:
                time.sleep(0.2)

    def environment(self) -> None:
        """Servers up, and the environment every process of the run (this one too) reads its settings from."""
        from cryptography.fernet import Fernet

        database_url, redis_url = self.postgres(), self.redis()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        os.environ.update(
            DATABASE_URL=database_url, REDIS_URL=redis_url, WEIBO_OPS_VAR_DIR=str(self.run_dir / "var"),
            WEIBO_RATE_LIMITS=self.args.rate_limits, WEIBO_SERVER_IP=f"bench-{os.getpid()}", **SANDBOX_APP,
            # Production mode: DEBUG=1 would keep every query of the workers in memory.
            DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="127.0.0.1",
            WEIBO_TOKEN_KEYS=Fernet.generate_key().decode(), LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="weibo_ops.settings",
        )
        if self.args.dispatch_seconds is not None:
            os.environ["CONTENT_DISPATCH_SECONDS"] = str(max(round(self.args.dispatch_seconds), 1))
        self.sandbox_url = self.sandbox()
        os.environ["WEIBO_API_URL"] = self.sandbox_url
        os.environ["WEIBO_BIZ_API_URL"] = f"{self.sandbox_url}/c.api.weibo.com"

    # --- the engine -----------------------------------------------------------------------------
    def seed(self) -> None:
        import httpx
        from django.core.management import call_command
        from django.db import connections

        from content.models import Pillar
        from positioning.models import Account, Brand, Purpose
        from team.models import User

        self.stack.callback(connections.close_all)  # before the database is dropped or stopped
        say("migrating a fresh database")
        call_command("migrate", verbosity=0)
        say(f"creating {self.args.accounts} accounts and connecting each through the sandbox's OAuth")
        self.brand = Brand.objects.create(name="鲜牧乳业")
        self.author = User.objects.create_user(username="bench", password=secrets.token_urlsafe(16))
        self.pillar = Pillar.objects.create(brand=self.brand, name="产品")
        self.accounts = Account.objects.bulk_create(
            Account(brand=self.brand, name=f"鲜牧网点{n:03d}", purpose=Purpose.REGION, region=f"网点 {n}")
            for n in range(self.args.accounts))
        with httpx.Client(base_url=self.sandbox_url, timeout=30) as http:
            for account in self.accounts:
                self.connect(http, account)

    @staticmethod
    def connect(http, account) -> None:
        """The OAuth2 flow a person goes through (as ``weibo_sandbox --connect-demo`` drives it), with the
        callback URL written out: consent at the sandbox, then the callback page's service."""
        from positioning.weibo import weibo_connect_finish, weibo_connect_start

        uid = http.post("/_sandbox/accounts", json={"screen_name": account.name}).raise_for_status().json()["uid"]
        start = weibo_connect_start(account=account, redirect_uri=REDIRECT_URI)
        form = {key: values[0] for key, values in parse_qs(urlparse(start.url).query).items()}
        answer = http.post("/oauth2/authorize", data=form | {"uid": str(uid), "action": "allow"})
        code = parse_qs(urlparse(answer.headers.get("location", "")).query).get("code")
        if answer.status_code != 302 or not code:
            sys.exit(f"the sandbox did not authorise {account.name}: HTTP {answer.status_code} {answer.text[:200]}")
        weibo_connect_finish(account=account, code=code[0], redirect_uri=REDIRECT_URI, by=None)

    def start_engine(self) -> None:
        from django.conf import settings

        from weibo_ops.celery import app

        args = self.args
        self.dispatch_seconds = args.dispatch_seconds or settings.CONTENT_DISPATCH_SECONDS
        say(f"starting {args.workers} workers ({args.pool}, concurrency {args.concurrency}) and the dispatcher "
            f"({args.dispatcher}, every {self.dispatch_seconds} s)")
        for n in range(1, args.workers + 1):
            self.engine.append(self.start(f"worker{n}", [
                *CELERY, "worker", "--loglevel", "WARNING", "--pool", args.pool, "--concurrency", args.concurrency,
                "--hostname", f"bench{n}@%h"]))
        if args.dispatcher == "beat":
            self.engine.append(self.start("beat", [*CELERY, "beat", "--loglevel", "WARNING", "--schedule",
                                                   self.run_dir / "beat-schedule"]))
        else:
            self.stack.callback(self.stop_loop.set)
            threading.Thread(target=self.dispatch_loop, name="dispatcher", daemon=True).start()
        deadline = time.monotonic() + 60
        while sum(name.startswith("bench") for reply in app.control.ping(timeout=1.0) for name in reply) < args.workers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.engine):
                sys.exit(f"the workers did not answer a ping within 60 s:\n{self.log_tail('worker1')}")

    def dispatch_loop(self) -> None:
        """What beat does, from this process: the task's own code, run here, queueing through Redis."""
        from django.db import connection

        from content.tasks import targets_dispatch

        try:
            while not self.stop_loop.wait(self.dispatch_seconds):
                targets_dispatch.apply()
        finally:
            connection.close()

    def schedule(self) -> None:
        """Every post due at one whole second a little ahead; then the faults are switched on."""
        import httpx
        from django.conf import settings

        from content.models import Post, PostState, PostTarget, TargetState

        n = self.args.accounts
        self.due = (datetime.now(UTC) + timedelta(seconds=self.args.lead + 1)).replace(microsecond=0)
        domain = settings.WEIBO_SAFE_DOMAIN
        self.posts = Post.objects.bulk_create(
            Post(brand=self.brand, pillar=self.pillar, created_by=self.author, state=PostState.APPROVED,
                 text=post_text(serial, nth=serial // n, account=serial % n, domain=domain))
            for serial in range(self.args.posts))
        PostTarget.objects.bulk_create(
            PostTarget(post=post, account=self.accounts[serial % n], state=TargetState.SCHEDULED,
                       scheduled_at=self.due, next_attempt_at=self.due, rip=RIP)
            for serial, post in enumerate(self.posts))
        self.faults = {"error_rate": self.args.error_rate, "drop_rate": self.args.drop_rate,
                       "paths": [SHARE_PATH] if self.args.fault_paths == "share" else []}
        httpx.post(f"{self.sandbox_url}/_sandbox/faults", json=self.faults, timeout=10).raise_for_status()
        say(f"{self.args.posts} posts due at {self.due.astimezone().strftime('%H:%M:%S')}; faults {self.faults}")

    def wait(self) -> None:
        """Until every target is published, in a final state or waiting far ahead (rate limit, backoff)."""
        from django.db.models import Count

        from content.models import FINAL_STATES, PostTarget, TargetState

        done = [*FINAL_STATES, TargetState.NEEDS_REAUTH]
        waiting = [TargetState.SCHEDULED, TargetState.CONFIRMING]
        self.wall_due = time.monotonic() + (self.due - datetime.now(UTC)).total_seconds()
        deadline = self.due + timedelta(seconds=self.args.timeout)
        self.settled_after = None
        last = ""
        while True:
            now = datetime.now(UTC)
            # Waiting past the time limit (a rate limit, a long backoff) counts as settled: it is stated.
            remaining = PostTarget.objects.exclude(state__in=done).exclude(
                state__in=waiting, next_attempt_at__gt=min(now + SETTLED_AHEAD, deadline)).count()
            states = dict(PostTarget.objects.values_list("state").annotate(n=Count("pk")).order_by())
            line = " ".join(f"{state} {count}" for state, count in sorted(states.items()))
            if line != last:
                say(f"t{time.monotonic() - self.wall_due:+.0f}s {line}; {remaining} not settled")
                last = line
            if remaining == 0 and now > self.due:
                self.settled_after = time.monotonic() - self.wall_due
                break
            if time.monotonic() - self.wall_due > self.args.timeout:
                say(f"{remaining} targets not settled {self.args.timeout:.0f} s after the due time; stopping")
                break
            time.sleep(1.0)
        self.end = datetime.now(UTC)
        self.waited = time.monotonic() - self.wall_due

    def stop_engine(self) -> None:
        import httpx

        httpx.delete(f"{self.sandbox_url}/_sandbox/faults", timeout=10).raise_for_status()
        self.stop_loop.set()
        for process in self.engine:
            stop_process(process)
        say("dispatcher and workers stopped, faults off")

    # --- the figures ----------------------------------------------------------------------------
    def sandbox_copies(self) -> dict[tuple[int, int], list[int]]:
        """(account id, serial) → ids of the statuses with that serial on the account's sandbox timeline."""
        import httpx

        from positioning.models import WeiboConnection

        say("reading every account's timeline on the sandbox")
        copies: dict[tuple[int, int], list[int]] = defaultdict(list)
        with httpx.Client(base_url=self.sandbox_url, timeout=30) as http:
            for connection in WeiboConnection.objects.all():
                max_id = None
                while True:
                    params = {"count": TIMELINE_PAGE, **({"max_id": max_id} if max_id else {})}
                    reply = http.get("/2/statuses/user_timeline.json", params=params,
                                     headers={"Authorization": f"OAuth2 {connection.access_token}"})
                    reply.raise_for_status()
                    statuses = reply.json()["statuses"]
                    for status in statuses:
                        if found := SERIAL.search(status["text"]):
                            copies[(connection.account_id, int(found.group(1)))].append(int(status["id"]))
                    if len(statuses) < TIMELINE_PAGE:
                        break
                    max_id = int(statuses[-1]["id"]) - 1
        return copies

    def figures(self) -> dict:
        from django.conf import settings
        from django.db import connection

        from content.models import FINAL_STATES, PostTarget, PublishAttempt, TargetState

        copies = self.sandbox_copies()
        serials = {post.pk: serial for serial, post in enumerate(self.posts)}
        history: dict[int, list] = defaultdict(list)
        for attempt in PublishAttempt.objects.order_by("started_at", "pk"):
            history[attempt.target_id].append(attempt)
        late: dict[str, list[float]] = defaultdict(list)
        parts: dict[str, list[float]] = defaultdict(list)
        targets, moved, lost = Counter(), Counter(), []
        published, missing, states = set(), 0, {}
        # The engine paces each account to CONTENT_POSTS_PER_MINUTE (Weibo's 20016 costs an hour): beyond
        # that many targets of one account due in the same minute, a target is moved by the budget.
        rank = pace_ranks()
        for target in PostTarget.objects.all():
            tried, key = history[target.pk], (target.account_id, serials[target.post_id])
            paced = rank[target.pk] >= settings.CONTENT_POSTS_PER_MINUTE
            if paced:
                moved["paced_to_posts_per_minute"] += 1
            states[key] = target.state
            if target.state == TargetState.PUBLISHED:
                targets["published"] += 1
                published.add(key)
                mid = int(target.mid) if target.mid.isdigit() else None
                if mid not in copies.get(key, []):
                    missing += 1
                    continue
                seconds = (stored_at(mid) - self.due).total_seconds()
                late["all_published"].append(seconds)
                if paced or any(a.outcome == "rate_limited" for a in tried):
                    continue
                late["within_budget"].append(seconds)
                clean = len(tried) == 1 and tried[0].action == "share"
                late["within_budget_no_fault" if clean else "within_budget_after_fault"].append(seconds)
                if clean:  # where its time went: waiting to be claimed, then the call to Weibo
                    parts["due_to_claimed"].append((target.claimed_at - self.due).total_seconds())
                    parts["share_call"].append((tried[0].finished_at - tried[0].started_at).total_seconds())
                known = next(a.finished_at for a in reversed(tried) if a.outcome in ("published", "found"))
                late["within_budget_confirmed"].append((known - self.due).total_seconds())
            elif target.state in FINAL_STATES or target.state == TargetState.NEEDS_REAUTH:
                targets[f"final_{target.state}"] += 1
            elif target.state in (TargetState.SCHEDULED, TargetState.CONFIRMING) and target.next_attempt_at \
                    and target.next_attempt_at > self.end and tried:
                kind = waiting_kind(tried, paced=paced)
                targets[kind] += 1
                if kind == "moved_by_rate_budget":
                    moved[f"weibo_{tried[-1].error_code}" if tried[-1].error_code else "own_budget"] += 1
            else:
                lost.append({"target": target.pk, "state": target.state, "next_attempt_at": str(target.next_attempt_at),
                             "calls": [f"{a.action}:{a.outcome}" for a in tried]})
        calls = Counter(f"{a.action}:{a.outcome}" for tried in history.values() for a in tried)
        # How long the engine took to make its first call for every target: its pace on this machine.
        firsts = [tried[0].started_at for tried in history.values() if tried]
        burst = (max(firsts) - self.due).total_seconds() if firsts else None
        if self.args.dump:
            self.dump(copies, history, serials)
        return {
            "setup": {
                "posts": self.args.posts, "accounts": self.args.accounts, "workers": self.args.workers,
                "pool": self.args.pool, "concurrency": self.args.concurrency, "database": connection.vendor,
                "broker": "redis", "dispatcher": f"{self.args.dispatcher} every {self.dispatch_seconds} s",
                "faults": self.faults, "weibo_rate_limits_per_hour": settings.WEIBO_RATE_LIMITS,
                "sandbox_burst_rule": "a 6th post within 60 s from one account: 20016 (Weibo: back off 1 h)",
                "engine_pace_posts_per_minute": settings.CONTENT_POSTS_PER_MINUTE,
                "due_at": self.due.isoformat(),
            },
            "lateness_seconds": {
                "measured": "when the sandbox stored the post (its id, in ms) minus the due time; "
                            "within_budget_confirmed: when the engine knew (share answered or look-up found it)",
                **{name: percentiles(late[name]) for name in (
                    "within_budget", "within_budget_no_fault", "within_budget_after_fault",
                    "within_budget_confirmed", "all_published")},
                "no_fault_parts": {name: percentiles(values) for name, values in parts.items()},
            },
            "first_call_for_every_target_seconds_after_due": round(burst, 1) if burst else None,
            "first_calls_per_second": round(len(firsts) / burst, 1) if burst else None,
            "duplicates_on_sandbox": sum(len(ids) - 1 for ids in copies.values()),
            "lost_targets": len(lost),
            "moved_by_rate_budget": sum(moved.values()),
            "moved_by": dict(moved),
            "targets": dict(targets),
            "on_sandbox_but_not_published_here": dict(Counter(states[key] for key in copies if key not in published)),
            "published_here_but_not_on_sandbox": missing,
            "lost_examples": lost[:10],
            "weibo_calls_by_outcome": dict(sorted(calls.items())),
            "settled_seconds_after_due": round(self.settled_after, 1) if self.settled_after is not None else None,
            "wall_seconds": {"setup": round(self.setup_seconds, 1), "due_to_settled": round(self.waited, 1),
                             "total": round(time.monotonic() - self.started, 1)},
        }

    def dump(self, copies: dict, history: dict, serials: dict) -> None:
        from content.models import PostTarget

        with open(self.args.dump, "w") as out:
            for target in PostTarget.objects.all():
                ids = copies.get((target.account_id, serials[target.post_id]), [])
                out.write(json.dumps({
                    "target": target.pk, "account": target.account_id, "state": target.state,
                    "claimed": (target.claimed_at - self.due).total_seconds() if target.claimed_at else None,
                    "stored": [(stored_at(i) - self.due).total_seconds() for i in ids],
                    "calls": [[a.action, a.outcome, a.error_code, (a.started_at - self.due).total_seconds(),
                               (a.finished_at - self.due).total_seconds()] for a in history[target.pk]],
                }) + "\n")

    def __call__(self) -> dict:
        self.environment()
        import django

        django.setup()
        self.seed()
        self.start_engine()
        self.setup_seconds = time.monotonic() - self.started
        self.schedule()
        self.wait()
        self.stop_engine()
        return self.figures()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000, help="posts due at the same moment, one target each")
    parser.add_argument("--accounts", type=int, default=150, help="matrix accounts they are spread over")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=8, help="threads (or processes) per worker")
    parser.add_argument("--pool", default="threads", choices=["threads", "prefork"])
    parser.add_argument("--dispatcher", default="beat", choices=["beat", "loop"],
                        help="beat: celery beat sends content.targets_dispatch as in production; "
                             "loop: this process runs that task's code every --dispatch-seconds")
    parser.add_argument("--dispatch-seconds", type=float, default=None,
                        help="dispatcher period (default CONTENT_DISPATCH_SECONDS, 2 s; beat takes whole seconds)")
    parser.add_argument("--error-rate", type=float, default=0.05, help="share of API calls answered with a 5xx")
    parser.add_argument("--drop-rate", type=float, default=0.05, help="share of API calls whose connection is cut")
    parser.add_argument("--fault-paths", default="all", choices=["all", "share"],
                        help="faults on every /2/ call (look-ups too) or on statuses/share only")
    parser.add_argument("--lead", type=float, default=5.0, help="seconds from creating the posts to their due time")
    parser.add_argument("--timeout", type=float, default=150.0, help="seconds after the due time to wait at most")
    parser.add_argument("--rate-limits", default=RATE_LIMITS, help="WEIBO_RATE_LIMITS for the run")
    parser.add_argument("--dump", type=Path, help="write each target's timeline (seconds after due) as JSON lines")
    parser.add_argument("--keep-logs", action="store_true", help="keep the run folder (process logs) and say where")
    parser.add_argument("--quick", action="store_true", help="smoke test: 40 posts over 8 accounts")
    args = parser.parse_args()
    if args.quick:
        args.posts, args.accounts, args.concurrency, args.timeout = 40, 8, 4, 120.0
    if min(args.posts, args.accounts, args.workers, args.concurrency) < 1:
        parser.error("--posts, --accounts, --workers and --concurrency must be at least 1")
    return args


def run_and_print(runner, args: argparse.Namespace, name: str, **dumps) -> None:
    """Run ``runner(args, stack, run_dir)()`` in a temporary folder and print its figures as JSON.

    Ctrl-C and SIGTERM end the run through the exit stack, which stops every child. (A shell starts a
    background job with SIGINT ignored; Python then keeps it so.)"""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run_dir = Path(tempfile.mkdtemp(prefix=f"weibo-ops-bench-{name}-"))
    try:
        with contextlib.ExitStack() as stack:
            if not args.keep_logs:
                stack.callback(shutil.rmtree, run_dir, ignore_errors=True)
            result = runner(args, stack, run_dir)()
    except KeyboardInterrupt:
        say("interrupted; every process of the run is stopped")
        sys.exit(130)
    if args.keep_logs:
        say(f"logs kept in {run_dir / 'logs'}")
    print(json.dumps(result, indent=2, ensure_ascii=False, **dumps))


def main() -> None:
    run_and_print(Run, parse_args(), "publish")


if __name__ == "__main__":
    main()
