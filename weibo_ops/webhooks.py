"""Outgoing webhooks: JSON signed with HMAC-SHA256 of the exact body, so a receiver can check that the
event came from us and was not changed on the way (header ``X-Weibo-Ops-Signature: sha256=<hex>``)."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

WEBHOOK_TIMEOUT = 5.0  # seconds a receiver may take to answer; the task retries with back-off


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_post(*, url: str, secret: str, body: dict) -> int:
    """POST one event; returns the HTTP status and raises ``httpx.HTTPError`` on failure (the caller's
    task retries)."""
    raw = json.dumps(body, ensure_ascii=False, sort_keys=True).encode()
    response = httpx.post(url, content=raw, timeout=WEBHOOK_TIMEOUT, headers={
        "Content-Type": "application/json", "X-Weibo-Ops-Event": body.get("event", ""),
        "X-Weibo-Ops-Signature": webhook_signature(secret, raw)})
    response.raise_for_status()
    return response.status_code
