"""The checks Weibo applies to a post before accepting it, run before anything is queued or sent.

Weibo counts length in Chinese characters: a half-width (ASCII) character counts half, and a link
counts as a fixed length whatever it says, because the platform shortens every link to t.cn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse

from django.utils.translation import gettext as _

MAX_LENGTH = 140  # Weibo characters in a post or comment
MESSAGE_MAX_LENGTH = 299  # Weibo characters in a fan-service private-message reply: "less than 300"
LINK_LENGTH = 10  # Weibo characters a link counts for after t.cn shortening (20 half-width)
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # statuses/share: pictures below 5 MB
IMAGE_SIGNATURES = {b"\xff\xd8\xff": "JPEG", b"GIF87a": "GIF", b"GIF89a": "GIF", b"\x89PNG\r\n\x1a\n": "PNG"}

LINK = re.compile(r"https?://[^\s\u3000-\u303f\uff00-\uffef\u4e00-\u9fff]+", re.IGNORECASE)
TOPIC = re.compile(r"#[^#\s][^#]{0,60}#")


def weibo_length(text: str) -> int:
    """Length as Weibo counts it: rounded up to whole Chinese characters."""
    halves = 0
    rest = LINK.sub("", text)
    halves += len(LINK.findall(text)) * LINK_LENGTH * 2
    for char in rest:
        halves += 1 if ord(char) < 0x80 else 2
    return (halves + 1) // 2


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


def check_text(text: str, *, field: str = "status", limit: int = MAX_LENGTH) -> list[Problem]:
    problems = []
    if not text.strip():
        problems.append(Problem(field, _("The text is empty: write something to post.")))
    length = weibo_length(text)
    if length > limit:
        problems.append(
            Problem(
                field,
                _("The text is %(length)d characters as Weibo counts them; the limit is %(limit)d. "
                  "Shorten it by %(over)d.") % {"length": length, "limit": limit, "over": length - limit},
            )
        )
    return problems


def check_share(text: str, *, safe_domain: str) -> list[Problem]:
    """statuses/share: length, a link on the app's safe domain, and no #topic#."""
    problems = check_text(text)
    hosts = [(urlparse(link).hostname or "").lower() for link in LINK.findall(text)]
    on_domain = [h for h in hosts if h == safe_domain or h.endswith("." + safe_domain)]
    if not on_domain:
        problems.append(
            Problem("status", _("statuses/share needs a link on the registered safe domain %(domain)s: add one.")
                    % {"domain": safe_domain})
        )
    if len(on_domain) != len(hosts):
        problems.append(
            Problem("status", _("Links must stay on %(domain)s; Weibo rejects links elsewhere in a share.")
                    % {"domain": safe_domain})
        )
    if TOPIC.search(text):
        problems.append(Problem("status", _("statuses/share does not accept #topics#: remove the # marks.")))
    return problems


def check_image(data: bytes, *, field: str = "pic") -> list[Problem]:
    problems = []
    if not any(data.startswith(magic) for magic in IMAGE_SIGNATURES):
        problems.append(Problem(field, _("The picture must be a JPEG, GIF or PNG file.")))
    if len(data) >= MAX_IMAGE_BYTES:
        problems.append(
            Problem(field, _("The picture is %(size).1f MB; Weibo takes pictures under 5 MB.")
                    % {"size": len(data) / 1024 / 1024})
        )
    return problems
