"""The fan-service push receiver: echostr binding, sha1 signatures, storage without duplicates."""

from __future__ import annotations

import json
import logging
import secrets
import time

import pytest

from weibo_ops.weibo.models import PushEvent
from weibo_ops.weibo.push import signature

pytestmark = pytest.mark.embedded  # push nonces and messages: the file cache and SQLite transactions here

TOKEN = "push-token-for-tests"
MESSAGE = {"type": "text", "receiver_id": 5500000002, "sender_id": 2489518277,
           "created_at": "Sun Nov 22 10:09:20 +0800 2026", "text": "我的订单还没到 <b>急</b>", "data": {}}


@pytest.fixture(autouse=True)
def _token(settings):
    settings.WEIBO_PUSH_TOKEN = TOKEN


def signed(token=TOKEN, **extra) -> dict:
    stamp, nonce = str(int(time.time())), secrets.token_hex(4)
    return {"timestamp": stamp, "nonce": nonce, "signature": signature(token, stamp, nonce), **extra}


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
        assert post(client, signed(token="wrong"), json.dumps(MESSAGE)).status_code == 403
        assert post(client, {}, json.dumps(MESSAGE)).status_code == 403
        stale = signed()
        stale["timestamp"] = str(int(time.time()) - 3600)
        stale["signature"] = signature(TOKEN, stale["timestamp"], stale["nonce"])
        assert post(client, stale, json.dumps(MESSAGE)).status_code == 403
    assert PushEvent.objects.count() == 0
    assert "bad signature" in caplog.text and "unsigned" in caplog.text and "stale" in caplog.text
    assert TOKEN not in caplog.text


def test_malformed_or_oversized_pushes_are_refused(client, db):
    assert post(client, signed(), "not json").status_code == 400
    assert post(client, signed(), json.dumps({"text": "no type"})).status_code == 400
    assert post(client, signed(), json.dumps({**MESSAGE, "text": "x" * 70_000})).status_code == 413
    assert PushEvent.objects.count() == 0


def test_without_a_configured_token_every_push_is_refused(client, db, settings):
    settings.WEIBO_PUSH_TOKEN = ""
    assert client.get("/weibo/push/", signed(echostr="x")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_pushes_private_messages_and_follows_into_the_app(live_server, weibo, settings):
    """The whole path over HTTP: the platform signs and POSTs, the receiver verifies and stores."""
    weibo.admin("POST", "/_sandbox/config", {"push_url": f"{live_server.url}/weibo/push/", "push_token": TOKEN})
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


@pytest.mark.parametrize("params", [
    {"timestamp": "²", "nonce": "1", "signature": "x"},
    {"timestamp": str(int(time.time())), "nonce": "1", "signature": "é"},
    {"timestamp": "1" * 40, "nonce": "1", "signature": "x"},
])
def test_odd_signature_parameters_are_refused_not_crashed_on(client, db, params):
    assert client.get("/weibo/push/", {**params, "echostr": "x"}).status_code == 403
