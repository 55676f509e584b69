"""How the account-matrix pages scale with the size of the matrix.

A large brand runs 150+ accounts from one back end (DOMAIN.md, duty 1). This renders the matrix
page, the dashboard and the account list of the API for a manager and for an operator with a
grant on every account, on the demo matrix (4 accounts) and on a 160-account matrix, side by
side in one run, and prints the timings, query counts and the large/small ratio as JSON.

    .venv/bin/python bench/matrix.py [--accounts 160] [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=160, help="accounts in the large matrix")
    parser.add_argument("--repeat", type=int, default=15, help="renders per page and size")
    args = parser.parse_args()

    os.environ.setdefault("WEIBO_OPS_VAR_DIR", tempfile.mkdtemp(prefix="weibo-ops-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weibo_ops.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    call_command("seed_demo", quiet=True)

    from positioning import services
    from positioning.access import Action
    from positioning.models import Account, Brand
    from team.models import User

    manager, operator = User.objects.get(username="manager"), User.objects.get(username="operator")
    pages = {"matrix": "/positioning/", "dashboard": "/", "api_accounts": "/api/v1/positioning/accounts/?page_size=200"}

    def measure() -> dict:
        result = {}
        for who in (manager, operator):
            client = Client()
            client.force_login(who, backend="django.contrib.auth.backends.ModelBackend")
            for name, url in pages.items():
                client.get(url)  # warm up
                times = []
                for _ in range(args.repeat):
                    with CaptureQueriesContext(connection) as queries:
                        started = time.perf_counter()
                        response = client.get(url)
                        times.append(time.perf_counter() - started)
                    assert response.status_code == 200, (name, response.status_code)
                result[f"{who.username}.{name}"] = {
                    "median_ms": round(statistics.median(times) * 1000, 2), "queries": len(queries)}
        return result

    small = measure()
    brand = Brand.objects.get(name="鲜牧乳业")
    for n in range(args.accounts - Account.objects.count()):
        account = services.account_create(by=manager, brand=brand, name=f"鲜牧{n:03d}网点", purpose="region",
                                          region=f"网点 {n}")
        services.account_member_set(account=account, user=operator, actions={Action.DRAFT, Action.REPLY},
                                    by=manager)
    large = measure()
    print(json.dumps({
        "database": connection.vendor,
        "accounts": {"small": 4, "large": Account.objects.count()},
        "repeat": args.repeat,
        "small": small,
        "large": large,
        "time_ratio_large_over_small": {k: round(large[k]["median_ms"] / small[k]["median_ms"], 2) for k in small},
        "queries_small_vs_large": {k: [small[k]["queries"], large[k]["queries"]] for k in small},
    }, indent=2))


if __name__ == "__main__":
    main()
