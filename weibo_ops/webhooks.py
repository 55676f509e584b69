"""Outgoing webhooks: JSON signed with HMAC-SHA256 of the exact body, so a receiver can check that the
event came from us and was not changed on the way (header ``X-Weibo-Ops-Signature: sha256=<hex>``).

A webhook URL is typed in by a person, and the server then calls it: pointed at ``127.0.0.1``, the cloud's
metadata address or the office network, it would make the server call what nobody outside may reach. So every
outbound webhook URL is checked here, on the addresses its host resolves to, when it is saved
(``webhook_url_check``) and again before each call (DNS can change in between). Only tests and the local demo
turn this off (``WEBHOOK_ALLOW_PRIVATE``), to deliver to a receiver on this machine.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 5.0  # seconds a receiver may take to answer; the task retries with back-off
WEBHOOK_SCHEMES = ("http", "https")


class WebhookUnresolved(Exception):
    """The host has no address now: the destination cannot be checked (nor reached)."""


def _refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is not part of it
    embedded = [ip]
    if ip.version == 6:  # an IPv4 address inside an IPv6 one reaches that IPv4 address
        embedded += [e for e in (ip.ipv4_mapped, ip.sixtofour, ip.teredo and ip.teredo[1]) if e]
    return any(a.is_private or a.is_loopback or a.is_link_local or a.is_multicast or a.is_reserved
               or a.is_unspecified or not a.is_global for a in embedded)


def webhook_destination_problem(url: str) -> str | None:
    """Why the server must not call ``url`` (a sentence for the person who typed it), or None when it may.
    Raises ``WebhookUnresolved`` when the host has no address now."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return _("This is not a web address: write it like https://hooks.example.com/alerts.")
    if parts.scheme.lower() not in WEBHOOK_SCHEMES or not host:
        return _("Use an http or https address, like https://hooks.example.com/alerts.")
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return None
    private = _("The webhook must be a service on the internet: %(host)s is a private, loopback or link-local "
                "address (%(address)s), which the server does not call.")
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always this machine
        return private % {"host": host, "address": "localhost"}
    try:
        found = socket.getaddrinfo(host, port or (443 if parts.scheme.lower() == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise WebhookUnresolved(host) from error
    for address in sorted({info[4][0] for info in found}):
        if _refused_address(address):
            return private % {"host": host, "address": address}
    return None


def webhook_url_check(url: str, *, field: str = "webhook_url") -> None:
    """Refuse, as a ``ValidationError`` on ``field``, a webhook URL the server must not call. A host with no
    address now is accepted here (it is checked again before every call)."""
    if not url:
        return
    try:
        problem = webhook_destination_problem(url)
    except WebhookUnresolved:
        return
    if problem:
        raise ValidationError({field: problem})


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_post(*, url: str, secret: str, body: dict) -> int | None:
    """POST one event; returns the HTTP status and raises ``httpx.HTTPError`` on failure (the caller's
    task retries). A destination the server must not call (``webhook_destination_problem``, checked again
    now) is not called: logged, and None returned, with nothing to retry."""
    try:
        problem = webhook_destination_problem(url)
    except WebhookUnresolved as error:  # DNS is down or the name is gone: like a failed connection, retried
        raise httpx.ConnectError(f"webhook host {error} has no address") from error
    if problem:
        # The host only: a webhook's path or query often holds its access token.
        logger.warning("webhook not sent to %s: %s", urlsplit(url).hostname, problem)
        return None
    raw = json.dumps(body, ensure_ascii=False, sort_keys=True).encode()
    # No redirects are followed (httpx's default): a public receiver cannot send the call on inside.
    response = httpx.post(url, content=raw, timeout=WEBHOOK_TIMEOUT, headers={
        "Content-Type": "application/json", "X-Weibo-Ops-Event": body.get("event", ""),
        "X-Weibo-Ops-Signature": webhook_signature(secret, raw)})
    response.raise_for_status()
    return response.status_code
