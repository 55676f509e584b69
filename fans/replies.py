"""Replies from the inbox, through the gateway, with every platform outcome kept on the reply.

How a reply goes out depends on what it answers: a comment gets ``comments/reply``, an @ in a post
gets ``comments/create`` under that post, a private message gets a private-message reply (only
within the platform's window after the fan's last message). Before anything is queued the text is
checked: length as Weibo counts it, the account playbook's forbidden words, and whether it is a bare
template. Replies on accounts whose playbook asks for it, or to items with a tag that asks for it,
wait for an approver.

Sending: a worker claims the reply with a conditional update (a redelivered task finds nothing to
claim), then calls Weibo. Rate limits put the reply back with the time it may go; a lost answer on a
comment is looked up under the post before anything is sent again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from positioning.access import Action, account_require, people_who_may
from positioning.models import Account, ConnectionState
from positioning.selectors import playbook_current
from positioning.weibo import account_client
from team.models import User
from team.services import audit_record, notice_send
from weibo_ops.weibo import text as weibo_text
from weibo_ops.weibo.errors import (
    AppRefused,
    NeedsReauthorisation,
    Outcome,
    Pending,
    RateLimited,
    Unconfirmed,
    WeiboError,
)
from weibo_ops.weibo.push import message_window as platform_window

from . import text as features
from .models import (
    Interaction,
    Kind,
    Reply,
    ReplyMethod,
    ReplyState,
    ReplyTemplate,
    TicketState,
)

logger = logging.getLogger(__name__)

RETRY_BACKOFF = [timedelta(seconds=s) for s in (5, 30, 120, 600)]  # after "Weibo is busy" answers
LOOKUP_DELAY = timedelta(seconds=5)  # a lost answer: look for the comment after this long
# 20032, "accepted, server slow": Weibo shows the comment within a minute or two ("please wait 1-2 minutes").
PENDING_LOOKUP_DELAY = timedelta(seconds=90)
# Replies that are still on their way or out: a second identical one to the same item is a double click.
REPLY_ACTIVE = [ReplyState.AWAITING_APPROVAL, ReplyState.QUEUED, ReplyState.SENDING, ReplyState.SENT,
                ReplyState.RATE_LIMITED, ReplyState.UNCONFIRMED, ReplyState.PAUSED]


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    blocking: bool = True


def reply_method(item: Interaction) -> str:
    if item.kind == Kind.MESSAGE:
        return ReplyMethod.MESSAGE
    if item.kind in (Kind.COMMENT, Kind.COMMENT_MENTION):
        return ReplyMethod.COMMENT_REPLY
    if item.kind in (Kind.MENTION, Kind.REPOST):  # a comment under the fan's post (or repost)
        return ReplyMethod.COMMENT
    raise ValidationError(_("A follow is not answered with a reply; send a private message if there is a reason "
                            "to."))


@dataclass(frozen=True)
class ReplyWindow:
    """Whether a private-message reply may go to the fan now, and why, as the inbox shows it."""

    open: bool
    until: datetime | None
    reason: str
    one_reply: bool = False


def message_window(item: Interaction, *, now: datetime | None = None) -> ReplyWindow:
    """Weibo's window for answering this conversation: 48 h after the fan's message, follow, subscribe,
    menu click or QR scan; one reply within 48 h of an @mention; none once the fan has unfollowed."""
    now = now or timezone.now()
    _dm, account_uid, fan_uid = [*item.thread_key.split(":"), "", ""][:3]
    window = platform_window(account_uid=account_uid, fan_uid=fan_uid, now=now)
    if window.until is not None and window.one_reply_since is not None:
        sent = Reply.objects.filter(interaction__thread_key=item.thread_key, method=ReplyMethod.MESSAGE,
                                    created_at__gte=window.one_reply_since, state__in=REPLY_ACTIVE).exists()
        if sent:
            return ReplyWindow(False, None, _(
                "After an @mention Weibo allows one private message within 48 hours, and it has been sent. "
                "Answer in public, or wait for the fan to write."))
        return ReplyWindow(True, window.until, _("One reply allowed (the fan @mentioned the account) until %(t)s.")
                           % {"t": _local(window.until)}, one_reply=True)
    if window.until is not None:
        return ReplyWindow(True, window.until, _("Replies allowed until %(t)s.") % {"t": _local(window.until)})
    if window.unfollowed_at is not None:
        return ReplyWindow(False, None, _(
            "The fan unfollowed the account on %(t)s: Weibo allows no private message until they follow or write "
            "again. Answer in public if the matter is open.") % {"t": _local(window.unfollowed_at)})
    return ReplyWindow(False, None, _(
        "Weibo lets an account answer a private message only within 48 hours of the fan's last message, follow, "
        "subscription, menu click or QR scan; that window has closed. Reply in public or wait for the fan to "
        "write again."))


def _local(at: datetime) -> str:
    return date_format(timezone.localtime(at), "Y-m-d H:i")


def reply_check(*, item: Interaction, text: str, template: ReplyTemplate | None = None) -> list[Problem]:
    """Everything that would stop the reply, and warnings (``blocking=False``), as people read them."""
    problems = []
    method = reply_method(item)
    limit = weibo_text.MESSAGE_MAX_LENGTH if method == ReplyMethod.MESSAGE else weibo_text.MAX_LENGTH
    problems += [Problem("text", str(p.message)) for p in weibo_text.check_text(text, field="text", limit=limit)]
    playbook = playbook_current(account=item.account)
    words = [w for w in (playbook.forbidden_words if playbook else []) if w and w in text]
    if words:
        problems.append(Problem("text", _("The playbook of %(account)s forbids: %(words)s. Say it another way.")
                                % {"account": item.account.name, "words": "、".join(words)}))
    if template is not None and features.is_boilerplate(text, template.text):
        problems.append(Problem("text", _("This is the template “%(name)s” as it stands: answer what the fan said "
                                          "in your own words.") % {"name": template.name}, blocking=False))
    if method == ReplyMethod.MESSAGE and not (window := message_window(item)).open:
        problems.append(Problem("text", window.reason))
    return problems


def replies_need_approval(item: Interaction) -> bool:
    playbook = playbook_current(account=item.account)
    return bool((playbook and playbook.replies_need_approval) or item.tags.filter(replies_need_approval=True).exists())


def _send_later(reply: Reply, at=None) -> None:
    from .tasks import reply_send

    transaction.on_commit(lambda: reply_send.apply_async((reply.pk,), eta=at))


@transaction.atomic
def reply_create(*, item: Interaction, text: str, by: User, template: ReplyTemplate | None = None,
                 confirm_boilerplate: bool = False, rip: str | None = None,
                 closes_loop: bool | None = None) -> Reply:
    """Check and queue a reply (or hold it for approval). Raises ``ValidationError`` on the ``text``
    field with every reason when it cannot go, ``PermissionDenied`` when ``by`` may not answer.

    ``closes_loop``: whether the reply tells the fan their complaint is resolved; ``None`` decides
    by itself (a public reply after a department resolved the complaint does)."""
    account_require(by, item.account, Action.REPLY)
    if template is not None and template.brand_id != item.account.brand_id:
        raise ValidationError({"template": _("That template belongs to another brand.")})
    text = text.strip()
    # The item's row is the lock that makes a double submit (two tabs, a double click) one reply.
    Interaction.objects.select_for_update().filter(pk=item.pk).first()
    if Reply.objects.filter(interaction=item, text=text, state__in=REPLY_ACTIVE).exists():
        raise ValidationError({"text": [_("This reply is already on its way to the fan (or sent): it goes out once.")]})
    problems = reply_check(item=item, text=text, template=template)
    blocking = [p.message for p in problems if p.blocking]
    if blocking:
        raise ValidationError({"text": blocking})
    boilerplate = any(not p.blocking for p in problems)
    if boilerplate and not confirm_boilerplate:
        raise ValidationError({"text": [p.message for p in problems if not p.blocking]
                               + [_("Edit it, or confirm that the template alone answers the fan.")]})
    resolved = item.tickets.filter(state=TicketState.RESOLVED).exists()
    reply = Reply(interaction=item, account=item.account, method=reply_method(item), text=text, template=template,
                  is_boilerplate=boilerplate, created_by=by, rip=rip,
                  closes_loop=closes_loop if closes_loop is not None else (
                      resolved and item.loop_closed_at is None and reply_method(item) != ReplyMethod.MESSAGE))
    # Where replies need approval, an approver's own reply waits for another approver too (as posts do);
    # only managers, who answer for the whole matrix, send theirs straight away.
    needs_approval = replies_need_approval(item) and not by.is_org_wide
    reply.state = ReplyState.AWAITING_APPROVAL if needs_approval else ReplyState.QUEUED
    reply.save()
    audit_record(actor=by, action="reply.create", target=reply, account_id=item.account_id, ip=rip,
                 changes={"state": [None, reply.state], "boilerplate": [None, boilerplate]})
    if needs_approval:
        approvers = [p for p in people_who_may(item.account, Action.APPROVE) if p.pk != by.pk]
        notice_send(recipients=approvers, kind="reply_approval",
                    title=_("A reply on %(account)s waits for your approval") % {"account": item.account.name},
                    body=text, url=reverse("fans:item", args=[item.pk]), account_id=item.account_id,
                    dedupe_key=f"reply_approval:{reply.pk}")
    else:
        _send_later(reply)
    return reply


@transaction.atomic
def reply_approve(*, reply: Reply, by: User, rip: str | None = None) -> Reply:
    reply = Reply.objects.select_for_update().select_related("account", "interaction").get(pk=reply.pk)
    account_require(by, reply.account, Action.APPROVE)
    if reply.created_by_id == by.pk:
        raise PermissionDenied(_("Someone else approves your replies."))
    if reply.state != ReplyState.AWAITING_APPROVAL:
        raise ValidationError(_("This reply is not waiting for approval (it is “%(state)s”).")
                              % {"state": reply.get_state_display()})
    reply.state, reply.approved_by, reply.approved_at = ReplyState.QUEUED, by, timezone.now()
    reply.rip = rip or reply.rip
    reply.save(update_fields=["state", "approved_by", "approved_at", "rip"])
    audit_record(actor=by, action="reply.approve", target=reply, account_id=reply.account_id, ip=rip)
    _send_later(reply)
    return reply


@transaction.atomic
def reply_refuse(*, reply: Reply, by: User, comment: str) -> Reply:
    reply = Reply.objects.select_for_update().select_related("account").get(pk=reply.pk)
    account_require(by, reply.account, Action.APPROVE)
    if reply.state != ReplyState.AWAITING_APPROVAL:
        raise ValidationError(_("This reply is not waiting for approval."))
    if not comment.strip():
        raise ValidationError({"comment": _("Say why, so that the author can fix the reply.")})
    reply.state, reply.error = ReplyState.REFUSED, comment.strip()[:500]
    reply.approved_by, reply.approved_at = by, timezone.now()
    reply.save(update_fields=["state", "error", "approved_by", "approved_at"])
    audit_record(actor=by, action="reply.refuse", target=reply, account_id=reply.account_id,
                 changes={"comment": [None, reply.error]})
    notice_send(recipients=[reply.created_by], kind="reply_refused",
                title=_("Your reply on %(account)s was not approved") % {"account": reply.account.name},
                body=reply.error, url=reverse("fans:item", args=[reply.interaction_id]),
                account_id=reply.account_id, dedupe_key=f"reply_refused:{reply.pk}")
    return reply


# --- sending -------------------------------------------------------------------------------------

def _claim(reply_id: int) -> bool:
    now = timezone.now()
    due = Q(state=ReplyState.QUEUED) | Q(state=ReplyState.RATE_LIMITED)
    return bool(Reply.objects.filter(due, pk=reply_id).filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
                .update(state=ReplyState.SENDING, claimed_at=now))


def _sent(reply: Reply, platform_id: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        Reply.objects.filter(pk=reply.pk).update(state=ReplyState.SENT, platform_id=platform_id[:20], sent_at=now,
                                                 error="", retry_at=None, needs_lookup=False)
        item = Interaction.objects.select_for_update().get(pk=reply.interaction_id)
        fields = []
        if item.first_response_at is None:
            item.first_response_at, item.first_response_by_id = now, reply.created_by_id
            fields += ["first_response_at", "first_response_by"]
        if reply.closes_loop and item.loop_closed_at is None:
            item.loop_closed_at, item.loop_pending = now, False
            fields += ["loop_closed_at", "loop_pending"]
        if fields:
            item.save(update_fields=fields)


def _look_up(reply: Reply, client) -> str | None:
    """The id of our comment with this text under the post, if Weibo has it (a lost answer).

    The lost call may lie any time after the reply was written (``claimed_at`` is the current
    attempt's, later than the lost one), so the reply's creation bounds the search; a comment that
    another reply of ours already counts as its own is not this one."""
    item = reply.interaction
    if reply.method == ReplyMethod.MESSAGE or not item.status_id:
        return None
    page = client.comments(item.status_id, count=200)
    since = reply.created_at.replace(microsecond=0) - timedelta(seconds=1)
    own_uid = reply.account.weibo_uid or getattr(getattr(reply.account, "weibo_connection", None), "uid", "")
    taken = set(Reply.objects.filter(interaction__account_id=reply.account_id, interaction__status_id=item.status_id)
                .exclude(pk=reply.pk).exclude(platform_id="").values_list("platform_id", flat=True))
    for comment in page.items:
        mine = comment.user is not None and comment.user.id == own_uid and comment.id not in taken
        answers = reply.method != ReplyMethod.COMMENT_REPLY or (
            comment.reply_comment is None or comment.reply_comment.id == item.platform_id)
        if mine and answers and reply.text in comment.text and (
                comment.created_at is None or comment.created_at >= since):
            return comment.id
    return None


def _call(reply: Reply, client) -> str:
    item = reply.interaction
    # Every reply is created from a request and keeps its sender's address; the loopback address only
    # stands in for replies written by management commands.
    rip = reply.rip or "127.0.0.1"
    if reply.method == ReplyMethod.COMMENT_REPLY:
        return client.reply(item.platform_id, item.status_id, reply.text, rip=rip).id
    if reply.method == ReplyMethod.COMMENT:
        return client.comment(item.platform_id, reply.text, rip=rip).id
    sent = client.message_reply(item.fan.uid, reply.text)
    return f"dm:{int(sent.created_at.timestamp()) if sent.created_at else ''}"


def reply_send(*, reply_id: int) -> str | None:
    """Send one queued reply. Safe to run twice: only the run that claims it calls Weibo. Returns the
    state it ended in (``None`` when there was nothing to claim)."""
    if not _claim(reply_id):
        return None
    reply = Reply.objects.select_related("interaction__fan", "account", "account__weibo_connection").get(pk=reply_id)
    now = timezone.now()
    Reply.objects.filter(pk=reply.pk).update(attempts=reply.attempts + 1)
    try:
        client = account_client(account=reply.account)
        found = _look_up(reply, client) if reply.needs_lookup else None
        _sent(reply, found or _call(reply, client))
        return ReplyState.SENT
    except WeiboError as error:
        if error.outcome == Outcome.DUPLICATE and reply.needs_lookup:
            # After a lost answer Weibo holds this very text from us: the lost call went through, though
            # the look-up missed it (e.g. pushed off the post's newest 200 comments). Sent, not rejected.
            _sent(reply, "")
            return ReplyState.SENT
        return _failed(reply, error, now)
    except BaseException:
        # Not Weibo's answer (a bug, a lost database): leave it for the sweep to look up and retry; a
        # private message cannot be looked up, so a person decides whether it went.
        if reply.method == ReplyMethod.MESSAGE:
            Reply.objects.filter(pk=reply.pk, state=ReplyState.SENDING).update(state=ReplyState.UNCONFIRMED)
        else:
            Reply.objects.filter(pk=reply.pk, state=ReplyState.SENDING).update(
                state=ReplyState.QUEUED, needs_lookup=True, retry_at=now + LOOKUP_DELAY)
        raise


def _failed(reply: Reply, error: WeiboError, now) -> str:
    """Keep what Weibo answered on the reply and decide what happens next; returns the new state."""
    if isinstance(error, RateLimited | AppRefused):
        # Rate limited: wait for the window. Refused app (not this reply; managers are alerted once):
        # back in the queue, tried again later.
        retry_at = error.retry_at or now + RETRY_BACKOFF[0]
        state = ReplyState.RATE_LIMITED if isinstance(error, RateLimited) else ReplyState.QUEUED
        Reply.objects.filter(pk=reply.pk).update(state=state, retry_at=retry_at, error=error.describe()[:500])
        _send_later(reply, retry_at)
        return state
    if isinstance(error, NeedsReauthorisation):
        Reply.objects.filter(pk=reply.pk).update(state=ReplyState.PAUSED, error=error.describe()[:500])
        return ReplyState.PAUSED
    if isinstance(error, Unconfirmed | Pending):
        # A lost answer, or 20032 "accepted, but slow": Weibo may have the comment, so never send it
        # again without looking first, and never tell the author it was rejected.
        if reply.method == ReplyMethod.MESSAGE:
            # No way to read a conversation back: a person decides whether to send again.
            Reply.objects.filter(pk=reply.pk).update(state=ReplyState.UNCONFIRMED, error=error.describe()[:500])
            return ReplyState.UNCONFIRMED
        retry_at = now + (PENDING_LOOKUP_DELAY if isinstance(error, Pending) else LOOKUP_DELAY)
        Reply.objects.filter(pk=reply.pk).update(state=ReplyState.QUEUED, retry_at=retry_at, needs_lookup=True)
        _send_later(reply, retry_at)
        return ReplyState.UNCONFIRMED
    if error.outcome == Outcome.RETRY and reply.attempts < len(RETRY_BACKOFF):
        retry_at = now + RETRY_BACKOFF[reply.attempts]
        Reply.objects.filter(pk=reply.pk).update(state=ReplyState.QUEUED, retry_at=retry_at,
                                                 error=error.describe()[:500])
        _send_later(reply, retry_at)
        return ReplyState.QUEUED
    Reply.objects.filter(pk=reply.pk).update(state=ReplyState.REJECTED, error=error.describe()[:500])
    notice_send(recipients=[reply.created_by], kind="reply_rejected",
                title=_("Weibo did not take your reply on %(account)s") % {"account": reply.account.name},
                body=error.describe(), url=reverse("fans:item", args=[reply.interaction_id]),
                account_id=reply.account_id, dedupe_key=f"reply_rejected:{reply.pk}")
    return ReplyState.REJECTED


def reply_resend(*, reply: Reply, by: User) -> Reply:
    """A person sends again a reply whose answer was lost or that Weibo rejected for a passing reason."""
    account_require(by, reply.account, Action.REPLY)
    with transaction.atomic():
        # Conditional: of two clicks (or two people) only one puts the reply back in the queue.
        moved = Reply.objects.filter(pk=reply.pk, state__in=[ReplyState.UNCONFIRMED, ReplyState.PAUSED]).update(
            state=ReplyState.QUEUED, retry_at=None, error="")
        if not moved:
            raise ValidationError(_("Only a reply whose answer was lost or that was paused can be sent again."))
        _send_later(reply)
    return Reply.objects.get(pk=reply.pk)


def replies_sweep() -> list[int]:
    """Beat: replies a killed worker left "sending" (looked up before any resend), replies of accounts
    connected again, and queued replies whose task was lost. Returns the ids queued."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.FANS_REPLY_STALE_SECONDS)
    left = Reply.objects.filter(state=ReplyState.SENDING, claimed_at__lt=stale)
    # A private message cannot be read back: sending it again could say it twice, so a person decides.
    left.filter(method=ReplyMethod.MESSAGE).update(state=ReplyState.UNCONFIRMED)
    left.exclude(method=ReplyMethod.MESSAGE).update(state=ReplyState.QUEUED, needs_lookup=True, retry_at=now)
    connected = Account.objects.filter(weibo_connection__state=ConnectionState.CONNECTED).values("pk")
    Reply.objects.filter(state=ReplyState.PAUSED, account__in=connected).update(state=ReplyState.QUEUED, retry_at=now)
    due = list(Reply.objects.filter(state__in=[ReplyState.QUEUED, ReplyState.RATE_LIMITED])
               .filter(Q(retry_at__isnull=True, created_at__lt=now - timedelta(seconds=30)) | Q(retry_at__lte=now))
               .values_list("pk", flat=True)[:500])
    return due


def ticket_resolved_open_loops(*, item: Interaction) -> bool:
    """Whether the item has a resolved ticket and the fan has not been told yet."""
    return item.loop_pending
