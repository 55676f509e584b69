"""Weibo's content rules as pure functions: length as Weibo counts it, links, topics, advertising, forbidden
words, duplicates and images. The platform applies them; they know nothing of state."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

MAX_WEIBO_LENGTH = 140  # Weibo characters: a full-width character is 1, a half-width one 0.5
URL_WEIBO_LENGTH = 10  # Weibo shortens every link to t.cn, which counts as 10 whatever the original length
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # 5 MB: the upload limit of statuses/share
# Character 3-gram overlap from which the sandbox calls two posts the same (20111): the default of
# SandboxConfig.near_duplicate_jaccard, a sandbox assumption (Weibo does not publish its measure).
NEAR_DUPLICATE_JACCARD = 0.9

URL_RE = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
TOPIC_RE = re.compile(r"#[^#\s][^#]{0,60}#")
MENTION_RE = re.compile(r"@([\w\u4e00-\u9fff\-]{1,30})")
WHITESPACE_AND_PUNCT_RE = re.compile(r"[\s\W_]+", re.UNICODE)

# Defaults of SandboxConfig.advertising_words and .forbidden_words: sandbox assumptions, not Weibo's lists.
# Advertising markers Weibo's filter is known to catch: contact hand-offs and grey-market selling.
ADVERTISING = (
    "加微信",
    "加我微信",
    "微信号",
    "加v",
    "加vx",
    "vx:",
    "vx：",
    "威信",
    "薇信",
    "代购",
    "加qq",
    "扣扣",
    "刷单",
)
# A small stand-in for the platform's forbidden-word list: enough to exercise 21602 without a real blacklist.
FORBIDDEN_WORDS = ("赌博网站", "代开发票", "枪支弹药", "办假证", "冰毒", "翻墙软件")

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
GIF_MAGICS = (b"GIF87a", b"GIF89a")


def weibo_length(text: str) -> int:
    """Length as Weibo counts it: each link 10, full-width characters 1, ASCII and half-width forms 0.5,
    rounded up."""
    halves = 0
    rest = URL_RE.sub("", text)
    halves += 2 * URL_WEIBO_LENGTH * len(URL_RE.findall(text))
    for char in rest:
        halves += 1 if is_half_width(char) else 2
    return math.ceil(halves / 2)


def is_half_width(char: str) -> bool:
    return ord(char) < 0x80 or unicodedata.east_asian_width(char) in ("H", "Na")


def links(text: str) -> list[str]:
    return URL_RE.findall(text)


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def on_domain(url: str, domain: str) -> bool:
    host, domain = host_of(url), domain.lower()
    return bool(host) and (host == domain or host.endswith("." + domain))


def has_topic(text: str) -> bool:
    """``#话题#`` outside links (a link's fragment is not a topic)."""
    return bool(TOPIC_RE.search(URL_RE.sub(" ", text)))


def advertising(text: str, words: Iterable[str] = ADVERTISING) -> str | None:
    folded = unicodedata.normalize("NFKC", text).lower().replace(" ", "")
    return next((word for word in words if _fold(word).replace(" ", "") in folded), None)


def forbidden_word(text: str, words: Iterable[str] = FORBIDDEN_WORDS) -> str | None:
    folded = unicodedata.normalize("NFKC", text).lower()
    return next((word for word in words if _fold(word) in folded), None)


def _fold(word: str) -> str:
    """A configured word as the text is folded: a list entry "VX:" must match "vx:" in a post."""
    return unicodedata.normalize("NFKC", word).lower()


def mentions(text: str) -> list[str]:
    return MENTION_RE.findall(text)


def normalise(text: str) -> str:
    """What "the same text" means for 20019: width, case, spacing and punctuation do not count."""
    return WHITESPACE_AND_PUNCT_RE.sub("", unicodedata.normalize("NFKC", text).lower())


def trigrams(normalised: str) -> frozenset[str]:
    if len(normalised) < 3:
        return frozenset([normalised])
    return frozenset(normalised[i : i + 3] for i in range(len(normalised) - 2))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def image_type(data: bytes) -> str | None:
    """The image type by its magic bytes (never by the file name or the declared content type)."""
    if data.startswith(JPEG_MAGIC):
        return "jpg"
    if data.startswith(PNG_MAGIC):
        return "png"
    if data.startswith(GIF_MAGICS):
        return "gif"
    return None
