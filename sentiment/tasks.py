"""Celery entry points of opinion monitoring: each takes ids and calls one service."""

from __future__ import annotations

import httpx
from celery import shared_task
from django.db import transaction

from . import alerts, cascades, incidents, retraining, sources

SEARCH_TASK = "sentiment.search_poll"
GROUP_SEARCH_TASK = "sentiment.group_search"
PIPELINE_TASK = "sentiment.pipeline_run"
CASCADES_TASK = "sentiment.cascades_poll"
CASCADE_POLL_TASK = "sentiment.cascade_poll"
ALERT_WEBHOOK_TASK = "sentiment.alert_webhook_send"
REGRADE_TASK = "sentiment.incidents_regrade"
RETRAIN_TASK = "sentiment.corrections_retrain"


# --- listening: the search, the pipeline, the watched cascades ---------------------------------------------

@shared_task(name=SEARCH_TASK, ignore_result=True)
def search_poll() -> int:
    """Beat: one search task per keyword group that is due (each group once per SENTIMENT_SEARCH_SECONDS)."""
    group_ids = sources.groups_to_search()
    transaction.on_commit(lambda: [group_search.delay(pk) for pk in group_ids])
    return len(group_ids)


@shared_task(name=GROUP_SEARCH_TASK, ignore_result=True)
def group_search(group_id: int) -> int:
    return sources.group_search(group_id=group_id).stored


@shared_task(name=PIPELINE_TASK, ignore_result=True)
def pipeline_run() -> int:
    """Woken when items are handed over, and by beat for anything a lost wake-up left waiting."""
    return len(sources.inbound_process().new)


@shared_task(name=CASCADES_TASK, ignore_result=True)
def cascades_poll() -> int:
    cascade_ids = cascades.cascades_due()
    transaction.on_commit(lambda: [cascade_poll.delay(pk) for pk in cascade_ids])
    return len(cascade_ids)


@shared_task(name=CASCADE_POLL_TASK, ignore_result=True)
def cascade_poll(cascade_id: int) -> bool:
    return cascades.cascade_poll(cascade_id=cascade_id) is not None


# --- alerts and incidents ---------------------------------------------------------------------------------

@shared_task(name=ALERT_WEBHOOK_TASK, ignore_result=True, autoretry_for=(httpx.HTTPError,), retry_backoff=5,
             retry_backoff_max=600, max_retries=6)
def alert_webhook_send(alert_id: int) -> int | None:
    """Enqueued on commit for each new alert when the brand has a webhook; retried with back-off."""
    return alerts.alert_webhook_deliver(alert_id=alert_id)


@shared_task(name=REGRADE_TASK, ignore_result=True)
def incidents_regrade() -> int:
    """Beat, every ``SENTIMENT_INCIDENT_REGRADE_SECONDS``: open incidents regraded, overdue steps told."""
    return incidents.incidents_regrade_open()


# --- the correction loop ------------------------------------------------------------------------------------

@shared_task(name=RETRAIN_TASK, ignore_result=True)
def corrections_retrain() -> bool:
    """Beat, nightly at ``SENTIMENT_RETRAIN_HOUR``: the model fine-tuned on the people's corrections (a lock keeps
    two runs apart; nothing new since the last run, nothing done)."""
    return retraining.corrections_retrain() is not None
