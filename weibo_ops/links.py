"""Links that came from outside (an imported file, an API client, a Weibo answer) before they are stored or
rendered as ``href``/``src``: only absolute http(s) URLs pass, so ``javascript:``, ``data:`` and the like never
reach a page, however they are spelt."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SAFE_SCHEMES = frozenset({"http", "https"})
# Browsers drop tabs and newlines inside a URL and skip leading control characters and spaces, so that
# "java\tscript:" runs as "javascript:"; a backslash counts as "/" in an http URL ("https://a.com\@b.com").
# A real link percent-encodes all of these, so a value holding one is refused rather than repaired.
_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f\\\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff]")
# Where Weibo's own posts live (weibo.com/<uid>/<mid>, m.weibo.cn/detail/<id>, weibo.cn, t.cn short links).
WEIBO_LINK_HOSTS = ("weibo.com", "weibo.cn", "t.cn")


def http_url(value: object) -> str:
    """``value`` as an absolute http(s) URL with a host, or "" when it is anything else (another scheme, a
    protocol-relative or relative link, control characters or spaces inside)."""
    text = str(value or "").strip()
    if not text or _UNSAFE_CHARS.search(text):
        return ""
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:  # an unbalanced "[" in the host, a port that is not a number
        return ""
    if parts.scheme.lower() not in SAFE_SCHEMES or not host:
        return ""
    return text


def is_weibo_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == known or host.endswith("." + known) for known in WEIBO_LINK_HOSTS)


def weibo_url(value: object) -> str:
    """``value`` when it is an http(s) link to a Weibo page (``WEIBO_LINK_HOSTS`` and their subdomains),
    otherwise ""."""
    text = http_url(value)
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.username is not None or parts.password is not None:  # "https://weibo.com@evil.example/"
        return ""
    return text if is_weibo_host(parts.hostname or "") else ""
