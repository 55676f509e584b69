import pytest
from django.core.cache import cache
from django.utils import timezone

from weibo_ops.celery import BEAT_HEARTBEAT_KEY, QUEUE_HEARTBEAT_KEY, WORKER_HEARTBEAT_KEY

# embedded: health reads the broker kind, the cache and the database connection
pytestmark = [pytest.mark.embedded, pytest.mark.django_db]


def test_healthy_when_worker_and_beat_reported_recently(client):
    now = timezone.now().timestamp()
    cache.set(WORKER_HEARTBEAT_KEY, now - 3)
    cache.set(BEAT_HEARTBEAT_KEY, now - 1)
    cache.set(QUEUE_HEARTBEAT_KEY, now - 2)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["down"] == []
    assert set(body["checks"]) == {"database", "broker", "worker", "beat", "tasks"}
    assert 2.5 <= body["checks"]["worker"]["last_seen_seconds_ago"] <= 10


def test_503_names_what_is_down(client, settings):
    now = timezone.now().timestamp()
    cache.set(WORKER_HEARTBEAT_KEY, now - settings.HEARTBEAT_STALE_AFTER.total_seconds() - 5)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["worker", "beat", "tasks"]
    assert "last reported" in body["checks"]["worker"]["error"]
    assert "no beat has reported" in body["checks"]["beat"]["error"]


def test_broker_down_is_reported(client, settings, monkeypatch):
    from weibo_ops import health

    def unreachable():
        raise ConnectionRefusedError("Connection refused")

    monkeypatch.setitem(health.CHECKS, "broker", unreachable)
    now = timezone.now().timestamp()
    cache.set(WORKER_HEARTBEAT_KEY, now)
    cache.set(BEAT_HEARTBEAT_KEY, now)
    cache.set(QUEUE_HEARTBEAT_KEY, now)
    body = client.get("/healthz").json()
    assert body["down"] == ["broker"]
    # Public endpoint: the kind of failure, not its details (hosts, users).
    assert body["checks"]["broker"]["error"] == "ConnectionRefusedError: broker is unreachable or failing"


def test_health_needs_no_login_and_is_never_cached(client):
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
