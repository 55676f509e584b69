"""/healthz: are the database, the broker, a worker and beat alive, and do tasks go through?"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import BEAT_HEARTBEAT_KEY, QUEUE_HEARTBEAT_KEY, WORKER_HEARTBEAT_KEY, app

logger = logging.getLogger(__name__)


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _check_broker() -> dict:
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        # The kind of broker (filesystem, redis), also for a transport subclass such as weibo_ops.broker's.
        transport = conn.transport.driver_type
    return {"ok": True, "transport": transport}


def _check_heartbeat(key: str, what: str) -> dict:
    seen = cache.get(key)
    if seen is None:
        return {"ok": False, "error": f"no {what} has reported since the cache was last cleared"}
    age = timezone.now().timestamp() - float(seen)
    ok = age <= settings.HEARTBEAT_STALE_AFTER.total_seconds()
    result = {"ok": ok, "last_seen_seconds_ago": round(age, 1)}
    if not ok:
        result["error"] = f"the {what} last reported {int(age)} s ago"
    return result


CHECKS = {
    "database": _check_database,
    "broker": _check_broker,
    "worker": lambda: _check_heartbeat(WORKER_HEARTBEAT_KEY, "worker"),
    "beat": lambda: _check_heartbeat(BEAT_HEARTBEAT_KEY, "beat"),
    # beat -> broker -> worker: a scheduled heartbeat task was run recently.
    "tasks": lambda: _check_heartbeat(QUEUE_HEARTBEAT_KEY, "scheduled task"),
}


@never_cache
@require_GET
def healthz(request):
    checks: dict[str, dict] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            result = check()
        except Exception as exc:  # a health check reports failures; it does not raise them
            # /healthz is public: the kind of failure only; the details (hosts, users) go to the log.
            logger.warning("health check %s failed", name, exc_info=True)
            result = {"ok": False, "error": f"{type(exc).__name__}: {name} is unreachable or failing"}
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        checks[name] = result
    down = [name for name, result in checks.items() if not result["ok"]]
    body = {"status": "ok" if not down else "down", "down": down, "checks": checks}
    return JsonResponse(body, status=200 if not down else 503)
