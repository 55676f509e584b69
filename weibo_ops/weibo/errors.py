"""Weibo's error codes mapped to what the product does about them.

Every call either returns a typed result or raises a ``WeiboError`` whose ``outcome`` says what to do:
retry later, wait until a time, show "duplicate" to the editor, send it back to the approver, ask the
owner to re-authorise, ... (WEIBO_API.md, "Errors"). No "unknown error" reaches a person: an unmapped
code is logged with the raw body and treated as permanent, showing the platform's own message.
"""

from __future__ import annotations

import enum
import logging
from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    RETRY = "retry"  # platform busy: try again with backoff
    RATE_LIMITED = "rate_limited"  # wait until ``retry_at``; not a failure
    DUPLICATE = "duplicate"  # never retry; tell the editor
    FORBIDDEN = "forbidden"  # illegal link, advertising, forbidden words: back to the approver
    INVALID = "invalid"  # empty, too long, bad parameter: should have been caught before queueing
    PENDING = "pending"  # 20032: accepted but slow; confirm with a look-up before anything else
    UNCONFIRMED = "unconfirmed"  # a write whose answer was lost: look it up before retrying
    NOT_FOUND = "not_found"  # the post, comment or user is gone or not ours
    REAUTH = "reauth"  # token expired or revoked: the account needs re-authorisation
    BLOCKED = "blocked"  # IP blocked or account abnormal: stop and alert operations
    APP = "app"  # the app itself is refused (permission, audit, app key): alert managers once, jobs wait
    PERMANENT = "permanent"  # anything else: do not retry, show the platform's message


DESCRIPTIONS = {
    Outcome.RETRY: _("Weibo is busy; the call will be retried."),
    Outcome.RATE_LIMITED: _("The Weibo rate limit is used up until %(until)s."),
    Outcome.DUPLICATE: _("Weibo rejected this as duplicate content; change the text."),
    Outcome.FORBIDDEN: _("Weibo rejected the content (link, advertising or forbidden words): %(message)s"),
    Outcome.INVALID: _("Weibo rejected the request: %(message)s"),
    Outcome.PENDING: _("Weibo accepted the post but is slow; it is being confirmed."),
    Outcome.UNCONFIRMED: _("The answer from Weibo was lost; the post is being looked up before any retry."),
    Outcome.NOT_FOUND: _("Weibo says the post, comment or user does not exist or is not this account's."),
    Outcome.REAUTH: _("The Weibo authorisation expired or was revoked: the account needs re-authorisation."),
    Outcome.BLOCKED: _("Weibo blocked this server or account (%(message)s); operations have been alerted."),
    Outcome.APP: _("Weibo refused this app itself (%(message)s): not this job's fault. Managers have been "
                   "alerted; the job waits and is tried again after %(until)s."),
    Outcome.PERMANENT: _("Weibo refused: %(message)s"),
}


def _codes(*items: int | range) -> set[int]:
    codes: set[int] = set()
    for item in items:
        codes |= set(item) if isinstance(item, range) else {item}
    return codes


# Codes about the app, not the call (open.weibo.com/wiki/Error_code): every job of every account gets them
# until someone fixes the app's standing on open.weibo.com, so they are one alert, never one failure per job.
APP_CODES = {
    10006: _("the app key (source) is missing from the request: check WEIBO_APP_KEY"),
    10013: _("Weibo calls the user or app key invalid: check WEIBO_APP_KEY and the account's standing"),
    10014: _("the app has no permission for this API: apply for it on open.weibo.com"),
    21321: _("the app is not approved and is over its test-user limit: get it audited on open.weibo.com, or add "
             "the account as a test user"),
}
APP_RETRY_AFTER = timedelta(hours=1)  # an app problem needs a person on open.weibo.com: try again hourly

# WEIBO_API.md's table, plus the parameter and user errors that the platform also answers.
CODE_OUTCOMES: dict[int, Outcome] = {}
for _outcome, _members in (
    (Outcome.RETRY, _codes(range(10001, 10004), range(10009, 10012))),
    (Outcome.RATE_LIMITED, _codes(10022, 10023, 10024, 20016)),
    (Outcome.DUPLICATE, _codes(20017, 20019, 20111)),
    (Outcome.FORBIDDEN, _codes(20018, 20020, 20021, 21602)),
    (Outcome.INVALID, _codes(10008, 10016, 10017, 20005, 20006, 20008, 20012, 20013)),
    (Outcome.PENDING, _codes(20032)),
    (Outcome.NOT_FOUND, _codes(20003, range(20101, 20110), range(20201, 20205))),
    (Outcome.REAUTH, _codes(21301, range(21314, 21320), 21327, 21332)),
    (Outcome.BLOCKED, _codes(10004, 20015, 20022)),
    (Outcome.APP, _codes(*APP_CODES)),
):
    CODE_OUTCOMES.update(dict.fromkeys(_members, _outcome))

IP_LIMIT_CODE = 10022
ENDPOINT_LIMIT_CODE = 10024  # "User requests for (statuses/share) out of rate limit!"
POSTING_TOO_FAST_CODE = 20016
POSTING_TOO_FAST_BACKOFF = timedelta(hours=1)  # WEIBO_API.md: back off at least an hour


class WeiboError(Exception):
    """A call that did not succeed, with what to do about it in ``outcome``."""

    outcome: Outcome = Outcome.PERMANENT

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        request: str = "",
        raw: str = "",
        http_status: int | None = None,
        retry_at: datetime | None = None,
        scope: str = "",
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.request = request
        self.raw = raw
        self.http_status = http_status
        self.retry_at = retry_at
        self.scope = scope  # for rate limits: which budget ("account", "ip") ran out
        self.problems: list = []  # for Invalid raised before calling: one per field, to show in a form

    def describe(self) -> str:
        """What a person is told: the outcome in words, with the platform's message where it helps."""
        from django.utils import timezone
        from django.utils.formats import date_format

        until = date_format(timezone.localtime(self.retry_at), "Y-m-d H:i") if self.retry_at else "?"
        return str(DESCRIPTIONS[self.outcome]) % {"message": self.message, "until": until}

    def __str__(self) -> str:
        code = f" [{self.code}]" if self.code is not None else ""
        return f"{self.outcome.value}{code}: {self.message}"


class RetryLater(WeiboError):
    outcome = Outcome.RETRY


class RateLimited(WeiboError):
    outcome = Outcome.RATE_LIMITED


class Duplicate(WeiboError):
    outcome = Outcome.DUPLICATE


class Forbidden(WeiboError):
    outcome = Outcome.FORBIDDEN


class Invalid(WeiboError):
    outcome = Outcome.INVALID


class Pending(WeiboError):
    outcome = Outcome.PENDING


class Unconfirmed(WeiboError):
    outcome = Outcome.UNCONFIRMED


class NotFound(WeiboError):
    outcome = Outcome.NOT_FOUND


class NeedsReauthorisation(WeiboError):
    outcome = Outcome.REAUTH


class Blocked(WeiboError):
    outcome = Outcome.BLOCKED


class AppRefused(WeiboError):
    """The platform refuses the app (APP_CODES): managers are alerted once per code; jobs wait, never fail."""

    outcome = Outcome.APP

    def what_to_do(self) -> str:
        return str(APP_CODES.get(self.code, self.message))


class Permanent(WeiboError):
    outcome = Outcome.PERMANENT


ERROR_CLASSES: dict[Outcome, type[WeiboError]] = {cls.outcome: cls for cls in WeiboError.__subclasses__()}


def outcome_for(code: int | None) -> Outcome | None:
    """The mapped outcome of an error code, or None when Weibo's table does not name it."""
    return CODE_OUTCOMES.get(code) if code is not None else None


def error_from_body(body: object, *, http_status: int, request: str, raw: str) -> WeiboError:
    """The typed error for an error reply. ``error_code`` may come as a number or a string."""
    data = body if isinstance(body, dict) else {}
    code = _as_int(data.get("error_code"))
    message = str(data.get("error_description") or data.get("error") or "").strip()[:500]
    request = str(data.get("request") or request)[:200]
    outcome = outcome_for(code)
    if outcome is None:
        if code is None and http_status >= 500:
            outcome = Outcome.RETRY  # a bare 5xx (proxy, gateway) is the platform being busy
        else:
            logger.warning("Unmapped Weibo error %s on %s (HTTP %s): %s", code, request, http_status, raw[:2000])
            outcome = Outcome.PERMANENT
    if not message:
        message = f"HTTP {http_status}"
    retry_at = datetime.now(UTC) + APP_RETRY_AFTER if outcome == Outcome.APP else None
    return ERROR_CLASSES[outcome](message, code=code, request=request, raw=raw[:2000], http_status=http_status,
                                  retry_at=retry_at)


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None
