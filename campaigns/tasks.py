"""Celery entry points of campaigns: each takes ids and calls one service."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from . import harvest, notify, services

HARVESTS_TASK = "campaigns.harvests_poll"
HARVEST_POLL_TASK = "campaigns.harvest_poll"
HARVEST_SYNC_TASK = "campaigns.harvest_sources_sync"
WINNERS_NOTIFY_TASK = "campaigns.winners_notify"
TICK_TASK = "campaigns.tick"


@shared_task(name=HARVESTS_TASK, ignore_result=True)
def harvests_poll() -> int:
    """Beat: one poll task per campaign post whose harvest is due."""
    harvest_ids = harvest.harvests_due()
    transaction.on_commit(lambda: [harvest_poll.delay(pk) for pk in harvest_ids])
    return len(harvest_ids)


@shared_task(name=HARVEST_POLL_TASK, ignore_result=True)
def harvest_poll(harvest_id: int) -> int:
    return harvest.harvest_poll(harvest_id=harvest_id).stored


@shared_task(name=HARVEST_SYNC_TASK, ignore_result=True)
def harvest_sources_sync(campaign_id: int) -> int:
    from .models import Campaign

    campaign = Campaign.objects.filter(pk=campaign_id).first()
    return len(harvest.harvest_sources_sync(campaign=campaign)) if campaign is not None else 0


@shared_task(name=WINNERS_NOTIFY_TASK, ignore_result=True)
def winners_notify(campaign_id: int) -> int:
    return notify.winners_notify(campaign_id=campaign_id).sent


@shared_task(name=TICK_TASK, ignore_result=True)
def tick() -> dict[str, int]:
    """Beat: campaigns going live, overdue tasks told, pin reminders."""
    return services.campaigns_tick()
