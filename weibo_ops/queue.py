"""Queueing work from services without importing the task modules (CONVENTIONS 14: tasks import services,
never the reverse): the task is sent by its registered name once the transaction commits, so a worker never
looks for rows that are not there yet, and nothing is sent when the transaction rolls back."""

from __future__ import annotations

from django.db import transaction

from .celery import app


def enqueue_on_commit(name: str, *args, **options) -> None:
    """Send the task ``name`` with ``args`` after the current transaction commits (at once outside one).
    With ``CELERY_TASK_ALWAYS_EAGER`` the task runs in this process, as ``delay`` would."""

    def send() -> None:
        if app.conf.task_always_eager:
            app.tasks[name].apply(args=args, **options)
        else:
            app.send_task(name, args=args, **options)

    transaction.on_commit(send)
