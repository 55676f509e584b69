"""Services binding the Weibo gateway to matrix accounts: connect (OAuth2), check, lose and regain
the authorisation, and hand out the one client through which every job calls Weibo for an account.

A lost authorisation (token expired or revoked: 21327 and friends) moves the connection from
"connected" to "needs re-authorisation" with a conditional update, so that of any number of failing
jobs exactly one tells the owner; while it is not connected, ``account_client`` refuses to call
Weibo, which pauses every job of the account until someone reconnects it.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from team.models import Notice, Role, User
from team.services import audit_record, notice_send
from weibo_ops.weibo.budget import account_scope
from weibo_ops.weibo.client import WeiboClient, WeiboOAuth
from weibo_ops.weibo.errors import AppRefused, NeedsReauthorisation, Outcome, WeiboError

from .access import Action, people_who_may
from .models import Account, ConnectionState, WeiboConnection

logger = logging.getLogger(__name__)

STATE_BYTES = 24  # random bytes in an OAuth2 state value


@dataclass(frozen=True)
class ConnectStart:
    url: str
    state: str


def weibo_connect_start(*, account: Account, redirect_uri: str) -> ConnectStart:
    """Where to send the person to authorise the account on Weibo, and the ``state`` to check on return.

    The caller keeps ``state`` (in the session) and compares it on the callback: it ties the callback
    to this person and this account, which stops forged callbacks (CSRF on OAuth).
    """
    state = secrets.token_urlsafe(STATE_BYTES)
    return ConnectStart(WeiboOAuth.from_settings().authorize_url(redirect_uri=redirect_uri, state=state), state)


def weibo_connect_finish(*, account: Account, code: str, redirect_uri: str, by: User | None,
                         ip: str | None = None) -> WeiboConnection:
    """Exchange the code, verify the token with ``get_token_info`` and bind it to the account.

    Raises ``ValidationError`` when the token belongs to another app or to a different Weibo user than
    the account is bound to, and ``WeiboError`` when Weibo refuses.
    """
    oauth = WeiboOAuth.from_settings()
    token = oauth.exchange_code(code=code, redirect_uri=redirect_uri)
    info = oauth.token_info(token.access_token)
    if info.appkey and info.appkey != oauth.app_key:
        raise ValidationError(_("Weibo issued this token to another app (%(app)s); connect again from this page.")
                              % {"app": info.appkey})
    if info.uid != token.uid:
        raise ValidationError(_("Weibo's token check names a different user than the token; connect again."))
    if account.weibo_uid and account.weibo_uid != info.uid:
        raise ValidationError(
            _("You authorised Weibo user %(uid)s, but %(account)s is Weibo user %(bound)s. Sign in to Weibo as "
              "%(account)s and connect again.") % {"uid": info.uid, "account": account.name, "bound": account.weibo_uid}
        )
    other = (Account.objects.filter(weibo_uid=info.uid).exclude(pk=account.pk).first()
             or Account.objects.filter(weibo_connection__uid=info.uid).exclude(pk=account.pk)
             .exclude(weibo_connection__state=ConnectionState.DISCONNECTED).first())
    if other is not None:
        # One Weibo user is one budget at Weibo: two matrix accounts on it would each believe they
        # have the whole hourly allowance.
        raise ValidationError(
            _("Weibo user %(uid)s is already the matrix account %(other)s. Sign in to Weibo as %(account)s and "
              "connect again.") % {"uid": info.uid, "other": other.name, "account": account.name}
        )
    screen_name = ""
    client = WeiboClient.from_settings(token.access_token, scope=account_scope(account.pk))
    try:
        screen_name = client.user(uid=info.uid).screen_name
    except WeiboError as error:  # the name is a courtesy; the connection stands without it
        logger.info("users/show for newly connected account %s failed: %s", account.pk, error)
    return _bind(account=account, token=token.access_token, uid=info.uid, screen_name=screen_name,
                 scope=info.scope, expires_at=info.expires_at or token.expires_at, by=by, ip=ip)


@transaction.atomic
def _bind(*, account: Account, token: str, uid: str, screen_name: str, scope: str, expires_at, by, ip):
    now = timezone.now()
    existing = WeiboConnection.objects.select_for_update().filter(account=account).first()
    before = {"state": existing.state, "uid": existing.uid} if existing else {}
    connection = existing or WeiboConnection(account=account)
    connection.state = ConnectionState.CONNECTED
    connection.uid, connection.screen_name, connection.scope = uid, screen_name[:100], scope
    connection.access_token, connection.expires_at = token, expires_at
    connection.connected_at, connection.connected_by, connection.checked_at = now, by, now
    connection.problem, connection.problem_at = "", None
    if existing:
        connection.generation = existing.generation + 1
    connection.save()
    if not account.weibo_uid:
        account.weibo_uid = uid
        account.save(update_fields=["weibo_uid", "updated_at"])
    audit_record(actor=by, action="account.weibo_connect", target=account, account_id=account.pk, ip=ip,
                 changes={"weibo": [before or None, {"state": connection.state, "uid": uid}]})
    return connection


def weibo_connection_lost(*, account: Account, error: WeiboError, generation: int) -> bool:
    """Mark the account "needs re-authorisation" and tell its owner, once per lost authorisation.

    ``generation`` is that of the token that failed: a job still holding the token of before a
    reconnection must not undo the reconnection. Safe to call from any number of failing jobs at once:
    only the call that moves the state from "connected" does anything. Returns whether this call was it.
    """
    now = timezone.now()
    problem = f"{error.code or ''} {error.message}".strip()[:300]
    with transaction.atomic():
        moved = WeiboConnection.objects.filter(
            account=account, state=ConnectionState.CONNECTED, generation=generation
        ).update(
            state=ConnectionState.NEEDS_REAUTH, problem=problem, problem_at=now
        )
        if not moved:
            return False
        connection = WeiboConnection.objects.get(account=account)
        audit_record(actor=None, action="account.weibo_lost", target=account, account_id=account.pk,
                     changes={"weibo": [ConnectionState.CONNECTED, ConnectionState.NEEDS_REAUTH], "error": problem})
        recipients = [account.owner] if account.owner_id and account.owner.is_active else []
        recipients = recipients or list(User.objects.filter(role=Role.MANAGER, is_active=True))
        notice_send(
            recipients=recipients,
            kind="weibo_reauth",
            title=_("%(account)s needs re-authorisation on Weibo") % {"account": account.name},
            body=_("Weibo no longer accepts this account's authorisation (%(problem)s). Its scheduled posts, "
                   "replies and monitoring are paused until someone who manages the account connects it again.")
            % {"problem": problem},
            url=reverse("positioning:account", args=[account.pk]),
            account_id=account.pk,
            dedupe_key=f"weibo_reauth:{account.pk}:{connection.generation}",
        )
    logger.warning("Account %s needs Weibo re-authorisation: %s", account.pk, problem)
    return True


def weibo_blocked_alert(*, account: Account, error: WeiboError) -> None:
    """Weibo blocked the server's IP or flagged the account (10004, 20015, 20022): a person must look.

    Administrators and managers are told once a day per account, however many calls hit the block.
    """
    logger.error("Weibo blocked calls for account %s: %s", account.pk, error)
    notice_send(
        recipients=list(User.objects.filter(role__in=[Role.ADMIN, Role.MANAGER], is_active=True)),
        kind="weibo_blocked",
        title=_("Weibo blocked calls for %(account)s") % {"account": account.name},
        body=_("Weibo answered %(code)s: %(message)s. The server's IP may be blocked or the account flagged as "
               "abnormal; check the account on weibo.com and the server's call volume before anything is retried.")
        % {"code": error.code, "message": error.message},
        url=reverse("positioning:account", args=[account.pk]),
        account_id=account.pk,
        dedupe_key=f"weibo_blocked:{account.pk}:{timezone.localdate().isoformat()}",
    )


def weibo_app_alert(*, error: WeiboError) -> int:
    """Weibo refused the app itself (10006, 10013, 10014, 21321: ``APP_CODES``): no job or account can fix it,
    a person must, on open.weibo.com or in the settings. Every administrator and manager gets one alert per
    code while theirs is open (unread), however many jobs hit it; returns how many were told now.
    """
    logger.error("Weibo refused the app: %s", error)
    prefix = f"weibo_app:{error.code}:"
    told = 0
    for person in User.objects.filter(role__in=[Role.ADMIN, Role.MANAGER], is_active=True):
        theirs = Notice.objects.filter(recipient=person, dedupe_key__startswith=prefix)
        if theirs.filter(read_at__isnull=True).exists():
            continue
        # Numbered after the person's earlier (read) alerts for this code: two workers racing here build
        # the same key, and notice_send's unique constraint keeps one.
        told += len(notice_send(
            recipients=[person],
            kind="weibo_app",
            title=_("Weibo refuses the app (error %(code)s)") % {"code": error.code},
            body=_("Weibo answered %(code)s (%(message)s) on %(request)s: %(todo)s. This concerns the whole app, "
                   "not one account: posts, replies and polling wait and are tried again every hour until it is "
                   "fixed.") % {"code": error.code, "message": error.message, "request": error.request or "?",
                                "todo": error.what_to_do() if isinstance(error, AppRefused) else error.message},
            dedupe_key=f"{prefix}{theirs.count() + 1}",
        ))
    return told


_READ = object()  # account_client reads the account's connection itself


def account_client(*, account: Account, connection: WeiboConnection | object | None = _READ) -> WeiboClient:
    """The client for every call made for ``account``: its token, its budget, and loss detection.

    Raises ``NeedsReauthorisation`` without calling Weibo when the account is not connected: that is
    what pauses its jobs. A caller that has just read the connection (``select_related``) passes it
    as ``connection`` (``None`` when there is none) to save the query.
    """
    if connection is _READ:
        connection = WeiboConnection.objects.filter(account=account).first()
    if connection is None or connection.state != ConnectionState.CONNECTED:
        raise NeedsReauthorisation(
            _("%(account)s is not connected to Weibo: connect it on its account page.") % {"account": account.name}
            if connection is None or connection.state == ConnectionState.DISCONNECTED
            else _("%(account)s needs re-authorisation on Weibo.") % {"account": account.name}
        )

    def on_error(error: WeiboError) -> None:
        if error.outcome == Outcome.REAUTH:
            weibo_connection_lost(account=account, error=error, generation=connection.generation)
        elif error.outcome == Outcome.BLOCKED:
            weibo_blocked_alert(account=account, error=error)
        elif error.outcome == Outcome.APP:
            weibo_app_alert(error=error)

    return WeiboClient.from_settings(connection.access_token, scope=account_scope(account.pk), on_error=on_error)


def weibo_connection_check(*, account: Account) -> WeiboConnection | None:
    """Ask Weibo whether the account's token still works (``get_token_info``; spends no budget)."""
    connection = WeiboConnection.objects.filter(account=account, state=ConnectionState.CONNECTED).first()
    if connection is None:
        return WeiboConnection.objects.filter(account=account).first()
    try:
        info = WeiboOAuth.from_settings().token_info(connection.access_token)
    except WeiboError as error:
        if error.outcome == Outcome.REAUTH:
            weibo_connection_lost(account=account, error=error, generation=connection.generation)
        else:
            logger.info("Token check for account %s failed, will try later: %s", account.pk, error)
        return WeiboConnection.objects.get(pk=connection.pk)
    connection.checked_at = timezone.now()
    connection.expires_at = info.expires_at or connection.expires_at
    # Only if nobody reconnected meanwhile: then the row describes another token.
    WeiboConnection.objects.filter(pk=connection.pk, generation=connection.generation).update(
        checked_at=connection.checked_at, expires_at=connection.expires_at)
    return connection


def weibo_tokens_expiry_warn(*, now: datetime | None = None) -> int:
    """Warn the owner and the people who manage each connected account whose token expires within
    ``WEIBO_TOKEN_EXPIRY_WARN_DAYS``: once per token (its ``generation``), however often beat asks.
    Returns how many tokens were newly warned about."""
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.WEIBO_TOKEN_EXPIRY_WARN_DAYS)
    warned = 0
    expiring = WeiboConnection.objects.filter(
        state=ConnectionState.CONNECTED, account__is_active=True, expires_at__gt=now, expires_at__lte=horizon,
    ).select_related("account")
    for connection in expiring:
        account = connection.account
        days = connection.expires_in_days(now=now)
        notices = notice_send(
            recipients=list(people_who_may(account, Action.MANAGE)),
            kind="weibo_expiry",
            title=_("The Weibo authorisation of %(account)s expires in %(days)s days") % {
                "account": account.name, "days": days},
            body=_("Weibo will stop accepting this account's token on %(at)s. Before then, someone who manages the "
                   "account connects it again on its page (Reconnect on Weibo); otherwise its posts, replies and "
                   "monitoring pause when it expires.") % {
                "at": date_format(timezone.localtime(connection.expires_at), "Y-m-d H:i")},
            url=reverse("positioning:account", args=[account.pk]),
            account_id=account.pk,
            dedupe_key=f"weibo_expiry:{account.pk}:{connection.generation}",
        )
        warned += bool(notices)
    return warned


def weibo_connections_check_all() -> int:
    """The periodic check of every connected account; returns how many lost their authorisation."""
    lost = 0
    for account in Account.objects.filter(weibo_connection__state=ConnectionState.CONNECTED, is_active=True):
        try:
            connection = weibo_connection_check(account=account)
        except Exception:  # one account's surprise must not leave the others unchecked
            logger.exception("Checking the Weibo authorisation of account %s failed", account.pk)
            continue
        lost += bool(connection and connection.state == ConnectionState.NEEDS_REAUTH)
    return lost


@dataclass(frozen=True)
class Disconnected:
    revoked: bool  # Weibo confirmed the token is revoked (or already dead)
    problem: str = ""  # why it could not be revoked, in words for the person


def weibo_disconnect(*, account: Account, by: User, ip: str | None = None) -> Disconnected | None:
    """Revoke the account's token on Weibo (``oauth2/revokeoauth2``) and forget it here.

    The local disconnect happens whatever Weibo answers: if the platform cannot be reached, the token
    stays alive at Weibo, and the result says so (the person then revokes it on weibo.com); the audit
    event records which. Returns None when there was nothing to disconnect.

    Precondition: no transaction is open (the row lock is held across the call to Weibo, so that a
    reconnection cannot slip in between revoking one token and forgetting another).
    """
    with transaction.atomic():
        connection = WeiboConnection.objects.select_for_update().filter(account=account).first()
        if connection is None or connection.state == ConnectionState.DISCONNECTED:
            return None
        result = _revoke(account=account, token=connection.access_token)
        before = connection.state
        connection.state, connection.access_token = ConnectionState.DISCONNECTED, ""
        connection.problem, connection.problem_at = "", None
        connection.save(update_fields=["state", "access_token", "problem", "problem_at"])
        audit_record(actor=by, action="account.weibo_disconnect", target=account, account_id=account.pk, ip=ip,
                     changes={"weibo": [before, ConnectionState.DISCONNECTED],
                              "revoked_on_weibo": result.revoked, "revoke_problem": result.problem})
    return result


def _revoke(*, account: Account, token: str) -> Disconnected:
    if not token:
        return Disconnected(revoked=True)
    try:
        WeiboOAuth.from_settings().revoke(token)
    except NeedsReauthorisation:
        return Disconnected(revoked=True)  # already expired or revoked at Weibo: nothing left to revoke
    except WeiboError as error:
        logger.warning("Revoking the Weibo token of account %s failed: %s", account.pk, error)
        # The platform's own words: "retried" would be untrue, nothing retries a revocation.
        return Disconnected(revoked=False, problem=f"{error.code or ''} {error.message}".strip()[:300])
    return Disconnected(revoked=True)
