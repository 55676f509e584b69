"""The fan-service push: private messages and follow events POSTed to the app's push URL, signed like Weibo
signs them, retried with backoff, every attempt logged."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections import deque
from datetime import datetime

import httpx

from .config import SandboxConfig
from .platform import CST

log = logging.getLogger("weibo_sandbox.push")

RETRY_BACKOFF = (0.5, 1.0, 2.0)  # seconds before each retry: three retries after the first attempt
PUSH_TIMEOUT = 5.0  # seconds a receiver may take to answer one push
ATTEMPT_LOG_SIZE = 2000  # attempts kept for /_sandbox/pushes


def signature(app_secret: str, timestamp: str, nonce: str) -> str:
    """Weibo's scheme (open.weibo.com wiki): sha1 of the app secret, timestamp and nonce, sorted as strings and
    concatenated."""
    return hashlib.sha1("".join(sorted([app_secret, timestamp, nonce])).encode()).hexdigest()  # noqa: S324 - Weibo's


def signed_params(app_secret: str) -> dict[str, str]:
    """The query Weibo puts on every push: the timestamp in milliseconds (13 digits), a numeric nonce."""
    timestamp, nonce = str(int(time.time() * 1000)), str(secrets.randbelow(10**8))
    return {"signature": signature(app_secret, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


class Pusher:
    def __init__(self, config: SandboxConfig):
        self.config = config
        self.attempts: deque[dict] = deque(maxlen=ATTEMPT_LOG_SIZE)
        self.tasks: set[asyncio.Task] = set()
        self.client: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        if self.client is None:
            # trust_env off: a proxy from the environment must never carry pushes meant for a local receiver.
            self.client = httpx.AsyncClient(timeout=PUSH_TIMEOUT, trust_env=False)
        return self.client

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.client is not None:
            await self.client.aclose()
            self.client = None

    def push(self, body: dict) -> bool:
        """Queue one push; False when no push URL is configured (nothing is sent or logged then)."""
        if not self.config.push_url:
            return False
        task = asyncio.get_running_loop().create_task(self._deliver(self.config.push_url, self.config.app_secret, body))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return True

    async def _deliver(self, url: str, app_secret: str, body: dict) -> None:
        for attempt in range(1, len(RETRY_BACKOFF) + 2):
            entry = {
                "at": datetime.now(CST).isoformat(timespec="milliseconds"),
                "type": body["type"],
                "subtype": body.get("data", {}).get("subtype"),
                "sender_id": body["sender_id"],
                "receiver_id": body["receiver_id"],
                "attempt": attempt,
                "status": None,
                "ok": False,
                "error": None,
            }
            try:
                response = await self._client().post(url, params=signed_params(app_secret), json=body)
                entry["status"] = response.status_code
                entry["ok"] = response.is_success
                if not response.is_success:
                    entry["error"] = response.text[:200]
            except httpx.HTTPError as exc:
                entry["error"] = f"{type(exc).__name__}: {exc}"
            self.attempts.append(entry)
            if entry["ok"]:
                return
            if attempt <= len(RETRY_BACKOFF):
                await asyncio.sleep(RETRY_BACKOFF[attempt - 1])
        log.warning("push to %s failed after %d attempts", url, len(RETRY_BACKOFF) + 1)

    async def verify(self) -> dict:
        """Do the URL-binding handshake the app must answer: GET with a signature and an ``echostr`` that the
        app must echo back verbatim."""
        if not self.config.push_url:
            return {"ok": False, "error": "no push_url configured"}
        echostr = secrets.token_hex(8)
        params = {**signed_params(self.config.app_secret), "echostr": echostr}
        try:
            response = await self._client().get(self.config.push_url, params=params)
        except httpx.HTTPError as exc:
            return {"ok": False, "echostr": echostr, "error": f"{type(exc).__name__}: {exc}"}
        body = response.text
        return {
            "ok": response.status_code == 200 and body.strip() == echostr,
            "status": response.status_code,
            "echostr": echostr,
            "body": body[:200],
        }


def message_body(*, sender_id: int, receiver_id: int, text: str, created_at: str) -> dict:
    return {
        "type": "text",
        "receiver_id": receiver_id,
        "sender_id": sender_id,
        "created_at": created_at,
        "text": text,
        "data": {},
    }


def event_body(*, sender_id: int, receiver_id: int, subtype: str, created_at: str) -> dict:
    return {
        "type": "event",
        "receiver_id": receiver_id,
        "sender_id": sender_id,
        "created_at": created_at,
        "text": "",
        "data": {"subtype": subtype},
    }
