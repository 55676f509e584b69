"""The fan-service push receiver: echostr binding, sha1 signatures with the app secret over millisecond
timestamps, nonces recorded in the database, storage without duplicates."""

from __future__ import annotations

import json
import logging
import secrets
import time

import pytest

from weibo_ops.weibo.models import PushEvent, PushNonce
from weibo_ops.weibo.push import signature, signature_problem

pytestmark = pytest.mark.embedded  # push nonces and messages: SQLite transactions here

SECRET = "app-secret-for-tests"
MESSAGE = {"type": "text", "receiver_id": 5500000002, "sender_id": 2489518277,
           "created_at": "Sun Nov 22 10:09:20 +0800 2026", "text": "我的订单还没到 <b>急</b>", "data": {}}


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.WEIBO_APP_SECRET, settings.WEIBO_PUSH_SECRET = SECRET, ""


def signed(secret=SECRET, *, stamp: str | None = None, **extra) -> dict:
    """A query as Weibo signs it: the timestamp in milliseconds, 13 digits."""
    stamp, nonce = stamp or str(int(time.time() * 1000)), str(secrets.randbelow(10**8))
    return {"timestamp": stamp, "nonce": nonce, "signature": signature(secret, stamp, nonce), **extra}


def test_the_wiki_worked_example():
    """open.weibo.com: secret xyz123xyz, timestamp 1397022061823, nonce 57155157 -> 90e4c2..."""
    assert signature("xyz123xyz", "1397022061823", "57155157") == "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1"
    params = {"timestamp": "1397022061823", "nonce": "57155157",
              "signature": "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1"}
    assert signature_problem(params, secret="xyz123xyz", now=1397022061.823 + 60) is None
    assert signature_problem(params, secret="another", now=1397022061.823) == "bad signature"


def test_second_timestamps_are_accepted_too_and_other_lengths_refused(client, db):
    assert client.get("/weibo/push/", signed(stamp=str(int(time.time())), echostr="s")).content == b"s"
    for stamp in (str(int(time.time() * 100)), str(int(time.time() * 10_000)), "1"):
        assert client.get("/weibo/push/", signed(stamp=stamp, echostr="x")).status_code == 403


def test_the_separate_push_token_is_gone_the_app_secret_signs(client, db, settings):
    settings.WEIBO_PUSH_SECRET = "fan-service-page-secret"
    assert client.get("/weibo/push/", signed(echostr="x")).status_code == 403
    assert client.get("/weibo/push/", signed("fan-service-page-secret", echostr="y")).content == b"y"


def post(client, params, body):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(f"/weibo/push/?{query}", data=body, content_type="application/json")


def test_binding_echoes_echostr_when_signed(client, db):
    answer = client.get("/weibo/push/", signed(echostr="hello123"))
    assert answer.status_code == 200 and answer.content == b"hello123"


@pytest.mark.parametrize("params", [
    {"echostr": "x"},  # unsigned
    {"timestamp": "1", "nonce": "2", "signature": "deadbeef", "echostr": "x"},
])
def test_binding_refuses_unsigned_or_bad_signatures(client, db, params):
    assert client.get("/weibo/push/", params).status_code == 403


def test_a_signed_message_is_stored_once(client, db):
    body = json.dumps(MESSAGE, ensure_ascii=False)
    assert post(client, signed(), body).status_code == 200
    assert post(client, signed(), body).status_code == 200  # the platform retries: no second row
    event = PushEvent.objects.get()
    assert (event.msg_type, event.sender_id, event.receiver_id) == ("text", "2489518277", "5500000002")
    assert event.text == MESSAGE["text"] and event.created_at.isoformat() == "2026-11-22T02:09:20+00:00"


def test_follow_events_keep_their_subtype(client, db):
    body = json.dumps({**MESSAGE, "type": "event", "text": "", "data": {"subtype": "follow"}})
    assert post(client, signed(), body).status_code == 200
    assert PushEvent.objects.get().subtype == "follow"


def test_bad_signatures_are_refused_and_logged_without_the_token(client, db, caplog):
    with caplog.at_level(logging.WARNING, logger="weibo_ops.weibo.push"):
        assert post(client, signed("wrong"), json.dumps(MESSAGE)).status_code == 403
        assert post(client, {}, json.dumps(MESSAGE)).status_code == 403
        stale = signed(stamp=str(int((time.time() - 3600) * 1000)))
        assert post(client, stale, json.dumps(MESSAGE)).status_code == 403
    assert PushEvent.objects.count() == 0
    assert "bad signature" in caplog.text and "unsigned" in caplog.text and "stale" in caplog.text
    assert SECRET not in caplog.text


def test_malformed_or_oversized_pushes_are_refused(client, db):
    assert post(client, signed(), "not json").status_code == 400
    assert post(client, signed(), json.dumps({"text": "no type"})).status_code == 400
    assert post(client, signed(), json.dumps({**MESSAGE, "text": "x" * 70_000})).status_code == 413
    assert PushEvent.objects.count() == 0


def test_without_a_configured_secret_every_push_is_refused(client, db, settings):
    settings.WEIBO_APP_SECRET = ""
    assert client.get("/weibo/push/", signed("", echostr="x")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_pushes_private_messages_and_follows_into_the_app(live_server, weibo, settings):
    """The whole path over HTTP: the platform signs and POSTs, the receiver verifies and stores."""
    settings.WEIBO_APP_SECRET = weibo.app_secret  # Weibo signs with the app secret: nothing else to share
    weibo.admin("POST", "/_sandbox/config", {"push_url": f"{live_server.url}/weibo/push/"})
    verify = weibo.admin("POST", "/_sandbox/push/verify")
    assert verify["ok"] is True, verify  # the URL binding: signed GET, echostr echoed
    fan = weibo.admin("POST", "/_sandbox/messages", {"to_uid": "5500000002", "text": "奶到了但是漏了"})
    weibo.admin("POST", "/_sandbox/follow", {"to_uid": "5500000002"})
    deadline = time.monotonic() + 10
    while PushEvent.objects.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    message = PushEvent.objects.get(msg_type="text")
    assert (message.sender_id, message.receiver_id, message.text) == (str(fan["from_uid"]), "5500000002",
                                                                      "奶到了但是漏了")
    assert PushEvent.objects.get(msg_type="event").subtype == "follow"
    assert all(attempt["ok"] for attempt in weibo.admin("GET", "/_sandbox/pushes"))
    # The platform keeps its connection to the receiver open, and with it the live server's request thread and
    # its database session: a reset closes them, so that nothing of this test holds the test database.
    weibo.reset()


def test_a_signed_query_cannot_carry_another_body(client, db, caplog):
    params = signed()
    assert post(client, params, json.dumps(MESSAGE)).status_code == 200
    assert post(client, params, json.dumps(MESSAGE)).status_code == 200  # the platform retrying: fine
    forged = json.dumps({**MESSAGE, "text": "伪造的内容"})
    with caplog.at_level(logging.WARNING, logger="weibo_ops.weibo.push"):
        assert post(client, params, forged).status_code == 403
    assert "replay" in caplog.text and PushEvent.objects.count() == 1


def test_nonces_are_recorded_in_the_database_for_the_binding_get_too(client, db, caplog):
    params = signed(echostr="bind-1")
    assert client.get("/weibo/push/", params).content == b"bind-1"
    assert PushNonce.objects.count() == 1
    assert client.get("/weibo/push/", params).content == b"bind-1"  # the platform asking again: the same
    with caplog.at_level(logging.WARNING, logger="weibo_ops.weibo.push"):
        assert client.get("/weibo/push/", {**params, "echostr": "bind-2"}).status_code == 403
        assert post(client, {k: v for k, v in params.items() if k != "echostr"}, json.dumps(MESSAGE)).status_code == 403
    assert "replay" in caplog.text and PushEvent.objects.count() == 0


def test_a_replay_is_refused_even_after_the_cache_is_cleared(client, db):
    """The nonce record is not the evicting cache: clearing it (or a full cache) lets no replay through."""
    from django.core.cache import cache

    params = signed()
    assert post(client, params, json.dumps(MESSAGE)).status_code == 200
    cache.clear()
    assert post(client, params, json.dumps({**MESSAGE, "text": "伪造"})).status_code == 403


@pytest.mark.parametrize("params", [
    {"timestamp": "²", "nonce": "1", "signature": "x"},
    {"timestamp": str(int(time.time())), "nonce": "1", "signature": "é"},
    {"timestamp": "1" * 40, "nonce": "1", "signature": "x"},
])
def test_odd_signature_parameters_are_refused_not_crashed_on(client, db, params):
    assert client.get("/weibo/push/", {**params, "echostr": "x"}).status_code == 403
