"""A real Celery worker and beat, as ``make run`` starts them, seen through /healthz.

Runs on whatever broker the settings give: the filesystem broker in the embedded run, Redis in
the PostgreSQL + Redis run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

# embedded: the broker: filesystem queue folders here, Redis there
pytestmark = [pytest.mark.embedded, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CELERY = [sys.executable, "-m", "celery", "-A", "weibo_ops"]


def subprocess_env() -> dict[str, str]:
    """The environment of this test run, pointed at the test database."""
    env = dict(os.environ, HEARTBEAT_INTERVAL_SECONDS="1", HEARTBEAT_STALE_SECONDS="4",
               WEIBO_OPS_VAR_DIR=str(django_settings.VAR_DIR))
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["SQLITE_PATH"] = str(db["NAME"])
    else:
        password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
        env["DATABASE_URL"] = f"postgres://{quote(db['USER'])}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return env


def wait_for(client, predicate, seconds: float):
    deadline = time.monotonic() + seconds
    body = None
    while time.monotonic() < deadline:
        response = client.get("/healthz")
        body = response.json()
        if predicate(response.status_code, body):
            return body
        time.sleep(0.5)
    raise AssertionError(f"/healthz did not reach the expected state in {seconds} s; last answer: {body}")


def celery_start(name: str, args: list[str], env: dict, tmp_path) -> subprocess.Popen:
    """``celery -A weibo_ops <args>`` in its own session (to be killed whole), logging to ``tmp_path/name.log``."""
    log = open(tmp_path / f"{name}.log", "a")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([*CELERY, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_healthz_follows_a_real_worker_and_beat(client, settings, tmp_path):
    settings.HEARTBEAT_STALE_AFTER = settings.HEARTBEAT_INTERVAL.__class__(seconds=4)
    env = subprocess_env()
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("worker", "beat")}  # noqa: SIM115
    worker = subprocess.Popen([*CELERY, "worker", "--pool", "solo", "--loglevel", "INFO", "--hostname", "test@%h"],
                              cwd=ROOT, env=env, stdout=logs["worker"], stderr=subprocess.STDOUT)
    beat = subprocess.Popen([*CELERY, "beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")],
                            cwd=ROOT, env=env, stdout=logs["beat"], stderr=subprocess.STDOUT)
    try:
        try:
            body = wait_for(client, lambda status, body: status == 200, 90)
        except AssertionError:
            for name, log in logs.items():
                log.flush()
                print(name, (tmp_path / f"{name}.log").read_text()[-3000:])
            raise
        assert body["checks"]["broker"]["transport"] == ("redis" if django_settings.REDIS_URL else "filesystem")
        assert body["checks"]["tasks"]["last_seen_seconds_ago"] < 4

        stop(worker)
        # The worker's own heartbeat and the last task it ran go stale a moment apart.
        body = wait_for(client, lambda status, body: status == 503 and body["down"] == ["worker", "tasks"], 30)
        assert body["checks"]["beat"]["ok"] is True
    finally:
        stop(worker)
        stop(beat)
        for log in logs.values():
            log.close()
