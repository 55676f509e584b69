from celery import shared_task
from django.db import transaction

from . import metrics, publishing

DISPATCH_TASK = "content.targets_dispatch"
PUBLISH_TASK = "content.target_publish"
METRICS_TASK = "content.metrics_collect"


@shared_task(name=DISPATCH_TASK, ignore_result=True)
def targets_dispatch() -> int:
    """Beat, every few seconds: sweep stale claims, resume targets of reconnected accounts, then
    queue one publish task per due target."""
    publishing.targets_sweep()
    publishing.targets_resume()
    queued = publishing.targets_dispatch()
    transaction.on_commit(lambda: [target_publish.apply_async((q.target_id,), eta=q.at) for q in queued])
    return len(queued)


@shared_task(name=PUBLISH_TASK, ignore_result=True)
def target_publish(target_id: int) -> None:
    publishing.target_publish(target_id=target_id)


@shared_task(name=METRICS_TASK, ignore_result=True)
def metrics_collect() -> int:
    """Beat, every few minutes: snapshot the counts of published posts that are due."""
    return metrics.metrics_collect()
