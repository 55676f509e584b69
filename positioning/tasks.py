from celery import shared_task

from . import weibo

CHECK_CONNECTIONS_TASK = "positioning.weibo_connections_check"


@shared_task(name=CHECK_CONNECTIONS_TASK, ignore_result=True)
def weibo_connections_check() -> int:
    """Beat: find lost Weibo authorisations before a job fails on one."""
    return weibo.weibo_connections_check_all()
