"""The Celery application, and the heartbeats that /healthz reads.

The worker and beat each write a timestamp to the cache every ``HEARTBEAT_INTERVAL``, and beat
sends a heartbeat task that a worker runs, so that /healthz also knows that tasks go through the
broker. That is cheaper than a broadcast ping on every health check, and works the same on the
filesystem broker and on Redis.
"""

from __future__ import annotations

import logging
import os

from celery import Celery, bootsteps, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weibo_ops.settings")

logger = logging.getLogger(__name__)

app = Celery("weibo_ops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

WORKER_HEARTBEAT_KEY = "health:worker"
BEAT_HEARTBEAT_KEY = "health:beat"
QUEUE_HEARTBEAT_KEY = "health:queue"
HEARTBEAT_TASK = "weibo_ops.heartbeat"


def heartbeat_write(key: str) -> None:
    from django.core.cache import cache
    from django.utils import timezone

    try:
        cache.set(key, timezone.now().timestamp(), timeout=None)
    except Exception:  # a cache hiccup must never stop the worker or beat
        logger.warning("could not write the %s heartbeat", key, exc_info=True)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Writes the worker's heartbeat on the worker's own timer."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker):
        from django.conf import settings

        heartbeat_write(WORKER_HEARTBEAT_KEY)
        self.tref = worker.timer.call_repeatedly(
            settings.HEARTBEAT_INTERVAL.total_seconds(), heartbeat_write, (WORKER_HEARTBEAT_KEY,), priority=10
        )

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


app.steps["worker"].add(WorkerHeartbeat)


class _QuietHeartbeats(logging.Filter):
    """Beat sends, and the worker runs, a heartbeat every few seconds: logging each would bury the
    lines that matter."""

    def filter(self, record: logging.LogRecord) -> bool:
        return HEARTBEAT_TASK not in record.getMessage()


@signals.after_setup_logger.connect
def _quiet_heartbeats(logger, **kwargs):
    for handler in logger.handlers:
        handler.addFilter(_QuietHeartbeats())
