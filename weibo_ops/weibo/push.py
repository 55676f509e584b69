"""The fan-service push receiver: Weibo POSTs private messages and events here.

Binding the URL at open.weibo.com makes Weibo GET it with ``signature, timestamp, nonce, echostr``;
we answer ``echostr`` when the signature holds. Every push carries the same three query parameters;
the signature is the sha1 of the sorted ``[token, timestamp, nonce]``. Anything unsigned, badly signed
or stale gets 403 and a log line (with the sender's address, never the token). Verified pushes are
stored as they came; the inbox makes conversations of them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from weibo_ops.requests import client_ip

from .models import PushEvent
from .types import parse_created_at

logger = logging.getLogger(__name__)

MAX_PUSH_BYTES = 64 * 1024  # a private message is at most a few KB; anything bigger is not Weibo
MAX_CLOCK_SKEW = 15 * 60  # seconds a push's timestamp may differ from ours before it counts as a replay
STAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits: str.isdigit() would take "²" and int() then fails


def signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()  # noqa: S324 (Weibo's)


def signature_problem(params, *, token: str, now: float | None = None) -> str | None:
    """Why the request's signature does not hold, or None when it does."""
    if not token:
        return "no WEIBO_PUSH_TOKEN is configured"
    stamp, nonce, given = params.get("timestamp", ""), params.get("nonce", ""), params.get("signature", "")
    if not (stamp and nonce and given):
        return "unsigned (signature, timestamp and nonce are required)"
    if not STAMP.fullmatch(stamp) or abs((now or time.time()) - int(stamp)) > MAX_CLOCK_SKEW:
        return "stale or malformed timestamp"
    if not hmac.compare_digest(signature(token, stamp, nonce).encode(), given.lower().encode()):
        return "bad signature"
    return None


def replay_problem(params, body: bytes) -> str | None:
    """A signature covers only token, timestamp and nonce, not the body: the same signed query with
    another body within the skew window is a replay. The same body again is the platform retrying."""
    key = "weibo-push-nonce:" + hashlib.sha256(f"{params['timestamp']}:{params['nonce']}".encode()).hexdigest()
    digest = hashlib.sha256(body).hexdigest()
    if cache.add(key, digest, timeout=2 * MAX_CLOCK_SKEW) or cache.get(key) == digest:
        return None
    return "signature reused with another body (replay)"


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
    problem = signature_problem(request.GET, token=settings.WEIBO_PUSH_TOKEN)
    if problem is None and request.method == "POST":
        if len(request.body) > MAX_PUSH_BYTES:
            logger.warning("Rejected a fan-service push of %d bytes from %s", len(request.body), client_ip(request))
            return HttpResponse("too large", status=413, content_type="text/plain")
        problem = replay_problem(request.GET, request.body)
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
