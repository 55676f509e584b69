from celery import shared_task

from . import benchmarks, weibo

CHECK_CONNECTIONS_TASK = "positioning.weibo_connections_check"
EXPIRY_WARN_TASK = "positioning.weibo_tokens_expiry_warn"


@shared_task(name=CHECK_CONNECTIONS_TASK, ignore_result=True)
def weibo_connections_check() -> int:
    """Beat: find lost Weibo authorisations before a job fails on one."""
    return weibo.weibo_connections_check_all()


@shared_task(name=EXPIRY_WARN_TASK, ignore_result=True)
def weibo_tokens_expiry_warn() -> int:
    """Beat: warn owners and managers days before an account's Weibo token expires (once per token)."""
    return weibo.weibo_tokens_expiry_warn()


BENCHMARKS_TASK = "positioning.benchmarks_snapshot"


@shared_task(name=BENCHMARKS_TASK, ignore_result=True)
def benchmarks_snapshot() -> int:
    """Beat (hourly): yesterday's figures of the own accounts and peers not read yet; returns how many were read."""
    return benchmarks.benchmarks_snapshot().taken
