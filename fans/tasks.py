"""Celery entry points of fan interaction: each takes ids and calls one service."""

from __future__ import annotations

import httpx
from celery import shared_task
from django.db import transaction

from . import duty, ingest, practices, profiles, replies, tickets

POLL_TASK = "fans.inbox_poll"
ACCOUNT_POLL_TASK = "fans.account_poll"
PUSHES_TASK = "fans.pushes_ingest"
REPLY_TASK = "fans.reply_send"
SWEEP_TASK = "fans.sweep"
PROFILES_TASK = "fans.profiles_refresh"
WEBHOOK_TASK = "fans.webhook_send"
REVISITS_TASK = "fans.revisits_notify"
UNCOVERED_TASK = "fans.sla_uncovered"


@shared_task(name=POLL_TASK, ignore_result=True)
def inbox_poll() -> int:
    """Beat, every ``FANS_POLL_SECONDS``: one poll task per connected account."""
    account_ids = ingest.accounts_to_poll()
    transaction.on_commit(lambda: [account_poll.delay(pk) for pk in account_ids])
    return len(account_ids)


@shared_task(name=ACCOUNT_POLL_TASK, ignore_result=True)
def account_poll(account_id: int) -> int:
    return sum(result.stored for result in ingest.account_poll(account_id=account_id))


@shared_task(name=PUSHES_TASK, ignore_result=True)
def pushes_ingest() -> int:
    return ingest.pushes_ingest()


@shared_task(name=REPLY_TASK, ignore_result=True)
def reply_send(reply_id: int) -> str | None:
    return replies.reply_send(reply_id=reply_id)


@shared_task(name=SWEEP_TASK, ignore_result=True)
def sweep() -> int:
    """Beat, every minute: stale or lost replies queued again, overdue tickets escalated."""
    due = replies.replies_sweep()
    transaction.on_commit(lambda: [reply_send.delay(pk) for pk in due])
    return len(due) + tickets.tickets_escalate_overdue()


@shared_task(name=PROFILES_TASK, ignore_result=True)
def profiles_refresh() -> int:
    return profiles.profiles_refresh()


@shared_task(name=REVISITS_TASK, ignore_result=True)
def revisits_notify() -> int:
    """Beat, hourly: a notice to the assignee of each fan revisit that is due (once per due date)."""
    return practices.revisits_notify_due()


@shared_task(name=WEBHOOK_TASK, ignore_result=True, autoretry_for=(httpx.HTTPError,), retry_backoff=5,
             retry_backoff_max=600, max_retries=6)
def webhook_send(desk_id: int, body: dict) -> int | None:
    return tickets.webhook_deliver(desk_id=desk_id, body=body)


@shared_task(name=UNCOVERED_TASK, ignore_result=True)
def sla_uncovered() -> int:
    """Beat, every minute: an answer about to be late on an account with nobody on inbox duty is told to its
    managers (once per item)."""
    return duty.sla_uncovered_alert()
