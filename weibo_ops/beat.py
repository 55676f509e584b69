"""Celery beat's scheduler: django-celery-beat's database scheduler, plus a heartbeat.

Kept apart from ``celery.py`` because importing the scheduler loads Django models, which must
wait until Django is set up.
"""

from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

from .celery import BEAT_HEARTBEAT_KEY, heartbeat_write


class HeartbeatScheduler(DatabaseScheduler):
    """Says on every tick that beat lives; ticks at least every ``HEARTBEAT_INTERVAL``."""

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        heartbeat_write(BEAT_HEARTBEAT_KEY)
        return min(interval, settings.HEARTBEAT_INTERVAL.total_seconds())
