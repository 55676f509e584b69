"""The fan-service push: signed POSTs to a tiny local receiver, retries, the log, and URL verification."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.sandbox_fixture import APP_SECRET

from .weibo import BRAND, SERVICE, parse_time


class Receiver:
    """Records every request; answers ``failures`` 500s first, and echoes ``echostr`` on GET unless ``wrong``."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.failures = 0
        self.wrong_echo = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep the test output clean
                pass

            def do_GET(self) -> None:
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                receiver.received.append({"method": "GET", "query": query})
                body = b"something else" if receiver.wrong_echo else query.get("echostr", "").encode()
                self._answer(200, body)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                body = json.loads(self.rfile.read(length))
                receiver.received.append({"method": "POST", "query": query, "body": body})
                if receiver.failures > 0:
                    receiver.failures -= 1
                    self._answer(500, b"busy")
                else:
                    self._answer(200, b"success")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/weibo/push/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def posts(self, count: int, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [r for r in self.received if r["method"] == "POST"]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} pushes, got {self.received}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(fresh_sandbox) -> Iterator[Receiver]:
    running = Receiver()
    fresh_sandbox.admin("POST", "/_sandbox/config", {"push_url": running.url})
    yield running
    running.close()


def assert_signed(query: dict) -> None:
    """As Weibo signs: the app secret, a 13-digit millisecond timestamp and the nonce, sorted and sha1'd."""
    joined = "".join(sorted([APP_SECRET, query["timestamp"], query["nonce"]]))
    expected = hashlib.sha1(joined.encode()).hexdigest()  # noqa: S324 - Weibo's signature scheme
    assert query["signature"] == expected
    assert len(query["timestamp"]) == 13 and abs(int(query["timestamp"]) / 1000 - time.time()) < 60


def pushes_logged(sandbox, count: int, timeout: float = 5.0) -> list[dict]:
    """The sandbox logs an attempt once the receiver's answer is in, a moment after the receiver saw it."""
    deadline = time.monotonic() + timeout
    while True:
        logged = sandbox.admin("GET", "/_sandbox/pushes")
        if len(logged) >= count or time.monotonic() > deadline:
            return logged
        time.sleep(0.05)


def test_a_private_message_is_pushed_signed(fresh_sandbox, receiver):
    sent = fresh_sandbox.admin("POST", "/_sandbox/messages", {"to_uid": BRAND, "text": "我的订单什么时候发货？"})
    assert sent["pushed"] is True
    [push] = receiver.posts(1)
    assert_signed(push["query"])
    body = push["body"]
    assert body["type"] == "text" and body["receiver_id"] == BRAND and body["sender_id"] == sent["from_uid"]
    assert body["text"] == "我的订单什么时候发货？" and body["data"] == {}
    parse_time(body["created_at"])
    [attempt] = pushes_logged(fresh_sandbox, 1)
    assert attempt["ok"] is True and attempt["status"] == 200 and attempt["attempt"] == 1 and attempt["type"] == "text"


def test_follow_and_unfollow_are_pushed_as_events(fresh_sandbox, receiver):
    followed = fresh_sandbox.admin("POST", "/_sandbox/follow", {"to_uid": SERVICE})
    assert followed["changed"] is True
    fresh_sandbox.admin("POST", "/_sandbox/unfollow", {"to_uid": SERVICE, "from_uid": followed["from_uid"]})
    # Each push is its own delivery: they may arrive in either order.
    first, second = sorted(receiver.posts(2), key=lambda p: p["body"]["data"]["subtype"] != "follow")
    assert first["body"]["type"] == "event" and first["body"]["data"] == {"subtype": "follow"}
    assert second["body"]["data"] == {"subtype": "unfollow"} and second["body"]["sender_id"] == followed["from_uid"]
    assert first["body"]["receiver_id"] == SERVICE
    for push in (first, second):
        assert_signed(push["query"])


def test_failures_are_retried_with_backoff(fresh_sandbox, receiver):
    receiver.failures = 2
    fresh_sandbox.admin("POST", "/_sandbox/messages", {"to_uid": BRAND, "text": "在吗"})
    pushes = receiver.posts(3, timeout=10)
    assert [p["body"]["text"] for p in pushes] == ["在吗"] * 3
    log = pushes_logged(fresh_sandbox, 3)
    assert [(a["attempt"], a["status"], a["ok"]) for a in log] == [(1, 500, False), (2, 500, False), (3, 200, True)]


def test_an_unreachable_receiver_is_tried_four_times(fresh_sandbox, receiver):
    receiver.close()
    fresh_sandbox.admin("POST", "/_sandbox/messages", {"to_uid": BRAND, "text": "没人接"})
    deadline = time.monotonic() + 10
    log: list = []
    while time.monotonic() < deadline and len(log) < 4:
        log = fresh_sandbox.admin("GET", "/_sandbox/pushes")
        time.sleep(0.2)
    assert [a["attempt"] for a in log] == [1, 2, 3, 4] and not any(a["ok"] for a in log)
    assert all(a["status"] is None and a["error"] for a in log)


def test_verify_does_the_echostr_handshake(fresh_sandbox, receiver):
    result = fresh_sandbox.admin("POST", "/_sandbox/push/verify")
    assert result["ok"] is True and result["body"] == result["echostr"]
    [get] = [r for r in receiver.received if r["method"] == "GET"]
    assert get["query"]["echostr"] == result["echostr"]
    assert_signed(get["query"])
    receiver.wrong_echo = True
    assert fresh_sandbox.admin("POST", "/_sandbox/push/verify")["ok"] is False


def test_no_push_url_means_no_push(fresh_sandbox):
    assert fresh_sandbox.admin("POST", "/_sandbox/messages", {"to_uid": BRAND, "text": "嗨"})["pushed"] is False
    assert fresh_sandbox.admin("GET", "/_sandbox/pushes") == []
    assert fresh_sandbox.admin("POST", "/_sandbox/push/verify")["ok"] is False


def test_the_wiki_example_signs_as_weibo_documents_it():
    """open.weibo.com's worked example: secret xyz123xyz, timestamp 1397022061823, nonce 57155157."""
    from weibo_sandbox.push import signature

    assert signature("xyz123xyz", "1397022061823", "57155157") == "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1"
