"""The HTTP face of the sandbox: Weibo's OAuth2 and /2/ API, plus the /_sandbox/ admin endpoints."""

from __future__ import annotations

import asyncio
import contextlib
import html
import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .config import LIMIT_KINDS, SandboxConfig
from .errors import WeiboError, invalid, missing
from .faults import BLACKHOLE_HOLD_SECONDS, Fault
from .platform import CODE_LIFETIME, CST, ListQuery, User
from .rules import MAX_IMAGE_BYTES
from .sandbox import Sandbox
from .traffic import MAX_SCENARIO_SIZE, SCENARIOS, WITH_STATUS

log = logging.getLogger("weibo_sandbox")

MAX_PAGE_COUNT = 200  # Weibo's maximum page size for list endpoints
MAX_SEARCH_COUNT = 50  # the commercial search returns at most 50 a page
MAX_COUNT_IDS = 100  # statuses/count takes at most 100 ids
MAX_FORM_FIELDS = 100  # no Weibo call has more parameters; bounds the multipart parser's work
DROP_DECLARED_LENGTH = 1024  # bytes a dropped answer promises and never sends, so clients see a cut body
DEFAULT_FOLLOWERS_COUNT = 50  # friendships/followers' default page size


class DropConnection(Exception):
    """Raised after the response has started, so the server aborts the connection: the client gets no answer."""


class _QuietDrops(logging.Filter):
    """Uvicorn logs an aborted response as an application error; an injected drop is not one."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DropConnection))


class DropResponse(Response):
    def __init__(self) -> None:
        super().__init__()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(DROP_DECLARED_LENGTH).encode()),
                ],
            }
        )
        raise DropConnection


# ---------------------------------------------------------------------- request parameters
class Params:
    def __init__(self, values: dict[str, str], files: dict[str, UploadFile]):
        self.values = values
        self.files = files

    def text(self, name: str) -> str | None:
        return self.values.get(name)

    def required(self, name: str) -> str:
        value = self.values.get(name)
        if value is None or value == "":
            raise missing(name)
        return value

    def integer(
        self,
        name: str,
        default: int | None = None,
        *,
        lo: int | None = None,
        hi: int | None = None,
        required: bool = False,
        missing_code: int = 10016,
    ) -> int | None:
        raw = self.values.get(name)
        if raw is None or raw == "":
            if required:
                raise WeiboError(missing_code, name) if missing_code == 10016 else WeiboError(missing_code)
            return default
        try:
            value = int(raw)
        except ValueError:
            raise invalid(name, f"expected an integer, got {raw[:40]!r}") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            bounds = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
            raise invalid(name, f"must be {bounds}, got {value}")
        return value

    def status_id(self, name: str = "id") -> int:
        value = self.integer(name, required=True, missing_code=20109, lo=1)
        assert value is not None
        return value

    def list_query(self, max_count: int = MAX_PAGE_COUNT, default_count: int = 20) -> ListQuery:
        return ListQuery(
            since_id=self.integer("since_id", 0, lo=0) or 0,
            max_id=self.integer("max_id", 0, lo=0) or 0,
            count=self.integer("count", default_count, lo=1, hi=max_count) or default_count,
            page=self.integer("page", 1, lo=1, hi=100_000) or 1,
        )

    def choice(self, name: str, allowed: tuple[int, ...], default: int = 0) -> int:
        value = self.integer(name, default)
        if value not in allowed:
            raise invalid(name, f"must be one of {', '.join(map(str, allowed))}, got {value}")
        return value


@dataclass
class Call:
    params: Params
    user: User
    ip: str
    rip: str | None
    api: str  # "statuses/share"


@dataclass
class Api:
    method: str
    handler: Callable[[Sandbox, Call], Awaitable[object] | object]
    kind: str | None = None  # the rate bucket a successful call spends: posts, comments or messages
    write: bool = False
    needs_rip: bool = False  # Weibo demands the operator's real IP on content writes (share, repost, comments)


# ---------------------------------------------------------------------- /2/ handlers
def _statuses_page(box: Sandbox, ids: list[int], query: ListQuery, key: str = "statuses", keep=None) -> dict:
    page, total = box.platform.page(ids, query, keep)
    return {
        key: [box.platform.status_json(box.platform.statuses[i]) for i in page],
        "total_number": total,
        "previous_cursor": 0,
        "next_cursor": 0,
    }


def _comments_page(box: Sandbox, ids: list[int], query: ListQuery, keep=None) -> dict:
    page, total = box.platform.page(ids, query, keep)
    return {
        "comments": [box.platform.comment_json(box.platform.comments[i]) for i in page],
        "total_number": total,
        "previous_cursor": 0,
        "next_cursor": 0,
    }


def _author_filter(box: Sandbox, call: Call, author_of: Callable[[int], int]) -> Callable[[int], bool] | None:
    mode = call.params.choice("filter_by_author", (0, 1, 2))
    if mode == 0:
        return None
    friends = box.platform.friends.get(call.user.id, set())
    if mode == 1:
        return lambda object_id: author_of(object_id) in friends
    return lambda object_id: author_of(object_id) not in friends


async def api_share(box: Sandbox, call: Call) -> dict:
    pic = None
    upload = call.params.files.get("pic")
    if upload is not None:
        data = await upload.read(MAX_IMAGE_BYTES + 1)  # one byte past the limit is enough to know it is too large
        pic = (upload.filename or "pic", data)
    elif call.params.text("pic"):
        raise invalid("pic", "must be a multipart file upload")
    status = box.platform.api_share(call.user, call.params.text("status"), pic, call.rip)
    return box.platform.status_json(status)


def api_repost(box: Sandbox, call: Call) -> dict:
    sid = call.params.status_id()
    is_comment = call.params.choice("is_comment", (0, 1, 2, 3))
    status = box.platform.api_repost(call.user, sid, call.params.text("status"), is_comment, call.rip)
    return box.platform.status_json(status)


def api_destroy(box: Sandbox, call: Call) -> dict:
    return box.platform.status_json(box.platform.api_destroy(call.user, call.params.status_id()))


def api_show(box: Sandbox, call: Call) -> dict:
    return box.platform.status_json(box.platform.status(call.params.status_id()))


def api_count(box: Sandbox, call: Call) -> list:
    raw = call.params.required("ids")
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) > MAX_COUNT_IDS:
        raise invalid("ids", f"at most {MAX_COUNT_IDS} ids, got {len(parts)}")
    out = []
    for part in parts:
        if not part.isdigit():
            raise invalid("ids", f"{part[:30]!r} is not a status id")
        status = box.platform.statuses.get(int(part))
        if status is None or status.deleted or not box.platform.visible(status.id):
            continue
        out.append(
            {
                "id": str(status.id),
                "reposts": status.reposts_count,
                "comments": status.comments_count,
                "attitudes": status.attitudes_count,
            }
        )
    return out


def _own_uid_check(box: Sandbox, call: Call) -> None:
    uid = call.params.integer("uid")
    name = call.params.text("screen_name")
    if (uid is not None and uid != call.user.id) or (name and name != call.user.screen_name):
        raise invalid("uid", "only the authorising account's own timeline is available")


def api_user_timeline(box: Sandbox, call: Call) -> dict:
    _own_uid_check(box, call)
    feature = call.params.choice("feature", (0, 1, 2, 3, 4, 5))
    ids = box.platform.timelines.get(call.user.id, [])
    keep = None
    if feature == 1:
        keep = lambda sid: box.platform.statuses[sid].retweeted_id is None  # noqa: E731 - originals only
    return _statuses_page(box, ids, call.params.list_query(), keep=keep)


def api_mentions(box: Sandbox, call: Call) -> dict:
    statuses = box.platform.statuses
    by_author = _author_filter(box, call, lambda sid: statuses[sid].user_id)
    originals_only = call.params.choice("filter_by_type", (0, 1)) == 1
    call.params.choice("filter_by_source", (0, 1, 2, 3))

    def keep(sid: int) -> bool:
        if originals_only and statuses[sid].retweeted_id is not None:
            return False
        return by_author is None or by_author(sid)

    ids = box.platform.mention_statuses.get(call.user.id, [])
    query = call.params.list_query()
    return _statuses_page(box, ids, query, keep=keep if (by_author or originals_only) else None)


def api_repost_timeline(box: Sandbox, call: Call) -> dict:
    status = box.platform.status(call.params.status_id())
    ids = box.platform.status_reposts.get(status.id, [])
    return _statuses_page(box, ids, call.params.list_query(), key="reposts")


def api_comments_show(box: Sandbox, call: Call) -> dict:
    status = box.platform.status(call.params.status_id())
    by_author = _author_filter(box, call, lambda cid: box.platform.comments[cid].user_id)
    return _comments_page(box, box.platform.status_comments.get(status.id, []), call.params.list_query(), by_author)


def api_comments_to_me(box: Sandbox, call: Call) -> dict:
    by_author = _author_filter(box, call, lambda cid: box.platform.comments[cid].user_id)
    return _comments_page(box, box.platform.comments_to.get(call.user.id, []), call.params.list_query(), by_author)


def api_comments_mentions(box: Sandbox, call: Call) -> dict:
    by_author = _author_filter(box, call, lambda cid: box.platform.comments[cid].user_id)
    call.params.choice("filter_by_source", (0, 1, 2))
    return _comments_page(box, box.platform.mention_comments.get(call.user.id, []), call.params.list_query(), by_author)


def api_comment_create(box: Sandbox, call: Call) -> dict:
    sid = call.params.status_id()
    call.params.choice("comment_ori", (0, 1))
    comment = box.platform.api_comment(call.user, sid, call.params.text("comment"), call.rip)
    return box.platform.comment_json(comment)


def api_comment_reply(box: Sandbox, call: Call) -> dict:
    cid = call.params.integer("cid", required=True, lo=1)
    sid = call.params.status_id()
    without_mention = call.params.choice("without_mention", (0, 1)) == 1
    call.params.choice("comment_ori", (0, 1))
    assert cid is not None
    comment = box.platform.api_reply(
        call.user, cid=cid, sid=sid, text=call.params.text("comment"), without_mention=without_mention, rip=call.rip
    )
    return box.platform.comment_json(comment)


def api_followers(box: Sandbox, call: Call) -> dict:
    uid = call.params.integer("uid")
    name = call.params.text("screen_name")
    if uid is None and not name:
        raise missing("uid")
    if (uid is not None and uid != call.user.id) or (name and name != call.user.screen_name):
        raise invalid("uid", "only the authorising account's own followers are available")
    count = call.params.integer("count", DEFAULT_FOLLOWERS_COUNT, lo=1, hi=MAX_PAGE_COUNT)
    cursor = call.params.integer("cursor", 0, lo=0)
    assert count is not None and cursor is not None
    return box.platform.followers_page(call.user, count, cursor)


def api_users_show(box: Sandbox, call: Call) -> dict:
    uid = call.params.integer("uid", lo=1)
    name = call.params.text("screen_name")
    if uid is None and not name:
        raise missing("uid")
    user = box.platform.user(uid) if uid is not None else box.platform.user_by_name(name or "")
    return box.platform.user_json(user)


SEARCH_SORTS = ("time", "hot", "fwnum", "cmtnum")  # newest, hottest, most reposted, most commented
SEARCH_FILTERS = ("hasori", "hasret", "haspic", "haslink", "hasat", "hasv")  # 0/1 each
MAX_SEARCH_UIDS = 50  # ``ids``: authors joined by "~"


def api_search(box: Sandbox, call: Call) -> dict:
    """c.api.weibo.com/2/search/statuses/limited.json: the business keyword search."""
    q = call.params.required("q").strip()
    if not q:
        raise missing("q")
    if "{" in q or "}" in q:
        raise invalid("q", "must not contain { or }")
    start = call.params.integer("starttime", lo=0)
    end = call.params.integer("endtime", lo=0)
    if start is not None and end is not None and end < start:
        raise invalid("endtime", "must not be earlier than starttime")
    sort = call.params.text("sort") or "time"
    if sort not in SEARCH_SORTS:
        raise invalid("sort", f"must be one of {', '.join(SEARCH_SORTS)}, got {sort[:20]!r}")
    authors = None
    if ids := call.params.text("ids"):
        parts = ids.split("~")
        if len(parts) > MAX_SEARCH_UIDS or not all(p.isascii() and p.isdigit() for p in parts):
            raise invalid("ids", f"must be at most {MAX_SEARCH_UIDS} uids joined by ~")
        authors = {int(p) for p in parts}
    province = call.params.integer("province", lo=1)
    city = call.params.integer("city", lo=1)
    if city is not None and province is None:
        raise invalid("city", "needs province")
    filters = {name: call.params.choice(name, (0, 1), -1) if call.params.text(name) else None
               for name in SEARCH_FILTERS}
    count = call.params.integer("count", 20, lo=1, hi=MAX_SEARCH_COUNT) or 20
    page = call.params.integer("page", 1, lo=1, hi=1000) or 1
    hits, total = box.platform.search(
        q.split(), start=start, end=end, count=count, page=page, sort=sort, authors=authors, province=province,
        city=city, filters={k: bool(v) for k, v in filters.items() if v is not None})
    return {"statuses": [box.platform.status_json(s) for s in hits], "total_number": total}


MESSAGE_TYPES = ("text", "articles", "position")  # what messages/reply/biz sends; the sandbox delivers text


def api_message_reply(box: Sandbox, call: Call) -> dict:
    """c.api.weibo.com/2/messages/reply/biz.json: a form POST of ``type``, ``data`` (the message as
    URL-encoded JSON), ``receiver_id`` and ``save_sender_box``, only within the fan's window."""
    receiver = call.params.integer("receiver_id", required=True, lo=1)
    kind = call.params.required("type")
    if kind not in MESSAGE_TYPES:
        raise invalid("type", f"must be one of {', '.join(MESSAGE_TYPES)}, got {kind[:20]!r}")
    if kind != "text":
        raise invalid("type", "the sandbox delivers text replies only")
    save = call.params.choice("save_sender_box", (0, 1), 1)
    raw = call.params.required("data")
    try:
        data = json.loads(raw)
    except ValueError:
        raise invalid("data", 'must be URL-encoded JSON like {"text": "..."}') from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise invalid("data", 'must be a JSON object with a string "text"')
    assert receiver is not None
    message = box.platform.api_message_reply(call.user, receiver, data["text"], call.rip, save_sender_box=bool(save))
    return {
        "result": True,
        "sender_id": message.sender_id,
        "receiver_id": message.receiver_id,
        "type": "text",
        "data": raw,
        "created_at": box.platform.message_json(message)["created_at"],
        "id": message.id,
    }


def api_rate_limit_status(box: Sandbox, call: Call) -> dict:
    return box.platform.remaining(call.user.id, call.ip)


def api_get_uid(box: Sandbox, call: Call) -> dict:
    return {"uid": call.user.id}


# Every endpoint the sandbox serves, by host and path as the wiki has them; anything else is 10020
# (HTTP 404), as on Weibo. The business host (c.api.weibo.com) is served under BIZ_PREFIX.
API_HOST, BIZ_HOST = "api.weibo.com", "c.api.weibo.com"
BIZ_PREFIX = "/c.api.weibo.com"
API: dict[tuple[str, str], Api] = {
    (API_HOST, "/2/statuses/share.json"): Api("POST", api_share, kind="posts", write=True, needs_rip=True),
    (API_HOST, "/2/statuses/repost.json"): Api("POST", api_repost, kind="posts", write=True, needs_rip=True),
    (API_HOST, "/2/statuses/destroy.json"): Api("POST", api_destroy, write=True),
    (API_HOST, "/2/statuses/show.json"): Api("GET", api_show),
    (API_HOST, "/2/statuses/count.json"): Api("GET", api_count),
    (API_HOST, "/2/statuses/user_timeline.json"): Api("GET", api_user_timeline),
    (API_HOST, "/2/statuses/mentions.json"): Api("GET", api_mentions),
    (API_HOST, "/2/statuses/repost_timeline.json"): Api("GET", api_repost_timeline),
    (API_HOST, "/2/comments/show.json"): Api("GET", api_comments_show),
    (API_HOST, "/2/comments/to_me.json"): Api("GET", api_comments_to_me),
    (API_HOST, "/2/comments/mentions.json"): Api("GET", api_comments_mentions),
    (API_HOST, "/2/comments/create.json"): Api("POST", api_comment_create, kind="comments", write=True,
                                                needs_rip=True),
    (API_HOST, "/2/comments/reply.json"): Api("POST", api_comment_reply, kind="comments", write=True,
                                               needs_rip=True),
    (API_HOST, "/2/friendships/followers.json"): Api("GET", api_followers),
    (API_HOST, "/2/users/show.json"): Api("GET", api_users_show),
    (API_HOST, "/2/account/rate_limit_status.json"): Api("GET", api_rate_limit_status),
    (API_HOST, "/2/account/get_uid.json"): Api("GET", api_get_uid),
    (BIZ_HOST, "/2/search/statuses/limited.json"): Api("GET", api_search, kind="biz"),
    (BIZ_HOST, "/2/messages/reply/biz.json"): Api("POST", api_message_reply, kind="messages", write=True),
}
UNCOUNTED = {"account/rate_limit_status"}  # Weibo does not charge for asking about the budget


# ---------------------------------------------------------------------- the /2/ pipeline
def weibo_json(body: object, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


async def read_params(request: Request) -> Params:
    values = dict(request.query_params)
    files: dict[str, UploadFile] = {}
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            try:
                form = await request.form(max_files=MAX_FORM_FIELDS, max_fields=MAX_FORM_FIELDS)
            except Exception as exc:  # the multipart parser's own exception types vary by version
                raise invalid("body", f"the form body cannot be parsed ({exc})") from None
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    files[key] = value
                else:
                    values[key] = value
    return Params(values, files)


def token_of(request: Request, params: Params) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("oauth2", "bearer") and value.strip():
        return value.strip()
    return params.text("access_token") or None


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def host_and_path(url_path: str) -> tuple[str, str]:
    """Which of Weibo's hosts a request to the sandbox plays, and its path there."""
    if url_path.startswith(BIZ_PREFIX + "/"):
        return BIZ_HOST, url_path.removeprefix(BIZ_PREFIX)
    return API_HOST, url_path


async def api_endpoint(request: Request) -> Response:
    box: Sandbox = request.app.state.sandbox
    host, path = host_and_path(request.url.path)
    ip = request.client.host if request.client else "unknown"
    entry = {
        "at": datetime.now(CST).isoformat(timespec="milliseconds"),
        "method": request.method,
        "host": host,
        "path": path,
        "uid": None,
        "rip": None,
        "status": None,
        "error_code": None,
        "fault": None,
    }
    box.platform.requests.append(entry)
    try:
        response = await _handle_api(box, request, (host, path), ip, entry)
    except WeiboError as exc:
        response = weibo_json(exc.body(path), exc.status)
        entry["error_code"] = exc.code
    except DropConnection:
        raise
    except Exception:
        log.exception("unexpected error in %s", path)
        error = WeiboError(10001)
        response = weibo_json(error.body(path), error.status)
        entry["error_code"] = error.code
    entry["status"] = None if isinstance(response, DropResponse) else response.status_code
    return response


async def _handle_api(box: Sandbox, request: Request, where: tuple[str, str], ip: str, entry: dict) -> Response:
    """Weibo's order: the API must exist on that host, then (injected faults,) the token, the rate buckets, the
    parameters, and the action."""
    api = API.get(where)
    if api is None:
        raise WeiboError(10020)
    if request.method != api.method:
        raise WeiboError(10021)
    path = where[1]
    api_name = path.removeprefix("/2/").removesuffix(".json")
    params = await read_params(request)
    fault = box.faults.decide(path, box.fault_rng, ip)
    if fault is not None:
        entry["fault"] = fault.kind
        early = await _fault_before(
            box, request, fault, api, api_name=api_name, ip=ip, token_value=token_of(request, params)
        )
        if early is not None:
            return early
    call = _authorise(box, request, params, api, api_name=api_name, ip=ip, entry=entry)
    drop = fault is not None and fault.kind == "drop"
    try:
        result = api.handler(box, call)
        if asyncio.iscoroutine(result):
            result = await result
    except WeiboError:
        if drop:
            return DropResponse()  # the write failed, but the client learns nothing either way
        raise
    if api.kind and api.kind != "biz":  # the business budget is per IP, spent on authorising
        box.platform.spend((api.kind, call.user.id))
    if drop:
        return DropResponse()
    if fault is not None and fault.kind == "pending" and api.write:
        if isinstance(result, dict) and isinstance(result.get("id"), int) and api_name != "statuses/destroy":
            until = box.platform.now() + (_pending_seconds(box) if fault.seconds is None else fault.seconds)
            box.platform.hide(result["id"], until)
        raise WeiboError(20032)
    return weibo_json(result)


async def _fault_before(
    box: Sandbox, request: Request, fault: Fault, api: Api, *, api_name: str, token_value: str | None, ip: str
) -> Response | None:
    """Faults that act before the call is served: an answer (raised or returned), or a delay (None)."""
    if fault.kind in ("error", "code"):
        raise WeiboError(fault.code or 10001)
    if fault.kind == "rate_limit":
        _spend_fault(box, token_value=token_value, ip=ip, api=api, api_name=api_name, code=fault.code or 10023)
    if fault.kind == "slow":
        await _sleep_unless_gone(request, box.faults.slow_seconds if fault.seconds is None else fault.seconds)
    if fault.kind == "blackhole":
        # Not a byte, not even a status line: the client waits for its own timeout, then gives up.
        await _sleep_unless_gone(request, BLACKHOLE_HOLD_SECONDS if fault.seconds is None else fault.seconds)
        raise DropConnection
    if fault.kind == "drop" and not api.write:
        return DropResponse()
    return None


def _pending_seconds(box: Sandbox) -> float:
    """How long a pending write hides: the faults' override, else the sandbox configuration's."""
    return box.config.pending_seconds if box.faults.pending_seconds is None else box.faults.pending_seconds


async def _sleep_unless_gone(request: Request, seconds: float) -> None:
    """The slow fault's delay, cut short when the client hangs up: the call is then served at once (a write
    still lands, as on a slow platform), and no sleeper outlives its client to hold up a shutdown."""

    async def hung_up() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    sleeper, watcher = asyncio.ensure_future(asyncio.sleep(seconds)), asyncio.ensure_future(hung_up())
    try:
        await asyncio.wait({sleeper, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sleeper, watcher):
            task.cancel()


def _authorise(
    box: Sandbox, request: Request, params: Params, api: Api, *, api_name: str, ip: str, entry: dict
) -> Call:
    """Token, then rate buckets (all checked before anything is spent or written), then ``rip`` (required on
    content writes, recorded wherever given)."""
    token_value = token_of(request, params)
    if not token_value:
        raise WeiboError(21301)
    token = box.platform.token(token_value)
    user = box.platform.users[token.uid]
    entry["uid"] = user.id
    if api.kind == "biz":  # the business API: a budget of its own per IP, not the account's calls
        box.platform.check_biz_limit(ip)
        box.platform.spend(("biz", ip))
    elif api_name not in UNCOUNTED:
        box.platform.check_limits(uid=user.id, ip=ip, kind=api.kind, api=api_name)
        box.platform.spend(("ip", ip))
        box.platform.spend(("calls", user.id))
    rip = params.text("rip")
    entry["rip"] = rip
    if api.needs_rip and not rip:
        raise WeiboError(10016, "rip")
    if rip is not None and not _valid_ip(rip):
        raise invalid("rip", f"must be an IP address, got {rip[:40]!r}")
    return Call(params, user, ip, rip, api_name)


def _spend_fault(box: Sandbox, *, token_value: str | None, ip: str, api: Api, api_name: str, code: int) -> None:
    """Answer a rate-limit code and treat that bucket as spent for the rest of the hour."""
    uid = None
    if token_value:
        with contextlib.suppress(WeiboError):
            uid = box.platform.token(token_value).uid
    if api.kind == "biz":
        box.platform.exhaust(("biz", ip))
    elif code == 10022:
        box.platform.exhaust(("ip", ip))
    elif uid is not None:
        box.platform.exhaust(("calls", uid) if code == 10023 else (api.kind or "posts", uid))
    raise WeiboError(code, api_name) if code == 10024 else WeiboError(code)


# ---------------------------------------------------------------------- OAuth2
def oauth_error(path: str, error: str, code: int, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_code": code, "request": path, "error_uri": path, "error_description": description},
        status_code=status,
    )


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _error_page(title: str, code: int, detail: str, status: int = 400) -> HTMLResponse:
    body = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>微博授权出错</title></head>
<body><main><h1>{html.escape(title)}</h1><p>错误码 error_code: {code}</p>
<p>{html.escape(detail)}</p></main></body></html>"""
    return HTMLResponse(body, status_code=status)


def _authorize_problem(box: Sandbox, params: dict[str, str]) -> HTMLResponse | None:
    if params.get("client_id") != box.config.app_key:
        return _error_page("invalid_client", 21324, f"未知的应用 client_id：{params.get('client_id', '')}")
    redirect_uri = params.get("redirect_uri") or ""
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        return _error_page("redirect_uri_mismatch", 21322, "redirect_uri 缺失或不是 http(s) 地址")
    if params.get("response_type", "code") != "code":
        return _error_page("unsupported_response_type", 21329, "response_type 只支持 code")
    return None


async def oauth_authorize(request: Request) -> Response:
    box: Sandbox = request.app.state.sandbox
    if request.method == "GET":
        params = dict(request.query_params)
        problem = _authorize_problem(box, params)
        return problem or _consent_page(box, params)
    form = await request.form()
    params = {**dict(request.query_params), **{k: v for k, v in form.items() if isinstance(v, str)}}
    problem = _authorize_problem(box, params)
    if problem:
        return problem
    redirect_uri, state = params["redirect_uri"], params.get("state")
    if params.get("action", "allow") == "deny":
        target = _with_query(
            redirect_uri,
            {
                "error": "access_denied",
                "error_code": "21330",
                "error_description": "user denied the authorization",
                "state": state,
            },
        )
        return RedirectResponse(target, status_code=302)
    try:
        uid = int(params.get("uid", ""))
    except ValueError:
        return _error_page("invalid_request", 21323, "请选择要登录的账号 (uid)")
    if uid not in box.platform.own:
        return _error_page("invalid_request", 21323, f"uid {uid} 不是可授权的账号")
    code = box.platform.issue_code(uid, params["client_id"], redirect_uri)
    return RedirectResponse(_with_query(redirect_uri, {"code": code, "state": state}), status_code=302)


def _consent_page(box: Sandbox, params: dict[str, str]) -> HTMLResponse:
    esc = html.escape
    hidden = "".join(
        f'<input type="hidden" name="{esc(name)}" value="{esc(params.get(name, ""))}">'
        for name in ("client_id", "redirect_uri", "state", "response_type")
    )
    choices = "".join(
        f'<li><label><input type="radio" name="uid" value="{uid}"{" checked" if i == 0 else ""}> '
        f"{esc(box.platform.users[uid].screen_name)} <small>(uid {uid})</small></label></li>"
        for i, uid in enumerate(box.platform.own)
    )
    body = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>微博授权（本地沙盒）</title>
<style>body{{font-family:sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}}
ul{{list-style:none;padding:0}}li{{margin:.5rem 0}}
button{{font-size:1rem;padding:.5rem 1.5rem;margin-right:1rem}}</style>
</head><body><main>
<h1>授权应用访问你的微博账号</h1>
<p>应用 <strong>{esc(params.get("client_id", ""))}</strong> 请求读取和发布你的微博、评论、私信与粉丝信息。</p>
<p>授权后将返回：<code>{esc(params.get("redirect_uri", ""))}</code></p>
<form method="post" action="/oauth2/authorize">{hidden}
<fieldset><legend>以此账号登录</legend><ul>{choices}</ul></fieldset>
<button type="submit" name="action" value="allow">授权</button>
<button type="submit" name="action" value="deny">取消</button>
</form>
<p><small>这是本地的微博沙盒，不会连接真实的微博。</small></p>
</main></body></html>"""
    return HTMLResponse(body)


async def oauth_access_token(request: Request) -> Response:
    box: Sandbox = request.app.state.sandbox
    path = "/oauth2/access_token"
    params = await _oauth_params(request)
    if params.get("client_id") != box.config.app_key or params.get("client_secret") != box.config.app_secret:
        return oauth_error(path, "invalid_client", 21324, "client_id or client_secret is wrong")
    if params.get("grant_type") != "authorization_code":
        return oauth_error(path, "unsupported_grant_type", 21328, "grant_type must be authorization_code")
    code = box.platform.codes.get(params.get("code") or "")
    if (
        code is None
        or code.used
        or box.platform.now() - code.created_at > CODE_LIFETIME
        or code.client_id != params["client_id"]
    ):
        return oauth_error(path, "invalid_grant", 21325, "the code is unknown, used or expired")
    if params.get("redirect_uri") != code.redirect_uri:
        return oauth_error(path, "redirect_uri_mismatch", 21322, "redirect_uri differs from the one authorized")
    code.used = True
    token = box.platform.issue_token(code.uid, box.config.app_key)
    lifetime = int(token.expires_at - token.created_at)
    return JSONResponse(
        {
            "access_token": token.token,
            "remind_in": str(lifetime),
            "expires_in": lifetime,
            "uid": str(token.uid),
            "isRealName": "true",
        }
    )


async def oauth_token_info(request: Request) -> Response:
    box: Sandbox = request.app.state.sandbox
    path = "/oauth2/get_token_info"
    params = await _oauth_params(request)
    value = params.get("access_token") or ""
    try:
        token = box.platform.token(value)
    except WeiboError as exc:
        name = "expired_token" if exc.code == 21327 else "invalid_access_token"
        return oauth_error(path, name, exc.code, exc.message, status=exc.status)
    return JSONResponse(
        {
            "uid": token.uid,
            "appkey": token.app_key,
            "scope": "all",
            "create_at": int(token.created_at),
            "expire_in": int(token.expires_at - box.platform.now()),
        }
    )


async def oauth_revoke(request: Request) -> Response:
    """``oauth2/revokeoauth2``: the token stops working at once, answering as any revoked token does (21332)."""
    box: Sandbox = request.app.state.sandbox
    path = "/oauth2/revokeoauth2"
    params = await _oauth_params(request)
    try:
        token = box.platform.token(params.get("access_token") or "")
    except WeiboError as exc:
        name = "expired_token" if exc.code == 21327 else "invalid_access_token"
        return oauth_error(path, name, exc.code, exc.message, status=exc.status)
    token.revoked = True
    box.platform.touch()
    return JSONResponse({"result": "true"})


async def _oauth_params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        with contextlib.suppress(Exception):
            form = await request.form()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


# ---------------------------------------------------------------------- /_sandbox/ admin
class AdminError(Exception):
    def __init__(self, message: str, status: int = 400, **extra: object):
        super().__init__(message)
        self.status = status
        self.extra = extra


async def _body(request: Request) -> dict:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise AdminError("the body must be JSON") from None
    if not isinstance(body, dict):
        raise AdminError("the body must be a JSON object")
    return body


def _int_field(body: dict, name: str, *, required: bool = False) -> int | None:
    value = body.get(name)
    if value is None:
        if required:
            raise AdminError(f"{name} is required")
        return None
    if isinstance(value, bool):
        raise AdminError(f"{name} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AdminError(f"{name} must be an integer, got {value!r}") from None


def admin(handler: Callable[[Sandbox, Request], Awaitable[object]]):
    async def endpoint(request: Request) -> Response:
        box: Sandbox = request.app.state.sandbox
        try:
            result = await handler(box, request)
        except AdminError as exc:
            return JSONResponse({"error": str(exc), **exc.extra}, status_code=exc.status)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return result if isinstance(result, Response) else JSONResponse(result)

    return endpoint


async def admin_health(box: Sandbox, request: Request) -> dict:
    return box.health()


async def admin_reset(box: Sandbox, request: Request) -> dict:
    await box.reset()
    return box.health()


async def admin_accounts(box: Sandbox, request: Request) -> dict:
    if request.method == "POST":
        body = await _body(request)
        name = body.get("screen_name")
        if not isinstance(name, str) or not name.strip() or len(name) > 30:
            raise AdminError("screen_name (1-30 characters) is required")
        user = box.platform.register_own(name.strip(), _int_field(body, "uid"))
        return {"uid": user.id, "screen_name": user.screen_name}
    return {"accounts": [box.platform.user_json(box.platform.users[uid]) for uid in box.platform.own]}


CONFIG_FIELDS = {
    "push_url": (str, type(None)),
    "safe_domain": (str,),
    "token_lifetime": (int,),
    "traffic_per_minute": (int, float),
    "app_key": (str,),
    "app_secret": (str,),
    "post_burst_limit": (int,),
    "post_burst_window": (int,),
    "near_duplicate_jaccard": (int, float),
    "forbidden_words": (list,),
    "advertising_words": (list,),
    "pending_seconds": (int, float),
}
FLOAT_FIELDS = {"traffic_per_minute", "near_duplicate_jaccard", "pending_seconds"}


async def admin_config(box: Sandbox, request: Request) -> dict:
    if request.method == "POST":
        body = await _body(request)
        unknown = set(body) - set(CONFIG_FIELDS)
        if unknown:
            raise AdminError(f"unknown fields {sorted(unknown)}; known: {sorted(CONFIG_FIELDS)}")
        for name, value in body.items():
            if isinstance(value, bool) or not isinstance(value, CONFIG_FIELDS[name]):
                raise AdminError(f"{name} has the wrong type: {value!r}")
        if "push_url" in body and body["push_url"] and urlsplit(body["push_url"]).scheme not in ("http", "https"):
            raise AdminError("push_url must be an http(s) URL")
        if body.get("token_lifetime", 1) <= 0 or body.get("traffic_per_minute", 0) < 0:
            raise AdminError("token_lifetime must be positive and traffic_per_minute not negative")
        for key in ("safe_domain", "app_key", "app_secret"):
            if key in body and not body[key].strip():
                raise AdminError(f"{key} must not be empty")
        _check_assumptions(body)
        for name, value in body.items():
            setattr(box.config, name, float(value) if name in FLOAT_FIELDS else list(value) if
                    isinstance(value, list) else value)
        if "traffic_per_minute" in body:
            box.traffic.set_ambient(box.config.traffic_per_minute)
    return box.config.public()


def _check_assumptions(body: dict) -> None:
    """The sandbox's own thresholds (not Weibo's): say what is wrong, having changed nothing."""
    for name in ("post_burst_limit", "post_burst_window"):
        if name in body and body[name] < 1:
            raise AdminError(f"{name} must be at least 1, got {body[name]}")
    if "near_duplicate_jaccard" in body and not 0 < body["near_duplicate_jaccard"] <= 1:
        raise AdminError("near_duplicate_jaccard must be above 0 and at most 1")
    if "pending_seconds" in body and not 0 <= body["pending_seconds"] <= 600:
        raise AdminError("pending_seconds must be between 0 and 600")
    for name in ("forbidden_words", "advertising_words"):
        if name in body and not all(isinstance(w, str) and w.strip() for w in body[name]):
            raise AdminError(f"{name} must be a list of non-empty words")


async def admin_limits(box: Sandbox, request: Request) -> dict:
    if request.method == "POST":
        body = await _body(request)
        unknown = set(body) - set(LIMIT_KINDS)
        if unknown:
            raise AdminError(f"unknown limits {sorted(unknown)}; known: {list(LIMIT_KINDS)}")
        values = {name: _int_field(body, name) for name in body}
        if any(v is None or v < 0 for v in values.values()):
            raise AdminError("limits must be non-negative integers")
        box.config.limits.update(values)  # type: ignore[arg-type]
    return dict(box.config.limits)


async def admin_faults(box: Sandbox, request: Request) -> dict:
    if request.method == "POST":
        box.faults.update(await _body(request))
    elif request.method == "DELETE":
        box.faults = type(box.faults)()
    return box.faults.describe()


def _own(box: Sandbox, uid: int | None, name: str = "to_uid") -> User:
    if uid is None:
        raise AdminError(f"{name} is required")
    if uid not in box.platform.own:
        raise AdminError(f"{name} {uid} is not an own account; own: {box.platform.own}")
    return box.platform.users[uid]


def _fan(box: Sandbox, uid: int | None) -> User:
    if uid is None:
        return box.platform.make_user(box.platform.rng)
    user = box.platform.users.get(uid)
    if user is None:
        raise AdminError(f"from_uid {uid} does not exist")
    if uid in box.platform.own:
        raise AdminError(f"from_uid {uid} is an own account, not a fan")
    return user


async def admin_tokens(box: Sandbox, request: Request) -> dict:
    body = await _body(request)
    uid = _int_field(body, "uid", required=True)
    action = request.path_params["action"]
    if action not in ("revoke", "expire"):
        raise AdminError(f"unknown token action {action!r}; use revoke or expire", status=404)
    tokens = box.platform.tokens_of(uid or 0)
    for token in tokens:
        if action == "revoke":
            token.revoked = True
        else:
            token.expires_at = min(token.expires_at, box.platform.now() - 1)
    box.platform.touch()
    return {"uid": uid, action + "d": len(tokens)}


async def admin_messages(box: Sandbox, request: Request) -> dict:
    if request.method == "GET":
        uid = _int_field(dict(request.query_params), "uid")
        limit = _int_field(dict(request.query_params), "limit") or 100
        found = [m for m in box.platform.messages if uid is None or uid in (m.sender_id, m.receiver_id)]
        return {"messages": [box.platform.message_json(m) for m in found[-limit:]]}
    body = await _body(request)
    own = _own(box, _int_field(body, "to_uid", required=True))
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise AdminError("text is required")
    fan = _fan(box, _int_field(body, "from_uid"))
    ago = _int_field(body, "ago_seconds") or 0  # a message from the past: tests of the reply window
    if ago < 0:
        raise AdminError("ago_seconds must not be negative")
    at = box.platform.now() - ago if ago else None
    return {"from_uid": fan.id, "to_uid": own.id, **box.traffic.fan_message(fan, own, text, at=at)}


# A 1×1 PNG: the photo a fan posts for a photo-UGC campaign (随手拍).
FAN_PICTURE = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                            "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")


async def admin_fan_post(box: Sandbox, request: Request) -> dict:
    """A fan @s an own account in a post (``kind`` mention, ``picture`` true for a photo with it) or comments on
    its newest post (``comment``): what a test needs to see one known item arrive in the app's inbox."""
    body = await _body(request)
    own = _own(box, _int_field(body, "to_uid", required=True))
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise AdminError("text is required")
    kind = body.get("kind", "mention")
    fan = _fan(box, _int_field(body, "from_uid"))
    picture = body.get("picture", False)
    if not isinstance(picture, bool):
        raise AdminError("picture must be true or false")
    if kind == "mention":  # a fan's own post, posted in the Weibo app: #topics# and pictures are theirs to use
        pics = [box.platform.picture_store("ugc.png", FAN_PICTURE)] if picture else []
        status = box.platform.add_status(fan, f"@{own.screen_name} {text}", pic_ids=pics)
        return {"from_uid": fan.id, "to_uid": own.id, "status": box.platform.status_json(status)}
    if kind != "comment":
        raise AdminError("kind must be mention or comment")
    posts = [sid for sid in box.platform.timelines.get(own.id, []) if not box.platform.statuses[sid].deleted]
    if not posts:
        raise AdminError(f"account {own.id} has no post to comment on")
    comment = box.platform.add_comment(fan, box.platform.statuses[posts[-1]], text)
    return {"from_uid": fan.id, "to_uid": own.id, "comment": box.platform.comment_json(comment)}


async def admin_follow(box: Sandbox, request: Request) -> dict:
    body = await _body(request)
    own = _own(box, _int_field(body, "to_uid", required=True))
    follow = request.url.path.endswith("/follow")
    if not follow and body.get("from_uid") is None:
        raise AdminError("from_uid is required to unfollow")
    fan = _fan(box, _int_field(body, "from_uid"))
    return {"from_uid": fan.id, "to_uid": own.id, **box.traffic.fan_follow(fan, own, follow=follow)}


async def admin_fan_event(box: Sandbox, request: Request) -> dict:
    """A fan subscribes, clicks the menu, scans a QR code or @mentions an own account (``event``): pushed
    like Weibo pushes it, and it opens the private-message window as on Weibo."""
    body = await _body(request)
    own = _own(box, _int_field(body, "to_uid", required=True))
    event = body.get("event")
    allowed = ("subscribe", "unsubscribe", "click", "view", "scan", "scan_follow", "mention")
    if event not in allowed:
        raise AdminError(f"event must be one of {', '.join(allowed)} (follow, unfollow and messages have their own "
                         "endpoints)")
    fan = _fan(box, _int_field(body, "from_uid"))
    return {"from_uid": fan.id, "to_uid": own.id, **box.traffic.fan_action(fan, own, event)}


async def admin_pushes(box: Sandbox, request: Request) -> list:
    """Every delivery attempt, oldest first."""
    return list(box.pusher.attempts)


async def admin_push_verify(box: Sandbox, request: Request) -> dict:
    return await box.pusher.verify()


async def admin_requests(box: Sandbox, request: Request) -> list:
    """The last ``limit`` API requests, oldest first (so ``len`` of a large limit counts calls made)."""
    limit = _int_field(dict(request.query_params), "limit") or 50
    return list(box.platform.requests)[-limit:] if limit > 0 else []


async def admin_scenarios(box: Sandbox, request: Request) -> dict:
    return {"names": list(SCENARIOS), "runs": [run.summary() for run in box.traffic.runs]}


async def admin_scenario_start(box: Sandbox, request: Request) -> dict:
    name = request.path_params["name"]
    if name not in SCENARIOS:
        raise AdminError(f"unknown scenario {name!r}", status=404, names=list(SCENARIOS))
    body = await _body(request)
    account = _own(box, _int_field(body, "account") or box.platform.own[0], "account")
    speed = body.get("speed", 1.0)
    if isinstance(speed, bool) or not isinstance(speed, int | float) or speed <= 0:
        raise AdminError("speed must be a positive number")
    instant = body.get("instant", False)
    if not isinstance(instant, bool):
        raise AdminError("instant must be true or false")
    size = _int_field(body, "size")
    if size is not None and not 1 <= size <= MAX_SCENARIO_SIZE:
        raise AdminError(f"size must be between 1 and {MAX_SCENARIO_SIZE}")
    seed = _int_field(body, "seed")
    status = _int_field(body, "status")
    around = body.get("around_text")
    if around is not None:  # the newest own original post with this text (a demo that knows the words, not the id)
        if not isinstance(around, str) or not around.strip() or status is not None:
            raise AdminError("around_text must be some words of an own post, and not given with status")
        status = next((sid for sid in reversed(box.platform.timelines.get(account.id, []))
                       if around in box.platform.statuses[sid].text and box.platform.statuses[sid].retweeted_id is None
                       and not box.platform.statuses[sid].deleted), None)
        if status is None:
            raise AdminError(f"account {account.id} has no post with {around!r} yet", status=409)
    if status is not None:
        if name not in WITH_STATUS:
            raise AdminError(f"status is for the scenarios {', '.join(sorted(WITH_STATUS))} only")
        post = box.platform.statuses.get(status)
        if post is None or post.deleted or post.user_id != account.id or post.retweeted_id is not None:
            raise AdminError(f"status {status} is not an original post of account {account.id}: give the id of one "
                             "of its own posts")
    return box.traffic.start(name, account=account, speed=float(speed), instant=instant, size=size, seed=seed,
                             status=status)


async def admin_traffic(box: Sandbox, request: Request) -> dict:
    if request.method == "POST":
        body = await _body(request)
        rate = body.get("per_minute")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or rate < 0:
            raise AdminError("per_minute must be a non-negative number")
        box.config.traffic_per_minute = float(rate)
        box.traffic.set_ambient(float(rate))
    return {"per_minute": box.traffic.ambient_rate, "running": box.traffic.ambient_task is not None}


# ---------------------------------------------------------------------- static bits: avatars and pictures
AVATAR_COLOURS = ("#e57373", "#64b5f6", "#81c784", "#ffb74d", "#ba68c8", "#4db6ac", "#f06292", "#90a4ae")


async def avatar(request: Request) -> Response:
    box: Sandbox = request.app.state.sandbox
    name = request.path_params["name"]
    headers = {"cache-control": "public, max-age=86400"}
    if name.startswith("default_avatar"):
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 180 180"><rect width="180" height="180" '
            'fill="#d9d9d9"/><circle cx="90" cy="70" r="34" fill="#fff"/>'
            '<ellipse cx="90" cy="165" rx="60" ry="48" fill="#fff"/></svg>'
        )
        return Response(svg, media_type="image/svg+xml", headers=headers)
    try:
        user = box.platform.users[int(name)]
    except (ValueError, KeyError):
        return Response(status_code=404)
    colour = AVATAR_COLOURS[user.id % len(AVATAR_COLOURS)]
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 180 180"><rect width="180" height="180" '
        f'fill="{colour}"/><text x="90" y="118" font-size="90" text-anchor="middle" fill="#fff" '
        f'font-family="sans-serif">{html.escape(user.screen_name[:1])}</text></svg>'
    )
    return Response(svg, media_type="image/svg+xml", headers=headers)


async def picture(request: Request) -> Response:
    box: Sandbox = request.app.state.sandbox
    pid = request.path_params["name"].split(".", 1)[0]
    found = box.platform.pics.get(pid)
    if found is None:
        return Response(status_code=404)
    kind, data = found
    return Response(data, media_type={"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif"}[kind])


async def not_found(request: Request) -> Response:
    return JSONResponse({"error": f"no such sandbox endpoint: {request.method} {request.url.path}"}, status_code=404)


# ---------------------------------------------------------------------- the application
def create_app(config: SandboxConfig, *, sandbox: Sandbox | None = None) -> Starlette:
    """The ASGI app. Building it loads or seeds the world, so a bad state file or data dir fails here, before
    any port is bound."""
    box = sandbox or Sandbox(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
        await box.startup()
        try:
            yield
        finally:
            await box.shutdown()

    routes = [
        Route("/oauth2/authorize", oauth_authorize, methods=["GET", "POST"]),
        Route("/oauth2/access_token", oauth_access_token, methods=["POST"]),
        Route("/oauth2/get_token_info", oauth_token_info, methods=["POST"]),
        Route("/oauth2/revokeoauth2", oauth_revoke, methods=["POST"]),
        Route("/2/{rest:path}", api_endpoint, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route(BIZ_PREFIX + "/2/{rest:path}", api_endpoint, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/_sandbox/health", admin(admin_health), methods=["GET"]),
        Route("/_sandbox/reset", admin(admin_reset), methods=["POST"]),
        Route("/_sandbox/accounts", admin(admin_accounts), methods=["GET", "POST"]),
        Route("/_sandbox/config", admin(admin_config), methods=["GET", "POST"]),
        Route("/_sandbox/limits", admin(admin_limits), methods=["GET", "POST"]),
        Route("/_sandbox/faults", admin(admin_faults), methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/tokens/{action:str}", admin(admin_tokens), methods=["POST"]),
        Route("/_sandbox/messages", admin(admin_messages), methods=["GET", "POST"]),
        Route("/_sandbox/follow", admin(admin_follow), methods=["POST"]),
        Route("/_sandbox/fan_posts", admin(admin_fan_post), methods=["POST"]),
        Route("/_sandbox/unfollow", admin(admin_follow), methods=["POST"]),
        Route("/_sandbox/fan_events", admin(admin_fan_event), methods=["POST"]),
        Route("/_sandbox/pushes", admin(admin_pushes), methods=["GET"]),
        Route("/_sandbox/push/verify", admin(admin_push_verify), methods=["POST"]),
        Route("/_sandbox/requests", admin(admin_requests), methods=["GET"]),
        Route("/_sandbox/scenarios", admin(admin_scenarios), methods=["GET"]),
        Route("/_sandbox/scenarios/{name:str}", admin(admin_scenario_start), methods=["POST"]),
        Route("/_sandbox/traffic", admin(admin_traffic), methods=["GET", "POST"]),
        Route("/_sandbox/avatars/{name:str}.svg", avatar, methods=["GET"]),
        Route("/_sandbox/pics/{name:str}", picture, methods=["GET"]),
        Route("/_sandbox/{rest:path}", not_found, methods=["GET", "POST", "DELETE"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sandbox = box
    return app
