"""Typed results parsed from Weibo's documented JSON shapes.

Parsing is defensive because the payload comes from outside: ids are kept as strings (int64 overflows
JavaScript and some JSON tools), ``created_at`` becomes an aware datetime, a missing or mistyped field
falls back to an empty value, text is capped, and an item without an id is dropped (and logged) rather
than failing the page it came in. Text stays raw here; templates escape it like any user text.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

MAX_TEXT = 10_000  # characters kept of any text field; Weibo long posts stop at 2,000
MAX_NAME = 200  # characters of a name or short field
DIGITS = re.compile(r"-?[0-9]{1,19}")  # ASCII only: str.isdigit() also accepts "²"
ID = re.compile(r"[0-9]{1,19}")
MONTHS = {
    m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)
}


def parse_created_at(value: object) -> datetime | None:
    """``Tue May 31 17:46:55 +0800 2011`` → aware datetime; None when unreadable.

    Parsed by hand rather than with ``strptime``, whose ``%a``/``%b`` follow the process locale.
    """
    if not isinstance(value, str):
        return None
    parts = value.split()
    try:
        _weekday, month, day, clock, offset, year = parts
        hour, minute, second = (int(x) for x in clock.split(":"))
        sign = -1 if offset[0] == "-" else 1
        delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])) * sign
        return datetime(int(year), MONTHS[month], int(day), hour, minute, second, tzinfo=timezone(delta))
    except (ValueError, KeyError, IndexError):
        return None


def _str(value: object, limit: int = MAX_NAME) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)[:limit]


MAX_INT = 2**63 - 1  # what a database's bigint holds; counts beyond it are not counts


def _int(value: object) -> int:
    """A whole number from whatever came: numbers, digit strings, else 0; never an exception."""
    if isinstance(value, bool):
        number = int(value)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if math.isfinite(value) else 0
    elif isinstance(value, str) and DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        number = 0
    return max(-MAX_INT, min(number, MAX_INT))


def _id(data: dict, *keys: str) -> str:
    """The first present id among ``keys``, as a string of ASCII digits ("" when none is usable)."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and 0 < value <= MAX_INT:
            return str(value)
        if isinstance(value, str) and ID.fullmatch(value.strip()):
            return value.strip()
    return ""


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True, slots=True)
class User:
    id: str
    screen_name: str = ""
    description: str = ""
    location: str = ""
    gender: str = ""
    followers_count: int = 0
    friends_count: int = 0
    statuses_count: int = 0
    created_at: datetime | None = None
    verified: bool = False
    verified_type: int = -1
    verified_reason: str = ""
    profile_image_url: str = ""

    @classmethod
    def parse(cls, data: object) -> User | None:
        data = _dict(data)
        uid = _id(data, "idstr", "id")
        if not uid:
            return None
        return cls(
            id=uid,
            screen_name=_str(data.get("screen_name") or data.get("name")),
            description=_str(data.get("description"), 1000),
            location=_str(data.get("location")),
            gender=_str(data.get("gender"), 2),
            followers_count=_int(data.get("followers_count")),
            friends_count=_int(data.get("friends_count")),
            statuses_count=_int(data.get("statuses_count")),
            created_at=parse_created_at(data.get("created_at")),
            verified=data.get("verified") is True,
            verified_type=_int(data.get("verified_type")) if data.get("verified_type") is not None else -1,
            verified_reason=_str(data.get("verified_reason"), 500),
            profile_image_url=_str(data.get("profile_image_url"), 1000),
        )


@dataclass(frozen=True, slots=True)
class Status:
    id: str
    mid: str = ""
    created_at: datetime | None = None
    text: str = ""
    source: str = ""
    user: User | None = None
    reposts_count: int = 0
    comments_count: int = 0
    attitudes_count: int = 0
    pic_urls: tuple[str, ...] = ()
    retweeted_status: Status | None = None

    @property
    def is_repost(self) -> bool:
        return self.retweeted_status is not None

    @classmethod
    def parse(cls, data: object, *, depth: int = 0) -> Status | None:
        data = _dict(data)
        sid = _id(data, "idstr", "id", "mid")
        if not sid:
            return None
        pics = data.get("pic_urls") if isinstance(data.get("pic_urls"), list) else []
        retweeted = None
        if depth < 1 and data.get("retweeted_status"):  # Weibo nests one level; never recurse on
            retweeted = Status.parse(data.get("retweeted_status"), depth=depth + 1)
        return cls(
            id=sid,
            mid=_id(data, "mid") or sid,
            created_at=parse_created_at(data.get("created_at")),
            text=_str(data.get("text"), MAX_TEXT),
            source=_str(data.get("source"), 1000),
            user=User.parse(data.get("user")),
            reposts_count=_int(data.get("reposts_count")),
            comments_count=_int(data.get("comments_count")),
            attitudes_count=_int(data.get("attitudes_count")),
            pic_urls=tuple(_str(_dict(p).get("thumbnail_pic"), 1000) for p in pics if _dict(p).get("thumbnail_pic")),
            retweeted_status=retweeted,
        )


@dataclass(frozen=True, slots=True)
class Comment:
    id: str
    mid: str = ""
    created_at: datetime | None = None
    text: str = ""
    user: User | None = None
    status: Status | None = None
    reply_comment: Comment | None = None

    @classmethod
    def parse(cls, data: object, *, depth: int = 0) -> Comment | None:
        data = _dict(data)
        cid = _id(data, "idstr", "id", "mid")
        if not cid:
            return None
        reply = Comment.parse(data.get("reply_comment"), depth=depth + 1) if depth < 1 else None
        return cls(
            id=cid,
            mid=_id(data, "mid") or cid,
            created_at=parse_created_at(data.get("created_at")),
            text=_str(data.get("text"), MAX_TEXT),
            user=User.parse(data.get("user")),
            status=Status.parse(data.get("status")),
            reply_comment=reply,
        )


@dataclass(frozen=True, slots=True)
class Counts:
    id: str
    reposts: int = 0
    comments: int = 0
    attitudes: int = 0

    @classmethod
    def parse(cls, data: object) -> Counts | None:
        data = _dict(data)
        sid = _id(data, "id", "idstr")
        if not sid:
            return None
        return cls(sid, _int(data.get("reposts")), _int(data.get("comments")), _int(data.get("attitudes")))


@dataclass(frozen=True, slots=True)
class AccessToken:
    access_token: str
    uid: str
    expires_at: datetime | None

    def __repr__(self) -> str:  # never print a token into a log or a traceback
        return f"AccessToken(uid={self.uid!r}, expires_at={self.expires_at!r})"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    uid: str
    appkey: str
    scope: str
    created_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class MessageSent:
    receiver_id: str
    created_at: datetime | None


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list endpoint, newest first."""

    items: list[T] = field(default_factory=list)
    total_number: int = 0
    next_cursor: int = 0  # friendships/followers only; 0 at the end
    dropped: int = 0  # items that could not be read (logged)

    @property
    def newest_id(self) -> str | None:
        ids = [int(getattr(item, "id", 0) or 0) for item in self.items]
        return str(max(ids)) if ids else None


def parse_list(raw: object, parse: Callable[[Any], T | None], source: str) -> tuple[list[T], int]:
    items, dropped = [], 0
    for entry in raw if isinstance(raw, list) else ():
        item = parse(entry)
        if item is None:
            dropped += 1
        else:
            items.append(item)
    if dropped:
        logger.warning("Dropped %d unreadable item(s) from %s", dropped, source)
    return items, dropped


MAX_SECONDS = 100 * 365 * 24 * 3600  # a token lifetime or a timestamp offset beyond a century is nonsense


def epoch(value: object) -> datetime | None:
    seconds = _int(value)
    return datetime.fromtimestamp(seconds, tz=UTC) if 0 < seconds < 4 * MAX_SECONDS else None


def in_seconds(value: object, now: datetime) -> datetime | None:
    seconds = _int(value)
    return now + timedelta(seconds=seconds) if 0 < seconds < MAX_SECONDS else None


def ids_param(ids: Iterable[str]) -> str:
    return ",".join(str(i) for i in ids)
