"""The real Celery worker and beat a browser story runs against (the publishing, harvesting and polling it
waits for happen there, as in production)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from contextlib import contextmanager

from tests.weibo_ops.test_worker import celery_start, stop


@contextmanager
def worker_and_beat(env: dict, tmp_path, *, hostname: str):
    """A real Celery worker (threads) and beat for a browser story, logging to ``tmp_path``/worker.log and
    beat.log; afterwards each is stopped with its whole session (the worker's threads, beat's children)."""
    beat = celery_start("beat", ["beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "schedule")], env, tmp_path)
    worker = celery_start("worker", ["worker", "--pool", "threads", "--concurrency", "4", "--loglevel", "INFO",
                                     "--hostname", f"{hostname}@%h"], env, tmp_path)
    try:
        yield
    finally:
        for process in (worker, beat):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
            stop(process)


def wait_until(condition, seconds: float, what: str | Callable[[], str], log) -> None:
    """Polls ``condition`` until it holds; fails saying ``what`` did not happen (a callable says it with the state
    reached), with the end of the worker's log."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    what = what() if callable(what) else what
    raise AssertionError(f"{what} within {seconds} s; worker log:\n{log()[-4000:]}")
