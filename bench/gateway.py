"""Calls per second through the Weibo client against the sandbox, with the rate-budget check on and off.

Every call the workers make spends from a shared hourly budget first (Redis when configured, the
database otherwise). This measures what that costs: the same read (users/show) through the real
client and real HTTP to a local sandbox, in interleaved rounds with the budget off, on the database
store and (when REDIS_URL is set) on the Redis store, and the cost of one budget check on its own.
Prints JSON: calls/s per mode, the on/off ratios, and microseconds per budget check.

    .venv/bin/python bench/gateway.py [--calls 300] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIG = 10**9  # budget limits that never refuse: we measure the check, not the refusal


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(port: int) -> subprocess.Popen:
    import httpx

    limits = ",".join(f"{k}={BIG}" for k in ("calls", "posts", "comments", "messages", "ip"))
    process = subprocess.Popen([sys.executable, "-m", "weibo_sandbox", "--port", str(port), "--limits", limits],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the sandbox did not start: {process.stderr.read().decode()[-2000:]}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=1).raise_for_status()
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    sys.exit("the sandbox did not answer within 30 s")


def authorise(url: str) -> str:
    import httpx

    from weibo_ops.weibo.client import WeiboOAuth

    oauth = WeiboOAuth.from_settings()
    redirect = "http://127.0.0.1:9/cb"
    start = oauth.authorize_url(redirect_uri=redirect, state="bench")
    form = {k: v[0] for k, v in parse_qs(urlparse(start).query).items()} | {"uid": "5500000001", "action": "allow"}
    code = parse_qs(urlparse(httpx.post(f"{url}/oauth2/authorize", data=form).headers["location"]).query)["code"][0]
    return oauth.exchange_code(code=code, redirect_uri=redirect).access_token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls per round and mode")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (the median is reported)")
    args = parser.parse_args()

    port = free_port()
    os.environ.setdefault("WEIBO_OPS_VAR_DIR", tempfile.mkdtemp(prefix="weibo-ops-bench-"))
    os.environ["WEIBO_API_URL"] = f"http://127.0.0.1:{port}"
    os.environ["WEIBO_BIZ_API_URL"] = f"http://127.0.0.1:{port}/c.api.weibo.com"
    os.environ["WEIBO_APP_KEY"], os.environ["WEIBO_APP_SECRET"] = "sandbox-app-key", "sandbox-app-secret"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weibo_ops.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from weibo_ops.weibo.budget import Budget, DatabaseStore, RedisStore
    from weibo_ops.weibo.client import Transport, WeiboClient

    call_command("migrate", verbosity=0)
    sandbox = start_sandbox(port)
    try:
        token = authorise(f"http://127.0.0.1:{port}")
        limits = dict.fromkeys(("calls", "posts", "comments", "messages", "ip"), BIG)
        stores = {"database": DatabaseStore()}
        if settings.REDIS_URL:
            stores["redis"] = RedisStore(settings.REDIS_URL)
        budgets = {name: Budget(limits=limits, server_ip=f"bench-{time.time_ns()}", store=store)
                   for name, store in stores.items()}
        transport = Transport(api_url=settings.WEIBO_API_URL, biz_url=settings.WEIBO_BIZ_API_URL)
        clients = {name: WeiboClient(token, scope="account:bench", budget=budget, transport=transport)
                   for name, budget in {"off": None, **budgets}.items()}

        def round_of(client) -> float:
            started = time.perf_counter()
            for _ in range(args.calls):
                client.user(uid="5500000001")
            return args.calls / (time.perf_counter() - started)

        for client in clients.values():  # warm connections, caches and the database file
            for _ in range(30):
                client.user(uid="5500000001")
        rates: dict[str, list[float]] = {name: [] for name in clients}
        for _ in range(args.rounds):
            for name, client in clients.items():
                rates[name].append(round_of(client))

        check_cost = {}
        for name, budget in budgets.items():
            started = time.perf_counter()
            for _ in range(2000):
                budget.spend("account:bench-check")
            check_cost[name] = round((time.perf_counter() - started) / 2000 * 1e6, 1)

        median = {name: round(statistics.median(values), 1) for name, values in rates.items()}
        print(json.dumps({
            "endpoint": "users/show through WeiboClient over HTTP to the local sandbox",
            "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            "calls_per_round": args.calls,
            "rounds": args.rounds,
            "calls_per_second_median": median,
            "calls_per_second_rounds": {name: [round(v, 1) for v in values] for name, values in rates.items()},
            "ratio_on_to_off": {name: round(median[name] / median["off"], 3) for name in budgets},
            "budget_check_microseconds_per_call": check_cost,
            "per_call_microseconds_median": {name: round(1e6 / value, 1) for name, value in median.items()},
        }, indent=2))
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


if __name__ == "__main__":
    main()
