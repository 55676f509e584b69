"""Small helpers that views of every app use to read a request."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def client_ip(request: HttpRequest) -> str | None:
    """The person's IP address. Behind ``TRUSTED_PROXY_COUNT`` proxies it is read from
    X-Forwarded-For, counting from the right so that a client cannot forge it."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def next_url(request: HttpRequest, fallback: str) -> str:
    """Where to send the person after a form: the form's ``next`` when it is a path on this site,
    otherwise ``fallback``. Django's own check, so that ``//evil.com``, ``/\\evil.com`` and
    ``https://evil.com`` never leave the site (an open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback
