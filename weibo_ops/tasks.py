from celery import shared_task

from .celery import HEARTBEAT_TASK, QUEUE_HEARTBEAT_KEY, heartbeat_write


@shared_task(name=HEARTBEAT_TASK, ignore_result=True)
def heartbeat() -> None:
    """Sent by beat through the broker and run by a worker: proves the whole path works."""
    heartbeat_write(QUEUE_HEARTBEAT_KEY)
