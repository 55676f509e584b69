"""The fan-service push receiver: Weibo POSTs private messages and events here.

Binding the URL at open.weibo.com makes Weibo GET it with ``signature, timestamp, nonce, echostr``;
we answer ``echostr`` when the signature holds. Every push carries the same three query parameters.
As the wiki documents it, the signature is the sha1 of the app secret, ``timestamp`` (milliseconds,
13 digits) and ``nonce``, sorted as strings and concatenated. Anything unsigned, badly signed or
stale gets 403 and a log line (with the sender's address, never the secret). Each signed query is
recorded in the database once (``PushNonce``), the binding GET included, so a captured query cannot
be used again with another body. Verified pushes are stored as they came; the inbox makes
conversations of them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from weibo_ops.requests import client_ip

from .models import PushEvent, PushNonce
from .types import parse_created_at

logger = logging.getLogger(__name__)

MAX_PUSH_BYTES = 64 * 1024  # a private message is at most a few KB; anything bigger is not Weibo
MAX_CLOCK_SKEW = 15 * 60  # seconds a push's timestamp may differ from ours before it counts as a replay
# Weibo sends milliseconds (13 digits); seconds (10 digits) are accepted too, as some SDKs send them.
# ASCII digits only: str.isdigit() would take "²" and int() then fails.
STAMP_MILLISECONDS = re.compile(r"[0-9]{13}")
STAMP_SECONDS = re.compile(r"[0-9]{10}")
MAX_NONCE = 64  # characters; Weibo's nonces are short numbers


def signature(secret: str, timestamp: str, nonce: str) -> str:
    """sha1 of the three strings sorted and concatenated: Weibo's (and WeChat's) scheme."""
    return hashlib.sha1("".join(sorted([secret, timestamp, nonce])).encode()).hexdigest()  # noqa: S324 (Weibo's)


def stamp_seconds(stamp: str) -> float | None:
    """A push's ``timestamp`` in seconds since the epoch, or None when it is neither form Weibo uses."""
    if STAMP_MILLISECONDS.fullmatch(stamp):
        return int(stamp) / 1000
    if STAMP_SECONDS.fullmatch(stamp):
        return float(stamp)
    return None


def signature_problem(params, *, secret: str, now: float | None = None) -> str | None:
    """Why the request's signature does not hold, or None when it does."""
    if not secret:
        return "no app secret is configured (WEIBO_APP_SECRET)"
    stamp, nonce, given = params.get("timestamp", ""), params.get("nonce", ""), params.get("signature", "")
    if not (stamp and nonce and given):
        return "unsigned (signature, timestamp and nonce are required)"
    seconds = stamp_seconds(stamp)
    if seconds is None or abs((now or time.time()) - seconds) > MAX_CLOCK_SKEW:
        return "stale or malformed timestamp"
    if len(nonce) > MAX_NONCE:
        return "malformed nonce"
    if not hmac.compare_digest(signature(secret, stamp, nonce).encode(), given.lower().encode()):
        return "bad signature"
    return None


def nonce_record(params, content: bytes) -> str | None:
    """Record the signed query once; None when it is new or the platform repeating the same request.

    The signature covers only secret, timestamp and nonce, not the body: the same signed query with
    another body (or a binding GET's query reused for a POST) is a replay. The same content again is
    the platform retrying. Kept in the database, which evicts nothing before the skew window is over.
    """
    key = hashlib.sha256(f"{params['timestamp']}:{params['nonce']}".encode()).hexdigest()
    digest = hashlib.sha256(content).hexdigest()
    now = timezone.now()
    try:
        with transaction.atomic():
            PushNonce.objects.create(key=key, digest=digest, seen_at=now)
    except IntegrityError:
        if PushNonce.objects.filter(key=key, digest=digest).exists():
            return None
        return "signature reused for another request (replay)"
    # Past twice the skew window a query is refused as stale anyway: its record can go.
    PushNonce.objects.filter(seen_at__lt=now - timedelta(seconds=2 * MAX_CLOCK_SKEW)).delete()
    return None


# --- the private-message reply window -------------------------------------------------------------

MESSAGE_WINDOW = timedelta(hours=48)  # Weibo: replies allowed for 48 h after what the fan did
# What opens the window for any number of replies: a message of the fan's (any type but "event"), or
# one of these events. A menu "view" (a link jump) opens nothing.
OPENING_EVENTS = frozenset({"follow", "subscribe", "click", "scan", "scan_follow"})
MENTION = "mention"  # an @ of the account: one reply within the window
CLOSING_EVENT = "unfollow"  # no reply at all once the fan has unfollowed, until they come back


@dataclass(frozen=True)
class MessageWindow:
    """What Weibo lets an account send a fan now. ``until`` is when it closes; ``one_reply_since``
    is set when only the one reply an @mention allows is left (the caller counts what it sent since)."""

    until: datetime | None
    one_reply_since: datetime | None = None
    unfollowed_at: datetime | None = None

    @property
    def unlimited(self) -> bool:
        return self.until is not None and self.one_reply_since is None


def message_window(*, account_uid: str, fan_uid: str, now: datetime | None = None) -> MessageWindow:
    """The reply window the platform keeps for one fan of one account, read from the pushes it sent."""
    now = now or timezone.now()
    events = (PushEvent.objects.filter(receiver_id=account_uid, sender_id=fan_uid,
                                       received_at__gte=now - MESSAGE_WINDOW - timedelta(days=1))
              .values_list("msg_type", "subtype", "created_at", "received_at"))
    unfollowed = opened = mentioned = None
    for msg_type, subtype, created_at, received_at in events:
        at = created_at or received_at
        kind = subtype if msg_type == "event" else msg_type
        if kind == CLOSING_EVENT:
            unfollowed = max(unfollowed or at, at)
        elif kind == MENTION:
            mentioned = max(mentioned or at, at)
        elif kind in OPENING_EVENTS or msg_type != "event":
            opened = max(opened or at, at)
    if unfollowed is None:
        unfollowed = (PushEvent.objects.filter(receiver_id=account_uid, sender_id=fan_uid, msg_type="event",
                                               subtype=CLOSING_EVENT)
                      .order_by("-received_at").values_list("received_at", flat=True).first())
    if unfollowed is not None:  # only what the fan did after unfollowing counts
        opened = opened if opened and opened > unfollowed else None
        mentioned = mentioned if mentioned and mentioned > unfollowed else None
    if opened is not None and now < opened + MESSAGE_WINDOW:
        return MessageWindow(until=opened + MESSAGE_WINDOW, unfollowed_at=unfollowed)
    if mentioned is not None and now < mentioned + MESSAGE_WINDOW:
        return MessageWindow(until=mentioned + MESSAGE_WINDOW, one_reply_since=mentioned, unfollowed_at=unfollowed)
    return MessageWindow(until=None, unfollowed_at=unfollowed)


def push_event_store(payload: dict, *, raw: bytes) -> tuple[PushEvent, bool]:
    """Store one verified push; a redelivery of the same body is found, not stored twice."""
    digest = hashlib.sha256(raw).hexdigest()
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    fields = {
        "msg_type": str(payload.get("type") or "")[:20],
        "subtype": str(data.get("subtype") or "")[:40],
        "sender_id": str(payload.get("sender_id") or "")[:20],
        "receiver_id": str(payload.get("receiver_id") or "")[:20],
        "text": str(payload.get("text") or "")[:5000],
        "created_at": parse_created_at(payload.get("created_at")),
        "payload": payload,
    }
    try:
        with transaction.atomic():
            return PushEvent.objects.create(digest=digest, **fields), True
    except IntegrityError:
        return PushEvent.objects.get(digest=digest), False


@csrf_exempt  # Weibo signs its requests instead; a CSRF token cannot come from the platform
@require_http_methods(["GET", "POST"])
def push_receiver(request: HttpRequest) -> HttpResponse:
    problem = signature_problem(request.GET, secret=settings.WEIBO_PUSH_SECRET or settings.WEIBO_APP_SECRET)
    if problem is None and request.method == "POST" and len(request.body) > MAX_PUSH_BYTES:
        logger.warning("Rejected a fan-service push of %d bytes from %s", len(request.body), client_ip(request))
        return HttpResponse("too large", status=413, content_type="text/plain")
    if problem is None:
        content = request.body if request.method == "POST" else b"GET " + request.GET.get("echostr", "").encode()
        problem = nonce_record(request.GET, content)
    if problem:
        logger.warning("Rejected a fan-service push from %s: %s", client_ip(request), problem)
        return HttpResponseForbidden("signature check failed", content_type="text/plain")
    if request.method == "GET":
        echostr = request.GET.get("echostr", "")
        if not echostr:
            return HttpResponse("echostr is missing", status=400, content_type="text/plain")
        return HttpResponse(echostr, content_type="text/plain")
    try:
        payload = json.loads(request.body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or not payload.get("type") or not payload.get("receiver_id"):
        logger.warning("Rejected a malformed fan-service push from %s", client_ip(request))
        return HttpResponse("expected a JSON object with type and receiver_id", status=400, content_type="text/plain")
    push_event_store(payload, raw=request.body)
    # An empty 200 tells the platform we took it and send no passive reply.
    return HttpResponse("", content_type="text/plain")
