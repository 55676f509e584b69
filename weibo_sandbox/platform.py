"""The platform's state and rules: users, statuses, comments, follows, private messages, OAuth codes and
tokens, rate-limit buckets, and their JSON persistence.

Everything runs on one asyncio loop, so nothing here locks. Reads are O(log n + page): every list the API
pages through is a sorted list of ids, and ids grow with ``created_at`` (they encode it), so ``since_id`` /
``max_id`` are bisections."""

# ruff: noqa: S311 - the world is simulated from a seeded RNG so that a seed replays exactly; nothing here is secret
from __future__ import annotations

import base64
import bisect
import dataclasses
import hashlib
import json
import os
import random
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from . import corpus, rules
from .config import SandboxConfig
from .errors import WeiboError, invalid

# Asia/Shanghai has kept +08:00 without daylight saving since 1991: a fixed offset needs no tz database.
CST = timezone(timedelta(hours=8), "CST")
CST_OFFSET = 8 * 3600  # seconds east of UTC
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # strftime's %a/%b follow the C locale; Weibo's do not
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

ID_BASE = 4_900_000_000_000_000  # Weibo mids of 2023 sit near 4.9e15; stays below 2**53 so JSON clients keep them
ID_EPOCH = 1_577_836_800  # 2020-01-01 UTC in unix seconds: ids count milliseconds from here
ID_SLOTS_PER_MS = 100  # ids minted within one millisecond take consecutive slots
MESSAGE_ID_BASE = 4_000_000_000_000_000  # private messages have their own id space below statuses
OWN_UIDS = (5500000001, 5500000002, 5500000003, 5500000004)
OWN_NAMES = ("鲜牧乳业", "鲜牧客服", "鲜牧酸奶", "鲜牧华东")
NEW_OWN_UID_START = 5500000101  # registered own accounts count up from here
FAN_UID_START = 6_100_000_000  # generated fans, bots and KOLs count up from here

CODE_LIFETIME = 600  # seconds: Weibo's authorization codes live 10 minutes and are single use
# The fan-service reply window (messages/reply/biz): replies for 48 h after the fan's message, follow,
# subscribe, menu click or QR scan; one reply within 48 h after an @mention event; none once unfollowed.
REPLY_WINDOW = 48 * 3600  # seconds
OPENING_EVENTS = frozenset({"message", "follow", "subscribe", "click", "scan", "scan_follow"})
FAN_EVENTS = OPENING_EVENTS | {"mention", "unfollow", "unsubscribe", "view"}  # what a fan can do to an account
DUPLICATE_WINDOW = 24 * 3600  # seconds a user's earlier posts count for 20019/20111
FOLLOWERS_REACHABLE = 5000  # friendships/followers never pages past the newest 5000 followers
MAX_PM_LENGTH = 299  # Weibo characters: the reply's text must be "less than 300 Chinese characters"
REQUEST_LOG_SIZE = 1000  # API requests kept for /_sandbox/requests
STATE_VERSION = 1

DEFAULT_AVATAR = "/_sandbox/avatars/default_avatar_{}_180.svg"  # "default_avatar" is what zombie checks look for
SOURCES = (
    '<a href="https://weibo.com/" rel="nofollow">iPhone客户端</a>',
    '<a href="https://weibo.com/" rel="nofollow">Android客户端</a>',
    '<a href="https://weibo.com/" rel="nofollow">微博 weibo.com</a>',
    '<a href="https://weibo.com/" rel="nofollow">HUAWEI Mate 60 Pro</a>',
    '<a href="https://weibo.com/" rel="nofollow">小米14 Ultra</a>',
)
API_SOURCE = '<a href="https://open.weibo.com/" rel="nofollow">微博开放平台</a>'
ENTERPRISE_VERIFIED = 2  # verified_type of a company's blue V
PERSONAL_VERIFIED = 0  # verified_type of a person's orange V


class StateFileError(Exception):
    """The state file cannot be used; the message names it."""


def weibo_time(at: float) -> str:
    d = datetime.fromtimestamp(at, CST)
    return f"{_DAYS[d.weekday()]} {_MONTHS[d.month - 1]} {d.day:02d} {d:%H:%M:%S} +0800 {d.year}"


def id_at(at: float) -> int:
    """The smallest id minted at ``at``: ids are ordered like their creation times."""
    return ID_BASE + round((at - ID_EPOCH) * 1000) * ID_SLOTS_PER_MS  # round: float seconds are not exact ms


@dataclass
class User:
    id: int
    screen_name: str
    created_at: float
    description: str = ""
    location: str = ""
    gender: str = "n"
    followers_count: int = 0
    friends_count: int = 0
    statuses_count: int = 0
    verified: bool = False
    verified_type: int = -1
    verified_reason: str = ""
    default_avatar: bool = False
    kind: str = "normal"  # sandbox bookkeeping (normal, zombie, bot, hunter, kol, brand): never sent to clients


@dataclass
class Status:
    id: int
    user_id: int
    text: str
    created_at: float
    source: str = SOURCES[0]
    retweeted_id: int | None = None  # the cascade's original: Weibo always points reposts at the root
    parent_id: int | None = None  # what was reposted directly (a repost, or the root)
    reposts_count: int = 0
    comments_count: int = 0
    attitudes_count: int = 0
    pic_ids: list[str] = field(default_factory=list)
    rip: str | None = None
    deleted: bool = False


@dataclass
class Comment:
    id: int
    user_id: int
    status_id: int
    text: str
    created_at: float
    reply_id: int | None = None
    source: str = SOURCES[0]
    rip: str | None = None


@dataclass
class Message:
    id: int
    sender_id: int
    receiver_id: int
    text: str
    created_at: float
    rip: str | None = None


@dataclass
class Token:
    token: str
    uid: int
    app_key: str
    created_at: float
    expires_at: float
    revoked: bool = False


@dataclass
class Code:
    code: str
    uid: int
    client_id: str
    redirect_uri: str
    created_at: float
    used: bool = False


@dataclass
class ListQuery:
    since_id: int = 0
    max_id: int = 0
    count: int = 20
    page: int = 1


class Platform:
    def __init__(self, config: SandboxConfig, *, clock: Callable[[], float] = time.time):
        self.config = config
        self.clock = clock
        self.requests: deque[dict] = deque(maxlen=REQUEST_LOG_SIZE)
        self.version = 0  # bumped by every change; the saver compares it with what it last wrote
        self._clear()

    # ------------------------------------------------------------------ state
    def _clear(self) -> None:
        self.rng = random.Random(self.config.seed)
        self.users: dict[int, User] = {}
        self.names: dict[str, int] = {}
        self.own: list[int] = []
        self.statuses: dict[int, Status] = {}
        self.comments: dict[int, Comment] = {}
        self.messages: list[Message] = []
        self.tokens: dict[str, Token] = {}
        self.codes: dict[str, Code] = {}
        self.pics: dict[str, tuple[str, bytes]] = {}
        self.followers: dict[int, dict[int, float]] = {}  # own uid -> {fan uid: followed at}, oldest first
        self.friends: dict[int, set[int]] = {}  # own uid -> whom it follows (mentions' filter_by_author)
        self.hidden: dict[int, float] = {}  # id -> unix time it becomes visible (pending writes)
        self.buckets: dict[tuple[str, object], int] = {}
        self.bucket_hour = 0
        self.day_calls: dict[int, int] = {}  # calls per user in the current day (limits["daily_calls"])
        self.bucket_day = 0
        self._reset_indexes()
        self.next_fan_uid = FAN_UID_START
        self.next_message_id = MESSAGE_ID_BASE

    def _reset_indexes(self) -> None:
        self.all_statuses: list[int] = []
        self.timelines: dict[int, list[int]] = {}
        self.mention_statuses: dict[int, list[int]] = {}
        self.mention_comments: dict[int, list[int]] = {}
        self.status_comments: dict[int, list[int]] = {}
        self.comments_to: dict[int, list[int]] = {}
        self.status_reposts: dict[int, list[int]] = {}
        self.interactions: set[tuple[int, int, str]] = set()  # (user, target, normalised text): 20017
        # (own uid, fan uid) -> what the fan did to the account, as (time, event), in time order
        self.fan_events: dict[tuple[int, int], list[tuple[float, str]]] = {}

    def touch(self) -> None:
        self.version += 1

    def now(self) -> float:
        return self.clock()

    def seed(self) -> None:
        """Replace everything with the seeded demo world of ``config.seed``."""
        self._clear()
        seed_world(self)
        self.touch()

    # ------------------------------------------------------------------ ids and lookups
    def new_id(self, at: float) -> int:
        candidate = id_at(at)
        while candidate in self.statuses or candidate in self.comments:
            candidate += 1
        return candidate

    def user(self, uid: int) -> User:
        try:
            return self.users[uid]
        except KeyError:
            raise WeiboError(20003) from None

    def user_by_name(self, name: str) -> User:
        uid = self.names.get(name)
        if uid is None:
            raise WeiboError(20003)
        return self.users[uid]

    def visible(self, object_id: int) -> bool:
        until = self.hidden.get(object_id)
        if until is None:
            return True
        if self.now() >= until:
            del self.hidden[object_id]
            return True
        return False

    def status(self, sid: int) -> Status:
        status = self.statuses.get(sid)
        if status is None or status.deleted or not self.visible(sid):
            raise WeiboError(20101)
        return status

    def comment(self, cid: int) -> Comment:
        comment = self.comments.get(cid)
        if comment is None or not self.visible(cid):
            raise WeiboError(20201)
        return comment

    # ------------------------------------------------------------------ users
    def add_user(self, user: User) -> User:
        base, n = user.screen_name, 1
        while user.screen_name in self.names and self.names[user.screen_name] != user.id:
            n += 1
            user.screen_name = f"{base}{n}"
        self.users[user.id] = user
        self.names[user.screen_name] = user.id
        self.timelines.setdefault(user.id, [])
        self.touch()
        return user

    def new_fan_uid(self) -> int:
        while self.next_fan_uid in self.users:
            self.next_fan_uid += 1
        uid = self.next_fan_uid
        self.next_fan_uid += 1
        return uid

    def make_user(self, rng: random.Random, *, kind: str = "normal", at: float | None = None) -> User:
        """A new ordinary user of the given kind, with counts and age that look like that kind."""
        now = self.now() if at is None else at
        day = 86400.0
        style = {"zombie": "default", "bot": "default", "hunter": "hunter", "kol": "kol"}.get(kind, "normal")
        user = User(
            id=self.new_fan_uid(),
            screen_name=corpus.screen_name(rng, style=style),
            created_at=now - rng.uniform(200, 3000) * day,
            description=corpus.description(rng, style=style) if kind in ("normal", "hunter", "kol") else "",
            location=corpus.location(rng),
            gender=rng.choice("mmf" if kind == "kol" else "mff"),
            kind=kind,
        )
        if kind == "normal":
            user.followers_count = int(rng.lognormvariate(4.5, 1.3))
            user.friends_count = int(rng.lognormvariate(5.2, 0.8))
            user.statuses_count = int(rng.lognormvariate(6, 1.2))
            if rng.random() < 0.2:
                user.description = ""
        elif kind == "zombie":
            user.created_at = now - rng.uniform(5, 120) * day
            user.followers_count = rng.randint(0, 6)
            user.friends_count = rng.randint(150, 900)
            user.statuses_count = rng.randint(0, 12)
            user.default_avatar = True
        elif kind == "bot":
            user.created_at = now - rng.uniform(1, 9) * day
            user.followers_count = 0
            user.friends_count = rng.randint(0, 15)
            user.statuses_count = rng.randint(1, 8)
            user.default_avatar = True
            user.location = "其他"
        elif kind == "hunter":
            user.followers_count = rng.randint(5, 300)
            user.friends_count = rng.randint(1200, 2000)
            user.statuses_count = rng.randint(8000, 90000)
        elif kind == "kol":
            user.created_at = now - rng.uniform(2500, 4500) * day
            user.followers_count = rng.randint(1_000_000, 9_000_000)
            user.friends_count = rng.randint(200, 1500)
            user.statuses_count = rng.randint(8000, 40000)
            user.verified = True
            user.verified_type = PERSONAL_VERIFIED
            user.verified_reason = rng.choice(["知名美食博主", "健康科普博主", "母婴育儿博主", "微博签约自媒体"])
        return self.add_user(user)

    def register_own(self, screen_name: str, uid: int | None = None) -> User:
        """An own (brand) account; idempotent by screen name."""
        if screen_name in self.names:
            user = self.users[self.names[screen_name]]
            if uid is not None and user.id != uid:
                raise ValueError(f"screen_name {screen_name!r} already belongs to uid {user.id}")
            if user.id not in self.own:
                raise ValueError(f"screen_name {screen_name!r} belongs to a fan account (uid {user.id})")
            return user
        if uid is not None and uid in self.users:
            raise ValueError(f"uid {uid} already exists as {self.users[uid].screen_name!r}")
        if uid is None:
            uid = NEW_OWN_UID_START
            while uid in self.users:
                uid += 1
        rng = random.Random(f"{self.config.seed}:own:{screen_name}")
        user = self.add_user(
            User(
                id=uid,
                screen_name=screen_name,
                created_at=self.now() - rng.uniform(900, 3000) * 86400,
                description=f"{screen_name}官方微博",
                location=rng.choice(["上海", "上海 浦东新区", "江苏 南京", "浙江 杭州"]),
                gender="n",  # a company: Weibo shows no gender
                followers_count=rng.randint(12_000, 90_000),
                friends_count=rng.randint(80, 400),
                statuses_count=rng.randint(800, 5000),
                verified=True,
                verified_type=ENTERPRISE_VERIFIED,
                verified_reason=f"{screen_name}官方微博",
                kind="brand",
            )
        )
        self.own.append(uid)
        self.followers.setdefault(uid, {})
        self.friends.setdefault(uid, set())
        return user

    # ------------------------------------------------------------------ writes (no rules: traffic uses these)
    def _index(self, ids: dict[int, list[int]], key: int, object_id: int) -> None:
        bisect.insort(ids.setdefault(key, []), object_id)

    def _index_mentions(self, text: str, author: int, index: dict[int, list[int]], object_id: int) -> None:
        for name in set(rules.mentions(text)):
            uid = self.names.get(name)
            if uid is not None and uid != author and uid in self.followers:  # only own accounts read mentions
                self._index(index, uid, object_id)

    def add_status(
        self,
        user: User,
        text: str,
        *,
        at: float | None = None,
        parent: Status | None = None,
        source: str | None = None,
        pic_ids: Iterable[str] = (),
        rip: str | None = None,
        attitudes: int = 0,
    ) -> Status:
        """Store a post, or a repost of ``parent`` (its text already composed)."""
        at = self.now() if at is None else at
        root = None
        if parent is not None:
            root = self.statuses[parent.retweeted_id] if parent.retweeted_id else parent
        status = Status(
            id=self.new_id(at),
            user_id=user.id,
            text=text,
            created_at=at,
            source=source or SOURCES[user.id % len(SOURCES)],
            retweeted_id=root.id if root else None,
            parent_id=parent.id if parent else None,
            pic_ids=list(pic_ids),
            rip=rip,
            attitudes_count=attitudes,
        )
        self.statuses[status.id] = status
        self._index_status(status)
        user.statuses_count += 1
        if root is not None:
            root.reposts_count += 1
            if parent is not root:
                parent.reposts_count += 1
        self.touch()
        return status

    def _index_status(self, status: Status) -> None:
        bisect.insort(self.all_statuses, status.id)
        self._index(self.timelines, status.user_id, status.id)
        self._index_mentions(status.text, status.user_id, self.mention_statuses, status.id)
        if status.retweeted_id:
            self._index(self.status_reposts, status.retweeted_id, status.id)
            if status.parent_id != status.retweeted_id:
                self._index(self.status_reposts, status.parent_id, status.id)
            remark = status.text.split("//@", 1)[0]
            self.interactions.add((status.user_id, status.parent_id, rules.normalise(remark)))

    def add_comment(
        self,
        user: User,
        status: Status,
        text: str,
        *,
        at: float | None = None,
        reply_to: Comment | None = None,
        rip: str | None = None,
        source: str | None = None,
    ) -> Comment:
        at = self.now() if at is None else at
        comment = Comment(
            id=self.new_id(at),
            user_id=user.id,
            status_id=status.id,
            text=text,
            created_at=at,
            reply_id=reply_to.id if reply_to else None,
            rip=rip,
            source=source or SOURCES[user.id % len(SOURCES)],
        )
        self.comments[comment.id] = comment
        self._index_comment(comment)
        status.comments_count += 1
        self.touch()
        return comment

    def _index_comment(self, comment: Comment) -> None:
        status = self.statuses[comment.status_id]
        self._index(self.status_comments, status.id, comment.id)
        if status.user_id != comment.user_id:
            self._index(self.comments_to, status.user_id, comment.id)
        self._index_mentions(comment.text, comment.user_id, self.mention_comments, comment.id)
        self.interactions.add((comment.user_id, status.id, rules.normalise(comment.text)))

    def compose_repost_text(self, parent: Status, remark: str) -> str:
        """Weibo keeps the chain: reposting a repost appends ``//@parent:parent's text``."""
        remark = remark or "转发微博"
        if parent.retweeted_id is None:
            return remark
        return f"{remark}//@{self.users[parent.user_id].screen_name}:{parent.text}"

    def repost(
        self,
        user: User,
        parent: Status,
        remark: str,
        *,
        at: float | None = None,
        is_comment: int = 0,
        rip: str | None = None,
        source: str | None = None,
    ) -> Status:
        """A repost with Weibo's side effects: the chain in the text, and is_comment 1/2/3 also comments on the
        reposted post / the original / both."""
        at = self.now() if at is None else at
        status = self.add_status(
            user, self.compose_repost_text(parent, remark), at=at, parent=parent, rip=rip, source=source
        )
        root = self.statuses[status.retweeted_id]
        targets = {1: [parent], 2: [root], 3: [parent, root]}.get(is_comment, [])
        for target in {t.id: t for t in targets}.values():
            self.add_comment(user, target, remark or "转发微博", at=at, rip=rip, source=source)
        return status

    def destroy(self, status: Status) -> None:
        status.deleted = True
        for index in (self.all_statuses, self.timelines.get(status.user_id, [])):
            _remove(index, status.id)
        for ids in self.mention_statuses.values():
            _remove(ids, status.id)
        if status.retweeted_id:
            root = self.statuses[status.retweeted_id]
            root.reposts_count = max(0, root.reposts_count - 1)
            _remove(self.status_reposts.get(root.id, []), status.id)
            parent = self.statuses.get(status.parent_id or 0)
            if parent is not None and parent is not root:
                parent.reposts_count = max(0, parent.reposts_count - 1)
                _remove(self.status_reposts.get(parent.id, []), status.id)
        user = self.users[status.user_id]
        user.statuses_count = max(0, user.statuses_count - 1)
        self.touch()

    def send_message(
        self, sender: User, receiver: User, text: str, *, at: float | None = None, rip: str | None = None
    ) -> Message:
        at = self.now() if at is None else at
        self.next_message_id = max(self.next_message_id + 1, MESSAGE_ID_BASE + int((at - ID_EPOCH) * 1000))
        message = Message(self.next_message_id, sender.id, receiver.id, text, at, rip)
        self.messages.append(message)
        if receiver.id in self.followers and sender.id not in self.followers:
            self.fan_event(receiver.id, sender.id, "message", at)
        self.touch()
        return message

    def fan_event(self, own_id: int, fan_id: int, event: str, at: float | None = None) -> None:
        """Remember what a fan did to an own account: it opens or closes the private-message window."""
        if event not in FAN_EVENTS:
            raise ValueError(f"unknown fan event {event!r}; known: {', '.join(sorted(FAN_EVENTS))}")
        events = self.fan_events.setdefault((own_id, fan_id), [])
        bisect.insort(events, (self.now() if at is None else at, event))
        self.touch()

    def reply_window_problem(self, own_id: int, fan_id: int) -> str | None:
        """Why the account may not send this fan a private message now, or None when it may."""
        now = self.now()
        events = self.fan_events.get((own_id, fan_id), [])
        unfollowed = max((at for at, e in events if e == "unfollow"), default=None)
        live = [(at, e) for at, e in events if unfollowed is None or at > unfollowed]
        opened = max((at for at, e in live if e in OPENING_EVENTS), default=None)
        if opened is not None and now - opened <= REPLY_WINDOW:
            return None
        mentioned = max((at for at, e in live if e == "mention"), default=None)
        if mentioned is not None and now - mentioned <= REPLY_WINDOW:
            sent = any(m.sender_id == own_id and m.receiver_id == fan_id and m.created_at >= mentioned
                       for m in reversed(self.messages))
            return "one reply after an @mention, and it was sent" if sent else None
        if unfollowed is not None:
            return "the fan unfollowed the account: no private message until they follow or write again"
        if not events:
            return f"user {fan_id} never wrote to, followed or @mentioned this account: the reply window is closed"
        return f"the reply window closed {REPLY_WINDOW // 3600} h after the fan's last message or event"

    def follow(self, fan: User, own: User, *, at: float | None = None) -> bool:
        """False when the fan already follows."""
        fans = self.followers[own.id]
        if fan.id in fans:
            return False
        fans[fan.id] = self.now() if at is None else at
        own.followers_count += 1
        fan.friends_count += 1
        self.touch()
        return True

    def unfollow(self, fan: User, own: User) -> bool:
        fans = self.followers[own.id]
        if fans.pop(fan.id, None) is None:
            return False
        own.followers_count = max(0, own.followers_count - 1)
        fan.friends_count = max(0, fan.friends_count - 1)
        self.touch()
        return True

    def hide(self, object_id: int, until: float) -> None:
        self.hidden[object_id] = until
        self.touch()

    # ------------------------------------------------------------------ API writes (rules apply)
    def _check_text(self, text: str | None, name: str) -> str:
        if text is None:
            raise WeiboError(10016, name)
        if not text.strip():
            raise WeiboError(20008)
        if rules.weibo_length(text) > rules.MAX_WEIBO_LENGTH:
            raise WeiboError(20012)
        if rules.forbidden_word(text, self.config.forbidden_words):
            raise WeiboError(21602)
        if rules.advertising(text, self.config.advertising_words):
            raise WeiboError(20020)
        return text

    def _check_burst(self, user: User, now: float) -> None:
        timeline = self.timelines.get(user.id, [])
        recent = len(timeline) - bisect.bisect_left(timeline, id_at(now - self.config.post_burst_window))
        if recent >= self.config.post_burst_limit:
            raise WeiboError(20016)

    def _check_duplicate(self, user: User, text: str, now: float) -> None:
        normalised = rules.normalise(text)
        grams = rules.trigrams(normalised)
        timeline = self.timelines.get(user.id, [])
        start = bisect.bisect_left(timeline, id_at(now - DUPLICATE_WINDOW))
        for sid in reversed(timeline[start:]):
            earlier = self.statuses[sid]
            if earlier.retweeted_id is not None:
                continue
            other = rules.normalise(earlier.text)
            if other == normalised:
                raise WeiboError(20019)
            if rules.jaccard(grams, rules.trigrams(other)) >= self.config.near_duplicate_jaccard:
                raise WeiboError(20111)

    def api_share(self, user: User, text: str | None, pic: tuple[str, bytes] | None, rip: str) -> Status:
        now = self.now()
        text = self._check_text(text, "status")
        urls = rules.links(text)
        if any(not rules.on_domain(url, self.config.safe_domain) for url in urls):
            raise WeiboError(20018)
        if not urls:
            raise invalid("status", f"must contain a link on the app's safe domain {self.config.safe_domain}")
        if rules.has_topic(text):
            raise invalid("status", "#topic# is not allowed in statuses/share")
        pic_ids = []
        if pic is not None:
            pic_ids.append(self._store_pic(*pic))
        self._check_burst(user, now)
        self._check_duplicate(user, text, now)
        return self.add_status(user, text, at=now, pic_ids=pic_ids, rip=rip, source=API_SOURCE)

    def picture_store(self, filename: str, data: bytes) -> str:
        """A picture kept by content address, as an upload is: its pic id."""
        return self._store_pic(filename, data)

    def _store_pic(self, filename: str, data: bytes) -> str:
        kind = rules.image_type(data)
        if kind is None:
            raise WeiboError(20005)
        if len(data) >= rules.MAX_IMAGE_BYTES:
            raise WeiboError(20006)
        pid = hashlib.sha1(data).hexdigest()[:24]  # noqa: S324 - a content address, not a security measure
        self.pics[pid] = (kind, data)
        return pid

    def api_repost(self, user: User, sid: int, remark: str | None, is_comment: int, rip: str) -> Status:
        now = self.now()
        parent = self.status(sid)
        remark = (remark or "").strip()
        if remark:
            self._check_text(remark, "status")
        if (user.id, parent.id, rules.normalise(remark or "转发微博")) in self.interactions:
            raise WeiboError(20017)
        self._check_burst(user, now)
        return self.repost(user, parent, remark, at=now, is_comment=is_comment, rip=rip, source=API_SOURCE)

    def api_destroy(self, user: User, sid: int) -> Status:
        status = self.status(sid)
        if status.user_id != user.id:
            raise WeiboError(20102)
        self.destroy(status)
        return status

    def api_comment(self, user: User, sid: int, text: str | None, rip: str) -> Comment:
        status = self.status(sid)
        text = self._check_text(text, "comment")
        if (user.id, status.id, rules.normalise(text)) in self.interactions:
            raise WeiboError(20017)
        return self.add_comment(user, status, text, rip=rip, source=API_SOURCE)

    def api_reply(
        self, user: User, *, cid: int, sid: int, text: str | None, without_mention: bool, rip: str
    ) -> Comment:
        status = self.status(sid)
        target = self.comment(cid)
        if target.status_id != status.id:
            raise invalid("cid", f"comment {cid} is not on status {sid}")
        text = self._check_text(text, "comment")
        if not without_mention:
            text = f"回复@{self.users[target.user_id].screen_name}:{text}"
        if (user.id, status.id, rules.normalise(text)) in self.interactions:
            raise WeiboError(20017)
        return self.add_comment(user, status, text, reply_to=target, rip=rip, source=API_SOURCE)

    def api_message_reply(
        self, user: User, receiver_id: int, text: str, rip: str | None, *, save_sender_box: bool = True
    ) -> Message:
        """Only within the window the fan's last message or event opened (see ``reply_window_problem``)."""
        if not text.strip():
            raise WeiboError(20008)
        if rules.weibo_length(text) > MAX_PM_LENGTH:
            raise invalid("data", f"text must be under {MAX_PM_LENGTH + 1} characters")
        receiver = self.users.get(receiver_id)
        problem = self.reply_window_problem(user.id, receiver_id)
        if problem or receiver is None:
            raise invalid("receiver_id", problem or "no such user")
        # save_sender_box=0 keeps the reply out of the account's own message box; the fan gets it either way.
        return self.send_message(user, receiver, text, rip=rip)

    # ------------------------------------------------------------------ reads
    def page(
        self, ids: list[int], query: ListQuery, keep: Callable[[int], bool] | None = None
    ) -> tuple[list[int], int]:
        """Newest first within (since_id, max_id], ``count`` per page; also the total in that range."""
        lo = bisect.bisect_right(ids, query.since_id) if query.since_id else 0
        hi = bisect.bisect_right(ids, query.max_id) if query.max_id else len(ids)
        skip, out = (query.page - 1) * query.count, []
        if keep is None:
            total = hi - lo - sum(1 for h in list(self.hidden) if not self.visible(h) and _contains(ids, h, lo, hi))
        else:
            total = sum(1 for i in range(lo, hi) if keep(ids[i]) and self.visible(ids[i]))
        for i in range(hi - 1, lo - 1, -1):
            object_id = ids[i]
            if not self.visible(object_id) or (keep is not None and not keep(object_id)):
                continue
            if skip:
                skip -= 1
                continue
            out.append(object_id)
            if len(out) >= query.count:
                break
        return out, total

    def followers_page(self, own: User, count: int, cursor: int) -> dict:
        fans = list(reversed(self.followers.get(own.id, {})))[:FOLLOWERS_REACHABLE]
        chunk = fans[cursor : cursor + count]
        next_cursor = cursor + count if cursor + count < len(fans) else 0
        return {
            "users": [self.user_json(self.users[uid]) for uid in chunk],
            "next_cursor": next_cursor,
            "previous_cursor": max(0, cursor - count),
            "total_number": own.followers_count,
        }

    def search(
        self, terms: list[str], *, start: float | None, end: float | None, count: int, page: int, sort: str,
        authors: set[int] | None = None, province: int | None = None, city: int | None = None,
        filters: dict[str, bool] | None = None,
    ) -> tuple[list[Status], int]:
        ids = self.all_statuses
        lo = bisect.bisect_left(ids, id_at(start)) if start else 0
        hi = bisect.bisect_left(ids, id_at(end + 1)) if end else len(ids)
        folded = [t.lower() for t in terms]
        tests = [self._search_filter(name, wanted) for name, wanted in (filters or {}).items()]
        if authors is not None:
            tests.append(lambda s: s.user_id in authors)
        if province is not None:
            tests.append(lambda s: corpus.region_codes(self.users[s.user_id].location)[0] == province)
        if city is not None:
            tests.append(lambda s: corpus.region_codes(self.users[s.user_id].location)[1] == city)
        hits = [
            self.statuses[ids[i]]
            for i in range(hi - 1, lo - 1, -1)
            if self.visible(ids[i]) and all(t in self.statuses[ids[i]].text.lower() for t in folded)
            and all(test(self.statuses[ids[i]]) for test in tests)
        ]
        ranking = {
            "hot": lambda s: s.reposts_count + s.comments_count + s.attitudes_count,
            "fwnum": lambda s: s.reposts_count,
            "cmtnum": lambda s: s.comments_count,
        }.get(sort)
        if ranking is not None:
            hits.sort(key=ranking, reverse=True)
        return hits[(page - 1) * count : page * count], len(hits)

    def _search_filter(self, name: str, wanted: bool) -> Callable[[Status], bool]:
        """The business search's 0/1 filters: original, repost, picture, link, @, verified author."""
        has = {
            "hasori": lambda s: s.retweeted_id is None,
            "hasret": lambda s: s.retweeted_id is not None,
            "haspic": lambda s: bool(s.pic_ids),
            "haslink": lambda s: bool(rules.links(s.text)),
            "hasat": lambda s: bool(rules.mentions(s.text)),
            "hasv": lambda s: self.users[s.user_id].verified,
        }[name]
        return lambda s: has(s) == wanted

    # ------------------------------------------------------------------ JSON shapes
    def avatar(self, user: User) -> str:
        if user.default_avatar:
            return self.config.base_url + DEFAULT_AVATAR.format("female" if user.gender == "f" else "male")
        return f"{self.config.base_url}/_sandbox/avatars/{user.id}.svg"

    def user_json(self, user: User) -> dict:
        avatar = self.avatar(user)
        return {
            "id": user.id,
            "idstr": str(user.id),
            "screen_name": user.screen_name,
            "name": user.screen_name,
            "description": user.description,
            "location": user.location,
            "province": str(corpus.region_codes(user.location)[0]),
            "city": str(corpus.region_codes(user.location)[1]),
            "gender": user.gender,
            "followers_count": user.followers_count,
            "friends_count": user.friends_count,
            "statuses_count": user.statuses_count,
            "created_at": weibo_time(user.created_at),
            "verified": user.verified,
            "verified_type": user.verified_type,
            "verified_reason": user.verified_reason,
            "profile_image_url": avatar,
            "avatar_large": avatar,
            "avatar_hd": avatar,
            "profile_url": f"u/{user.id}",
        }

    def status_json(self, status: Status, *, nested: bool = True) -> dict:
        pics = [
            f"{self.config.base_url}/_sandbox/pics/{pid}.{self.pics[pid][0]}"
            for pid in status.pic_ids
            if pid in self.pics
        ]
        body = {
            "id": status.id,
            "idstr": str(status.id),
            "mid": str(status.id),
            "created_at": weibo_time(status.created_at),
            "text": status.text,
            "source": status.source,
            "user": self.user_json(self.users[status.user_id]),
            "reposts_count": status.reposts_count,
            "comments_count": status.comments_count,
            "attitudes_count": status.attitudes_count,
            "pic_urls": [{"thumbnail_pic": url} for url in pics],
        }
        if pics:
            body.update(thumbnail_pic=pics[0], bmiddle_pic=pics[0], original_pic=pics[0])
        if status.deleted:
            body.update(deleted="1", text="抱歉，此微博已被作者删除。")
        if nested and status.retweeted_id:
            body["retweeted_status"] = self.status_json(self.statuses[status.retweeted_id], nested=False)
        return body

    def comment_json(self, comment: Comment, *, nested: bool = True) -> dict:
        body = {
            "id": comment.id,
            "idstr": str(comment.id),
            "mid": str(comment.id),
            "created_at": weibo_time(comment.created_at),
            "text": comment.text,
            "source": comment.source,
            "user": self.user_json(self.users[comment.user_id]),
        }
        if nested:
            body["status"] = self.status_json(self.statuses[comment.status_id])
            if comment.reply_id and comment.reply_id in self.comments:
                body["reply_comment"] = self.comment_json(self.comments[comment.reply_id], nested=False)
        return body

    def message_json(self, message: Message) -> dict:
        return {
            "id": message.id,
            "sender_id": message.sender_id,
            "receiver_id": message.receiver_id,
            "text": message.text,
            "created_at": weibo_time(message.created_at),
        }

    # ------------------------------------------------------------------ OAuth
    def issue_code(self, uid: int, client_id: str, redirect_uri: str) -> str:
        code = secrets.token_hex(16)
        self.codes = {c: v for c, v in self.codes.items() if self.now() - v.created_at < CODE_LIFETIME}
        self.codes[code] = Code(code, uid, client_id, redirect_uri, self.now())
        self.touch()
        return code

    def issue_token(self, uid: int, app_key: str) -> Token:
        now = self.now()
        token = Token("2.00" + secrets.token_hex(16), uid, app_key, now, now + self.config.token_lifetime)
        self.tokens[token.token] = token
        self.touch()
        return token

    def token(self, value: str) -> Token:
        token = self.tokens.get(value)
        if token is None or token.revoked:
            raise WeiboError(21332)
        if self.now() >= token.expires_at:
            raise WeiboError(21327)
        return token

    def tokens_of(self, uid: int) -> list[Token]:
        return [t for t in self.tokens.values() if t.uid == uid]

    # ------------------------------------------------------------------ rate limits
    def _bucket(self, key: tuple[str, object]) -> int:
        hour = int(self.now() // 3600)  # fixed clock-hour windows, as Weibo counts them
        if hour != self.bucket_hour:
            self.buckets.clear()
            self.bucket_hour = hour
        return self.buckets.get(key, 0)

    def _day_calls(self, uid: int) -> int:
        day = int((self.now() + CST_OFFSET) // 86400)  # a day as Weibo's users live it: midnight in Beijing
        if day != self.bucket_day:
            self.day_calls.clear()
            self.bucket_day = day
        return self.day_calls.get(uid, 0)

    def check_limits(self, *, uid: int, ip: str, kind: str | None, api: str) -> None:
        limits = self.config.limits
        if self._bucket(("ip", ip)) >= limits["ip"]:
            raise WeiboError(10022)
        if self._bucket(("calls", uid)) >= limits["calls"]:
            raise WeiboError(10023)
        # The stricter revision's per-day allowance answers with the same "user requests" code as the hour's.
        if limits.get("daily_calls") and self._day_calls(uid) >= limits["daily_calls"]:
            raise WeiboError(10023)
        if kind and self._bucket((kind, uid)) >= limits[kind]:
            raise WeiboError(10024, api)

    def check_biz_limit(self, ip: str) -> None:
        """The business API (c.api.weibo.com) counts calls per server IP per hour, apart from the rest."""
        if self._bucket(("biz", ip)) >= self.config.limits["biz"]:
            raise WeiboError(10022)

    def spend(self, key: tuple[str, object], amount: int = 1) -> None:
        self.buckets[key] = self._bucket(key) + amount
        if key[0] == "calls" and isinstance(key[1], int):
            self.day_calls[key[1]] = self._day_calls(key[1]) + amount

    def exhaust(self, key: tuple[str, object]) -> None:
        """Mark a bucket spent for the rest of its hour (fault injection of a rate-limit answer)."""
        self._bucket(key)
        self.buckets[key] = max(self.buckets.get(key, 0), self.config.limits[key[0]])

    def remaining(self, uid: int, ip: str) -> dict:
        limits = self.config.limits
        reset = (int(self.now() // 3600) + 1) * 3600
        return {
            "ip_limit": limits["ip"],
            "limit_time_unit": "HOURS",
            "remaining_ip_hits": max(0, limits["ip"] - self._bucket(("ip", ip))),
            "remaining_user_hits": max(0, limits["calls"] - self._bucket(("calls", uid))),
            "reset_time": datetime.fromtimestamp(reset, CST).strftime("%Y-%m-%d %H:%M:%S"),
            "reset_time_in_seconds": int(reset - self.now()),
            "user_limit": limits["calls"],
        }

    # ------------------------------------------------------------------ persistence
    def to_state(self) -> dict:
        return {
            "version": STATE_VERSION,
            "seed": self.config.seed,
            "users": [dataclasses.asdict(u) for u in self.users.values()],
            "own": self.own,
            "statuses": [dataclasses.asdict(s) for s in self.statuses.values()],
            "comments": [dataclasses.asdict(c) for c in self.comments.values()],
            "messages": [dataclasses.asdict(m) for m in self.messages],
            "tokens": [dataclasses.asdict(t) for t in self.tokens.values()],
            "codes": [dataclasses.asdict(c) for c in self.codes.values()],
            "pics": {pid: [kind, base64.b64encode(data).decode()] for pid, (kind, data) in self.pics.items()},
            "followers": {str(uid): [[fan, at] for fan, at in fans.items()] for uid, fans in self.followers.items()},
            "friends": {str(uid): sorted(f) for uid, f in self.friends.items()},
            "hidden": {str(k): v for k, v in self.hidden.items()},
            "next_fan_uid": self.next_fan_uid,
            "next_message_id": self.next_message_id,
            # Messages are kept above; the other events a fan caused, for the reply window.
            "fan_events": [[own, fan, at, event] for (own, fan), events in self.fan_events.items()
                           for at, event in events if event != "message"],
        }

    def load_state(self, state: dict) -> None:
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported state version {state.get('version')!r} (expected {STATE_VERSION})")
        self._clear()
        for u in state["users"]:
            user = User(**u)
            self.users[user.id] = user
            self.names[user.screen_name] = user.id
        self.own = [int(uid) for uid in state["own"]]
        self.followers = {int(uid): {int(f): float(at) for f, at in fans} for uid, fans in state["followers"].items()}
        self.friends = {int(uid): {int(f) for f in fans} for uid, fans in state["friends"].items()}
        self.statuses = {s["id"]: Status(**s) for s in state["statuses"]}
        self.comments = {c["id"]: Comment(**c) for c in state["comments"]}
        self.tokens = {t["token"]: Token(**t) for t in state["tokens"]}
        self.codes = {c["code"]: Code(**c) for c in state["codes"]}
        self.pics = {pid: (kind, base64.b64decode(data)) for pid, (kind, data) in state["pics"].items()}
        self.hidden = {int(k): float(v) for k, v in state["hidden"].items()}
        self.next_fan_uid = int(state["next_fan_uid"])
        for uid in self.users:
            self.timelines.setdefault(uid, [])
        for status in sorted(self.statuses.values(), key=lambda s: s.id):
            if not status.deleted:
                self._index_status(status)
        for comment in sorted(self.comments.values(), key=lambda c: c.id):
            self._index_comment(comment)
        for m in state["messages"]:
            message = Message(**m)
            self.messages.append(message)
            if message.receiver_id in self.followers and message.sender_id not in self.followers:
                self.fan_event(message.receiver_id, message.sender_id, "message", message.created_at)
        for own_id, fan_id, at, event in state.get("fan_events", []):
            self.fan_event(int(own_id), int(fan_id), str(event), float(at))
        self.next_message_id = int(state["next_message_id"])
        self.touch()

    def save(self, path: Path) -> None:
        """Write atomically: a crash mid-write leaves the previous file intact."""
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_state(), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    def load(self, path: Path) -> None:
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            self.load_state(state)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StateFileError(
                f"state file {path} is unreadable or corrupt ({type(exc).__name__}: {exc}); move it away or fix it"
            ) from exc

    def counts(self) -> dict:
        return {
            "users": len(self.users),
            "own_accounts": len(self.own),
            "statuses": sum(1 for s in self.statuses.values() if not s.deleted),
            "comments": len(self.comments),
            "messages": len(self.messages),
            "tokens": len(self.tokens),
        }


def _remove(ids: list[int], object_id: int) -> None:
    i = bisect.bisect_left(ids, object_id)
    if i < len(ids) and ids[i] == object_id:
        del ids[i]


def _contains(ids: list[int], object_id: int, lo: int, hi: int) -> bool:
    i = bisect.bisect_left(ids, object_id, lo, hi)
    return i < hi and ids[i] == object_id


# ---------------------------------------------------------------------- the seeded world
SEED_FANS = 360  # users in the seeded fan pool, shared by the four accounts
SEED_ZOMBIE_SHARE = 0.15  # of the seeded fans: zombie-looking (default name and avatar, no followers)
SEED_POSTS = (28, 40)  # older posts per own account
SEED_HISTORY_DAYS = 60  # the seeded posts spread over this many days before the seeding day
SEED_MENTIONS = (8, 14)  # fans' posts that @ an own account
SEED_MESSAGES = (2, 4)  # fans who wrote a private message within the reply window, per account
OWN_PROFILES = {  # description, location, followers, verified reason
    "鲜牧乳业": (
        "鲜牧乳业官方微博。每一口，都是牧场的新鲜。",
        "上海 浦东新区",
        86_420,
        "鲜牧乳业（上海）有限公司官方微博",
    ),
    "鲜牧客服": (
        "鲜牧乳业官方客服，服务时间 9:00-21:00，私信必回。",
        "上海 浦东新区",
        23_810,
        "鲜牧乳业（上海）有限公司客服微博",
    ),
    "鲜牧酸奶": (
        "鲜牧酸奶官方微博，0蔗糖、高蛋白，好酸奶自己会说话。",
        "上海 闵行区",
        41_305,
        "鲜牧乳业（上海）有限公司酸奶品牌微博",
    ),
    "鲜牧华东": (
        "鲜牧乳业华东大区官方微博，江浙沪皖门店活动第一时间发布。",
        "江苏 南京",
        17_962,
        "鲜牧乳业华东大区官方微博",
    ),
}
SENTIMENT_MIX = (("praise", 0.4), ("neutral", 0.2), ("question", 0.22), ("complaint", 0.18))


def pick_weighted(rng: random.Random, pairs: Iterable[tuple[str, float]]) -> str:
    pairs = list(pairs)
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def seed_anchor(now: float) -> float:
    """Midnight (Shanghai) of the current day: seeded history is anchored there so that a reset the same day
    reproduces the same ids."""
    d = datetime.fromtimestamp(now, CST)
    return d.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def seed_world(platform: Platform) -> None:
    rng = platform.rng
    anchor = seed_anchor(platform.now())
    day = 86400.0
    for uid, name in zip(OWN_UIDS, OWN_NAMES, strict=True):
        description, location, followers, reason = OWN_PROFILES[name]
        platform.add_user(
            User(
                id=uid,
                screen_name=name,
                created_at=anchor - rng.uniform(1800, 3200) * day,
                description=description,
                location=location,
                gender="n",
                followers_count=followers,
                friends_count=rng.randint(90, 420),
                statuses_count=rng.randint(1500, 6000),
                verified=True,
                verified_type=ENTERPRISE_VERIFIED,
                verified_reason=reason,
                kind="brand",
            )
        )
        platform.own.append(uid)
        platform.followers[uid] = {}
        platform.friends[uid] = {u for u in OWN_UIDS if u != uid}
    fans = [
        platform.make_user(rng, kind="zombie" if rng.random() < SEED_ZOMBIE_SHARE else "normal", at=anchor)
        for _ in range(SEED_FANS)
    ]
    for uid in OWN_UIDS:
        own = platform.users[uid]
        for fan in rng.sample(fans, rng.randint(SEED_FANS // 3, SEED_FANS // 2)):
            platform.followers[uid][fan.id] = anchor - rng.uniform(1, 900) * day
            fan.friends_count += 1
        platform.followers[uid] = dict(sorted(platform.followers[uid].items(), key=lambda kv: kv[1]))
        platform.friends[uid] |= {f.id for f in rng.sample(fans, 12)}
        stamps = sorted(anchor - rng.uniform(0.2, SEED_HISTORY_DAYS) * day for _ in range(rng.randint(*SEED_POSTS)))
        for at in stamps:
            _seed_post(platform, rng, own, fans, at)
        for _ in range(rng.randint(*SEED_MENTIONS)):
            fan = rng.choice(fans)
            kind = pick_weighted(rng, SENTIMENT_MIX)
            at = anchor - rng.uniform(0.05, 20) * day
            text = f"@{own.screen_name} {corpus.text(kind, rng)}"
            platform.add_status(fan, text, at=at, attitudes=rng.randint(0, 8))
        for fan in rng.sample(fans, rng.randint(*SEED_MESSAGES)):
            at = anchor - rng.uniform(1, 40) * 3600
            platform.send_message(fan, own, corpus.text("private_message", rng), at=at)
    seed_peers(platform, anchor)


# Peer brands (标杆): other dairy brands' official accounts, public, posting daily; the brand benchmarks itself
# against them. Seeded with their own random stream, so the rest of the seeded world is as it was without them.
PEER_PROFILES = {  # uid: name, description, location, followers, posts a day (low, high)
    5600000001: ("澜山乳业", "澜山乳业官方微博。高原好牧场，一杯好牛奶。", "内蒙古 呼和浩特", 152_340, (2, 4)),
    5600000002: ("禾露牧场", "禾露牧场官方微博，低温鲜奶，24小时从牧场到餐桌。", "浙江 杭州", 64_870, (1, 2)),
}
PEER_POSTS = ["新品{product}今天上市，欢迎尝鲜", "早餐配一杯{product}，元气满满", "牧场直播今晚八点见",
              "留言说说你最爱的喝法", "周末去牧场看小牛吧", "感谢每一位老朋友的支持", "检测报告已更新，欢迎查阅",
              "门店活动本周六开始", "夏天来一杯冰{product}", "科普：巴氏杀菌和常温奶有什么不同"]
PEER_PRODUCTS = ["鲜牛奶", "酸奶", "奶酪棒", "低脂奶", "有机奶"]


def seed_peers(platform: Platform, anchor: float) -> None:
    rng = random.Random(f"{platform.config.seed}:peers")
    day = 86400.0
    for uid, (name, description, location, followers, per_day) in PEER_PROFILES.items():
        peer = platform.add_user(User(
            id=uid, screen_name=name, created_at=anchor - rng.uniform(2500, 3500) * day, description=description,
            location=location, gender="n", followers_count=followers, friends_count=rng.randint(100, 300),
            statuses_count=rng.randint(3000, 9000), verified=True, verified_type=ENTERPRISE_VERIFIED,
            verified_reason=f"{name}官方微博", kind="brand"))
        for back in range(SEED_HISTORY_DAYS, 0, -1):  # up to yesterday: nothing seeded lies in the future
            start = anchor - back * day
            for at in sorted(start + rng.uniform(8, 21) * 3600 for _ in range(rng.randint(*per_day))):
                line = rng.choice(PEER_POSTS).format(product=rng.choice(PEER_PRODUCTS))
                post = platform.add_status(peer, f"#{name}# {line}", at=at, attitudes=rng.randint(20, 400))
                post.reposts_count, post.comments_count = rng.randint(0, 60), rng.randint(0, 120)


def _seed_post(platform: Platform, rng: random.Random, own: User, fans: list[User], at: float) -> None:
    text = corpus.text("brand_post", rng)
    if rng.random() < 0.5:
        text += f" https://{platform.config.safe_domain}/p/{rng.randint(1000, 9999)}"
    post = platform.add_status(own, text, at=at, attitudes=int(rng.lognormvariate(3.5, 1)))
    horizon = min(at + 2 * 86400, seed_anchor(platform.now()))  # nothing seeded lies in the future
    for _ in range(int(rng.lognormvariate(1.3, 0.8))):
        fan = rng.choice(fans)
        kind = pick_weighted(rng, SENTIMENT_MIX)
        c_at = min(at + rng.expovariate(1 / 7200), horizon)
        comment = platform.add_comment(fan, post, corpus.text(kind, rng), at=c_at)
        if kind in ("question", "complaint") and rng.random() < 0.6:
            reply = f"回复@{fan.screen_name}:{corpus.text('reply', rng)}"
            platform.add_comment(own, post, reply, at=c_at + rng.uniform(300, 7200), reply_to=comment)
    for _ in range(int(rng.lognormvariate(0.8, 0.9))):
        fan = rng.choice(fans)
        platform.repost(fan, post, corpus.text("repost", rng), at=min(at + rng.expovariate(1 / 10800), horizon))
