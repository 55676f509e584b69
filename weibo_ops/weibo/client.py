"""The HTTP client for the Weibo Open Platform (WEIBO_API.md), and its OAuth2 half.

One ``httpx.Client`` per process (connection pooling), one ``WeiboClient`` per account and token.
Every call spends from the rate budget first, sends the token in the ``Authorization`` header (never
in a URL that could reach a log), reads at most ``MAX_RESPONSE`` bytes, and either returns typed
objects or raises a ``WeiboError`` whose outcome says what to do. A write whose answer was lost
(timeout, dropped connection) raises ``Unconfirmed``: the post may exist, so callers look it up
(``find_own_post``) before any retry.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
from django.conf import settings

from . import text as rules
from .budget import BIZ, Budget, default_budget, window_start
from .errors import (
    ENDPOINT_LIMIT_CODE,
    IP_LIMIT_CODE,
    POSTING_TOO_FAST_BACKOFF,
    POSTING_TOO_FAST_CODE,
    Invalid,
    Outcome,
    RateLimited,
    RetryLater,
    Unconfirmed,
    WeiboError,
    error_from_body,
)
from .types import (
    AccessToken,
    Comment,
    Counts,
    MessageSent,
    Page,
    Status,
    TokenInfo,
    User,
    epoch,
    in_seconds,
    parse_created_at,
    parse_list,
)

logger = logging.getLogger(__name__)

MAX_RESPONSE = 8 * 1024 * 1024  # bytes; a larger answer is not a Weibo answer
MAX_COUNT = 200  # list endpoints' largest page
COUNT_IDS = 100  # statuses/count: ids per call
SEARCH_COUNT = 50  # business search: largest page
SEARCH_UIDS = 50  # business search: authors in one ``ids``
SEARCH_SORTS = ("time", "hot", "fwnum", "cmtnum")  # newest, hottest, most reposted, most commented
SEARCH_FILTERS = ("hasori", "hasret", "haspic", "haslink", "hasat", "hasv")  # 0/1: original, repost, picture...
FIND_POST_PAGES = 3  # user_timeline pages searched when confirming a lost write
DEADLINE_FACTOR = 3  # a whole answer may take this many read timeouts, however it trickles in


@dataclass(frozen=True)
class Endpoint:
    """One row of the platform's table: which host, which path, copied from the wiki as they are."""

    host: str  # "api" (api.weibo.com) or "biz" (c.api.weibo.com, the paid business API)
    path: str  # e.g. "/2/statuses/share.json"
    method: str = "GET"
    kind: str | None = None  # which budget besides "calls" it spends: posts, comments, messages
    write: bool = False

    @property
    def name(self) -> str:
        """The resource name people read in logs and errors: ``statuses/share``."""
        return self.path.removeprefix("/2/").removesuffix(".json")


# The endpoints this product calls, host and path as open.weibo.com documents them (WEIBO_API.md).
# The business API's paths follow no single pattern: search has no "/biz", the reply has one.
SHARE = Endpoint("api", "/2/statuses/share.json", "POST", "posts", write=True)
REPOST = Endpoint("api", "/2/statuses/repost.json", "POST", "posts", write=True)
DESTROY = Endpoint("api", "/2/statuses/destroy.json", "POST", write=True)
SHOW = Endpoint("api", "/2/statuses/show.json")
COUNT = Endpoint("api", "/2/statuses/count.json")
USER_TIMELINE = Endpoint("api", "/2/statuses/user_timeline.json")
MENTIONS = Endpoint("api", "/2/statuses/mentions.json")
REPOST_TIMELINE = Endpoint("api", "/2/statuses/repost_timeline.json")
COMMENTS_SHOW = Endpoint("api", "/2/comments/show.json")
COMMENTS_TO_ME = Endpoint("api", "/2/comments/to_me.json")
COMMENTS_MENTIONS = Endpoint("api", "/2/comments/mentions.json")
COMMENT_CREATE = Endpoint("api", "/2/comments/create.json", "POST", "comments", write=True)
COMMENT_REPLY = Endpoint("api", "/2/comments/reply.json", "POST", "comments", write=True)
FOLLOWERS = Endpoint("api", "/2/friendships/followers.json")
USERS_SHOW = Endpoint("api", "/2/users/show.json")
# https://c.api.weibo.com/2/search/statuses/limited.json: spends the business budget (per server IP).
SEARCH = Endpoint("biz", "/2/search/statuses/limited.json", kind=BIZ)
# https://c.api.weibo.com/2/messages/reply/biz.json: the fan-service reply, within the fan's window.
MESSAGE_REPLY = Endpoint("biz", "/2/messages/reply/biz.json", "POST", "messages", write=True)
ENDPOINTS = (SHARE, REPOST, DESTROY, SHOW, COUNT, USER_TIMELINE, MENTIONS, REPOST_TIMELINE, COMMENTS_SHOW,
             COMMENTS_TO_ME, COMMENTS_MENTIONS, COMMENT_CREATE, COMMENT_REPLY, FOLLOWERS, USERS_SHOW, SEARCH,
             MESSAGE_REPLY)


@functools.cache
def shared_http() -> httpx.Client:
    """The process's pooled HTTP client; timeouts come from settings."""
    return httpx.Client(timeout=httpx.Timeout(settings.WEIBO_TIMEOUT), headers={"User-Agent": "weibo-ops/1"})


def _invalid(problems: list[rules.Problem]) -> Invalid:
    error = Invalid("; ".join(p.message for p in problems))
    error.problems = problems
    return error


def _check_rip(rip: str) -> str:
    try:
        return str(ipaddress.ip_address(rip))
    except ValueError:
        raise _invalid([rules.Problem("rip", f"rip={rip!r} is not an IP address: pass the approver's real IP.")]) \
            from None


def _list_params(since_id, max_id, count, page, *, limit: int = MAX_COUNT) -> dict:
    if count is not None and not 1 <= int(count) <= limit:
        raise _invalid([rules.Problem("count", f"count must be between 1 and {limit}.")])
    params = {"since_id": since_id, "max_id": max_id, "count": count, "page": page}
    return {k: v for k, v in params.items() if v not in (None, "", 0)}


class Transport:
    """Sends one request and returns the parsed JSON, or raises the typed error. No budget here."""

    def __init__(self, *, api_url: str, biz_url: str, http: httpx.Client | None = None):
        self.api_url = api_url.rstrip("/")
        self.biz_url = biz_url.rstrip("/")
        self.http = http or shared_http()

    def url(self, endpoint: Endpoint) -> str:
        return f"{self.biz_url if endpoint.host == 'biz' else self.api_url}{endpoint.path}"

    def send(self, method: str, url: str, *, write: bool, request: str, headers=None, params=None, data=None,
             files=None) -> object:
        # A write whose answer is lost may have been stored: the caller must look before retrying.
        lost = Unconfirmed if write else RetryLater
        read_timeout = self.http.timeout.read
        deadline = time.monotonic() + read_timeout * DEADLINE_FACTOR if read_timeout else None
        try:
            with self.http.stream(method, url, headers=headers, params=params, data=data, files=files) as reply:
                body = bytearray()
                for chunk in reply.iter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE:
                        raise lost(f"Weibo sent more than {MAX_RESPONSE} bytes", request=request)
                    if deadline and time.monotonic() > deadline:  # a trickle must not hold a worker
                        raise lost("the answer took too long to arrive", request=request)
                status = reply.status_code
        except httpx.TimeoutException as exc:
            raise lost(f"no answer in time ({type(exc).__name__})", request=request) from None
        except httpx.RequestError as exc:  # connection, protocol or content-decoding failure
            raise lost(f"connection failed ({type(exc).__name__})", request=request) from None
        raw = body.decode("utf-8", errors="replace")
        try:
            payload = json.loads(raw) if raw.strip() else None
        except ValueError:
            payload = None
        is_error = status >= 400 or (isinstance(payload, dict) and "error_code" in payload)
        if is_error:
            error = error_from_body(payload, http_status=status, request=request, raw=raw)
            if write and status >= 500 and error.outcome == Outcome.RETRY:
                # A 5xx after a write (a proxy's 502, Weibo's "system error") says nothing about
                # whether the post was stored.
                raise Unconfirmed(error.message, code=error.code, request=error.request, raw=error.raw,
                                  http_status=status)
            raise error
        if payload is None:
            raise lost(f"unreadable answer (HTTP {status})", request=request, raw=raw[:2000], http_status=status)
        return payload


class WeiboClient:
    """Calls on behalf of one account (its token) and spends from that account's budget.

    ``scope`` names the budget ("account:<id>"); ``budget=None`` switches budgeting off (benchmarks).
    ``on_error`` sees every error the platform answered, e.g. to mark an account for re-authorisation.
    """

    def __init__(
        self,
        access_token: str,
        *,
        scope: str,
        budget: Budget | None,
        transport: Transport,
        on_error: Callable[[WeiboError], None] | None = None,
        safe_domain: str = "",
    ):
        self._token = access_token
        self.scope = scope
        self.budget = budget
        self.transport = transport
        self.on_error = on_error
        self.safe_domain = safe_domain

    @classmethod
    def from_settings(cls, access_token: str, *, scope: str, on_error=None, budget: Budget | None = None):
        return cls(
            access_token,
            scope=scope,
            budget=budget or default_budget(),
            transport=Transport(api_url=settings.WEIBO_API_URL, biz_url=settings.WEIBO_BIZ_API_URL),
            on_error=on_error,
            safe_domain=settings.WEIBO_SAFE_DOMAIN,
        )

    def __repr__(self) -> str:
        return f"WeiboClient(scope={self.scope!r})"

    # --- the one call path ---------------------------------------------------------------------
    def call(self, endpoint: Endpoint, params: dict | None = None, *, files=None) -> object:
        if self.budget is not None:
            self.budget.spend(self.scope, endpoint.kind)
        request = endpoint.path
        headers = {"Authorization": f"OAuth2 {self._token}"}
        params = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            if endpoint.method == "GET":
                return self.transport.send("GET", self.transport.url(endpoint), write=False, request=request,
                                           headers=headers, params=params)
            return self.transport.send("POST", self.transport.url(endpoint), write=endpoint.write, request=request,
                                       headers=headers, data=params, files=files)
        except RateLimited as error:
            self._honour_rate_limit(error, endpoint)
            raise
        except WeiboError as error:
            if self.on_error is not None:
                self.on_error(error)
            raise

    def _honour_rate_limit(self, error: RateLimited, endpoint: Endpoint) -> None:
        """Weibo counts calls we cannot see (other apps, other servers): trust its word over ours."""
        now = datetime.now(UTC)
        error.retry_at, kind, scope = window_start(now) + timedelta(hours=1), "calls", self.scope
        if endpoint.kind == BIZ:  # the business API's limit is per server IP, whatever the code says
            error.retry_at, kind, scope = window_start(now) + timedelta(hours=1), BIZ, None
        elif error.code == POSTING_TOO_FAST_CODE:
            error.retry_at, kind = now + POSTING_TOO_FAST_BACKOFF, endpoint.kind or "posts"
        elif error.code == IP_LIMIT_CODE:
            scope = None
        elif error.code == ENDPOINT_LIMIT_CODE:
            # One endpoint's limit: block its kind; a read endpoint has no budget of its own to block,
            # and the caller waits for ``retry_at`` without holding up the account's other calls.
            kind = endpoint.kind
        error.scope = "ip" if scope is None else "account"
        if self.budget is not None and kind:
            self.budget.block(scope or self.budget.ip_scope, kind, error.retry_at)

    # --- statuses ------------------------------------------------------------------------------
    def share(self, status: str, *, rip: str, pic: bytes | None = None, pic_name: str = "pic.jpg") -> Status:
        problems = rules.check_share(status, safe_domain=self.safe_domain)
        if pic is not None:
            problems += rules.check_image(pic)
        if problems:
            raise _invalid(problems)
        files = {"pic": (pic_name, pic)} if pic is not None else None
        return self._status(self.call(SHARE, {"status": status, "rip": _check_rip(rip)}, files=files), SHARE)

    def repost(self, status_id: str, text: str = "", *, rip: str, is_comment: int = 0) -> Status:
        if is_comment not in (0, 1, 2, 3):
            raise _invalid([rules.Problem("is_comment", "is_comment must be 0, 1, 2 or 3.")])
        if text and (problems := rules.check_text(text)):
            raise _invalid(problems)
        params = {"id": status_id, "status": text or None, "is_comment": is_comment, "rip": _check_rip(rip)}
        return self._status(self.call(REPOST, params), REPOST)

    def destroy(self, status_id: str) -> Status:
        return self._status(self.call(DESTROY, {"id": status_id}), DESTROY)

    def show(self, status_id: str) -> Status:
        return self._status(self.call(SHOW, {"id": status_id}), SHOW)

    def counts(self, ids: Iterable[str]) -> list[Counts]:
        """Repost, comment and like counts, ``COUNT_IDS`` ids per call."""
        ids = [str(i) for i in ids]
        found: list[Counts] = []
        for start in range(0, len(ids), COUNT_IDS):
            chunk = ids[start : start + COUNT_IDS]
            items, _ = parse_list(self.call(COUNT, {"ids": ",".join(chunk)}), Counts.parse, COUNT.name)
            found += items
        return found

    def user_timeline(self, *, since_id=None, max_id=None, count=None, page=None) -> Page[Status]:
        return self._statuses(USER_TIMELINE, "statuses", _list_params(since_id, max_id, count, page))

    def mentions(self, *, since_id=None, max_id=None, count=None, page=None, filter_by_author: int = 0,
                 filter_by_type: int = 0) -> Page[Status]:
        params = _list_params(since_id, max_id, count, page)
        params |= {"filter_by_author": filter_by_author or None, "filter_by_type": filter_by_type or None}
        return self._statuses(MENTIONS, "statuses", params)

    def repost_timeline(self, status_id: str, *, since_id=None, max_id=None, count=None, page=None) -> Page[Status]:
        return self._statuses(REPOST_TIMELINE, "reposts", {"id": status_id, **_list_params(since_id, max_id, count,
                                                                                             page)})

    def find_own_post(self, text: str, *, since: datetime) -> Status | None:
        """The account's own post with ``text`` created at or after ``since``, if Weibo has it.

        How a lost or pending write is confirmed before anyone retries it. Weibo rewrites every link
        to t.cn and keeps whole seconds, so links are left out of the comparison and ``since`` is
        taken to the second.
        """
        wanted = _comparable(text)
        since = since.replace(microsecond=0)
        max_id = None
        for _ in range(FIND_POST_PAGES):
            page = self.user_timeline(max_id=max_id, count=100)
            for status in page.items:
                if _comparable(status.text) == wanted and status.created_at and status.created_at >= since:
                    return status
            oldest = page.items[-1] if page.items else None
            if oldest is None or (oldest.created_at and oldest.created_at < since):
                return None
            max_id = str(int(oldest.id) - 1)
        return None

    # --- comments ------------------------------------------------------------------------------
    def comments(self, status_id: str, *, since_id=None, max_id=None, count=None, page=None) -> Page[Comment]:
        return self._comments(COMMENTS_SHOW, {"id": status_id, **_list_params(since_id, max_id, count, page)})

    def comments_to_me(self, *, since_id=None, max_id=None, count=None, page=None) -> Page[Comment]:
        return self._comments(COMMENTS_TO_ME, _list_params(since_id, max_id, count, page))

    def comments_mentions(self, *, since_id=None, max_id=None, count=None, page=None) -> Page[Comment]:
        return self._comments(COMMENTS_MENTIONS, _list_params(since_id, max_id, count, page))

    def comment(self, status_id: str, text: str, *, rip: str) -> Comment:
        if problems := rules.check_text(text, field="comment"):
            raise _invalid(problems)
        return self._comment(self.call(COMMENT_CREATE, {"id": status_id, "comment": text, "rip": _check_rip(rip)}),
                             COMMENT_CREATE)

    def reply(self, comment_id: str, status_id: str, text: str, *, rip: str, without_mention: bool = False) -> Comment:
        if problems := rules.check_text(text, field="comment"):
            raise _invalid(problems)
        params = {"cid": comment_id, "id": status_id, "comment": text, "without_mention": int(without_mention),
                  "rip": _check_rip(rip)}
        return self._comment(self.call(COMMENT_REPLY, params), COMMENT_REPLY)

    # --- people and messages -------------------------------------------------------------------
    def followers(self, uid: str, *, count: int = MAX_COUNT, cursor: int = 0) -> Page[User]:
        params = _list_params(None, None, count, None) | {"uid": uid, "cursor": cursor or None}
        data = self._dict(self.call(FOLLOWERS, params), FOLLOWERS)
        items, dropped = parse_list(data.get("users"), User.parse, FOLLOWERS.name)
        return Page(items, _int(data.get("total_number")), _int(data.get("next_cursor")), dropped)

    def user(self, *, uid: str | None = None, screen_name: str | None = None) -> User:
        if bool(uid) == bool(screen_name):
            raise _invalid([rules.Problem("uid", "Give either uid or screen_name.")])
        data = self.call(USERS_SHOW, {"uid": uid, "screen_name": screen_name})
        user = User.parse(data)
        if user is None:
            raise RetryLater("users/show answered without a user id", request=USERS_SHOW.path)
        return user

    def search(self, q: str, *, start: datetime | None = None, end: datetime | None = None, count: int = SEARCH_COUNT,
               sort: str = "time", page: int | None = None, uids: Iterable[str] = (), province: int | None = None,
               city: int | None = None, filters: dict[str, bool] | None = None) -> Page[Status]:
        """The business keyword search (c.api.weibo.com/2/search/statuses/limited.json).

        ``uids``: only these authors (at most ``SEARCH_UIDS``); ``province``/``city``: Weibo's region
        codes; ``filters``: the 0/1 ``has*`` filters by name (``{"hasori": True, "haspic": False}``).
        """
        problems = []
        if not q.strip():
            problems.append(rules.Problem("q", "The search needs keywords."))
        elif set(q) & set("{}"):
            problems.append(rules.Problem("q", "Weibo's search refuses { and } in keywords; leave them out."))
        if sort not in SEARCH_SORTS:
            problems.append(rules.Problem("sort", f"sort must be one of {', '.join(SEARCH_SORTS)}."))
        uids = [str(u) for u in uids]
        if len(uids) > SEARCH_UIDS or not all(_digits(u) for u in uids):
            problems.append(rules.Problem("ids", f"ids takes at most {SEARCH_UIDS} numeric uids."))
        unknown = set(filters or {}) - set(SEARCH_FILTERS)
        if unknown:
            problems.append(rules.Problem("filters", f"Unknown filters {sorted(unknown)}: use "
                                                     f"{', '.join(SEARCH_FILTERS)}."))
        if problems:
            raise _invalid(problems)
        params = _list_params(None, None, count, page, limit=SEARCH_COUNT) | {
            "q": q, "sort": sort, "ids": "~".join(uids) or None, "province": province, "city": city,
            "starttime": int(start.timestamp()) if start else None,
            "endtime": int(end.timestamp()) if end else None,
        } | {name: int(bool(on)) for name, on in (filters or {}).items()}
        return self._statuses(SEARCH, "statuses", params)

    def message_reply(self, receiver_id: str, text: str, *, save_sender_box: bool = True) -> MessageSent:
        """A private-message reply through the fan-service platform, only within the fan's window.

        ``data`` is the message as JSON; the form encoding URL-encodes it, as the wiki's example shows.
        """
        if problems := rules.check_text(text, field="text", limit=rules.MESSAGE_MAX_LENGTH):
            raise _invalid(problems)
        if not _digits(receiver_id):
            raise _invalid([rules.Problem("receiver_id", "receiver_id must be the fan's numeric uid.")])
        params = {"type": "text", "data": json.dumps({"text": text}, ensure_ascii=False), "receiver_id": receiver_id,
                  "save_sender_box": int(save_sender_box)}
        data = self._dict(self.call(MESSAGE_REPLY, params), MESSAGE_REPLY)
        return MessageSent(str(data.get("receiver_id") or receiver_id), parse_created_at(data.get("created_at")))

    # --- parsing helpers -----------------------------------------------------------------------
    @staticmethod
    def _dict(data: object, endpoint: Endpoint) -> dict:
        if not isinstance(data, dict):
            kind = Unconfirmed if endpoint.write else RetryLater
            raise kind(f"{endpoint.name} answered with {type(data).__name__}, not an object", request=endpoint.path)
        return data

    def _status(self, data: object, endpoint: Endpoint) -> Status:
        status = Status.parse(self._dict(data, endpoint))
        if status is None:
            kind = Unconfirmed if endpoint.write else RetryLater
            raise kind(f"{endpoint.name} answered without a status id", request=endpoint.path)
        return status

    def _comment(self, data: object, endpoint: Endpoint) -> Comment:
        comment = Comment.parse(self._dict(data, endpoint))
        if comment is None:
            raise Unconfirmed(f"{endpoint.name} answered without a comment id", request=endpoint.path)
        return comment

    def _statuses(self, endpoint: Endpoint, key: str, params: dict) -> Page[Status]:
        data = self._dict(self.call(endpoint, params), endpoint)
        items, dropped = parse_list(data.get(key), Status.parse, endpoint.name)
        return Page(items, _int(data.get("total_number")), 0, dropped)

    def _comments(self, endpoint: Endpoint, params: dict) -> Page[Comment]:
        data = self._dict(self.call(endpoint, params), endpoint)
        items, dropped = parse_list(data.get("comments"), Comment.parse, endpoint.name)
        return Page(items, _int(data.get("total_number")), 0, dropped)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _comparable(text: str) -> str:
    """A post's text as two versions of it can be compared: links out, white space folded."""
    return " ".join(rules.LINK.sub(" ", text).split())


class WeiboOAuth:
    """The app's side of OAuth2: authorize URL, code exchange, token check, revocation. Spends no budget."""

    def __init__(self, *, app_key: str, app_secret: str, transport: Transport):
        self.app_key = app_key
        self._secret = app_secret
        self.transport = transport

    @classmethod
    def from_settings(cls) -> WeiboOAuth:
        return cls(
            app_key=settings.WEIBO_APP_KEY,
            app_secret=settings.WEIBO_APP_SECRET,
            transport=Transport(api_url=settings.WEIBO_API_URL, biz_url=settings.WEIBO_BIZ_API_URL),
        )

    def authorize_url(self, *, redirect_uri: str, state: str) -> str:
        query = urlencode({"client_id": self.app_key, "redirect_uri": redirect_uri, "response_type": "code",
                           "state": state})
        return f"{self.transport.api_url}/oauth2/authorize?{query}"

    def exchange_code(self, *, code: str, redirect_uri: str) -> AccessToken:
        data = self._post("access_token", {
            "client_id": self.app_key, "client_secret": self._secret, "grant_type": "authorization_code",
            "code": code, "redirect_uri": redirect_uri,
        })
        token, uid = data.get("access_token"), data.get("uid")
        if not isinstance(token, str) or not token or not _digits(uid):
            raise RetryLater("oauth2/access_token answered without a token and uid", request="/oauth2/access_token")
        return AccessToken(token, str(uid), in_seconds(data.get("expires_in"), datetime.now(UTC)))

    def token_info(self, access_token: str) -> TokenInfo:
        data = self._post("get_token_info", {"access_token": access_token})
        if not _digits(data.get("uid")):
            raise RetryLater("oauth2/get_token_info answered without a uid", request="/oauth2/get_token_info")
        created = epoch(data.get("create_at"))
        return TokenInfo(
            uid=str(data["uid"]),
            appkey=str(data.get("appkey") or ""),
            scope=str(data.get("scope") or "")[:200],
            created_at=created,
            expires_at=in_seconds(data.get("expire_in"), datetime.now(UTC)),
        )

    def revoke(self, access_token: str) -> None:
        """Revoke the token on Weibo (``oauth2/revokeoauth2``), so that it no longer works anywhere.

        Raises ``NeedsReauthorisation`` when Weibo says the token is already dead (expired or revoked:
        the caller may count that as done), and the transport's errors when the answer is lost.
        """
        data = self._post("revokeoauth2", {"access_token": access_token})
        if str(data.get("result")).lower() != "true":
            raise RetryLater("oauth2/revokeoauth2 did not answer result=true", request="/oauth2/revokeoauth2",
                             raw=json.dumps(data)[:2000])

    def _post(self, name: str, data: dict) -> dict:
        request = f"/oauth2/{name}"
        payload = self.transport.send("POST", f"{self.transport.api_url}{request}", write=False, request=request,
                                      data=data)
        if not isinstance(payload, dict):
            raise RetryLater(f"{request} answered with {type(payload).__name__}", request=request)
        return payload


def _digits(value: object) -> bool:
    """A Weibo uid: ASCII digits only (``str.isdigit`` would also take "²")."""
    text = str(value or "")
    return text.isascii() and text.isdigit()
