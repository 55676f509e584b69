"""The fan practices beyond the inbox (DOMAIN.md, duty 4): the suggestion log and telling the fan when a
suggestion is adopted, rewards and regular revisits for loyal fans, tip-offs about negative posts
credited to the fan, talking to a cascade's key reposters, and the follower audit for zombie fans.

Every answer on Weibo goes through ``replies.reply_create``: the same reply permission, playbook,
approval and length rules, the same queue, rate budget and exactly-once sending as any inbox reply.
Acting on an item needs the reply permission on its account; acting on a fan needs the reply
permission on an account the fan wrote to (as notes do). Every state change is audited.

Weibo's Open API has no endpoint that removes a follower from an account (``friendships/destroy``
unfollows someone the account follows; ``friendships/followers`` only reads), so the follower audit
lists likely zombies with their reasons and a CSV for removal by hand in the Weibo client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from positioning.access import Action, account_allows, account_require, accounts_for
from positioning.models import Account, Brand
from team.models import User
from team.services import audit_record, notice_send
from weibo_ops.weibo.types import User as WeiboUser

from . import replies, scoring
from .ingest import _apply_profile
from .models import (
    Fan,
    FanGift,
    FanRevisit,
    FollowerAudit,
    FollowerAuditRow,
    Interaction,
    Kind,
    Reply,
    Source,
    State,
    Suggestion,
    SuggestionState,
    TipOff,
)
from .services import account_followers_read

# Where a suggestion may go from each state: adopted and declined are final (the fan has been told).
SUGGESTION_MOVES = {
    SuggestionState.NEW: {SuggestionState.UNDER_REVIEW, SuggestionState.ADOPTED, SuggestionState.DECLINED},
    SuggestionState.UNDER_REVIEW: {SuggestionState.ADOPTED, SuggestionState.DECLINED},
    SuggestionState.ADOPTED: set(),
    SuggestionState.DECLINED: set(),
}
FOLLOWER_AUDIT_PAGES = 10  # calls one audit spends at most: Weibo returns at most a capped part of the followers
REVISIT_NOTICE_BATCH = 500  # schedules one beat run looks at


def _require_item(by: User, item: Interaction) -> None:
    account_require(by, item.account, Action.REPLY)


def _fan_brand(*, fan: Fan, by: User, brand: Brand | None = None) -> Brand:
    """The brand a record about ``fan`` belongs to: ``brand`` when given and ``by`` answers on one of its
    accounts the fan wrote to, else the brand of the fan's latest interaction with such an account."""
    accounts = Account.objects.all() if by.is_org_wide else accounts_for(by, Action.REPLY)
    items = Interaction.objects.filter(fan=fan, account__in=accounts.values("pk"))
    if brand is not None:
        items = items.filter(account__brand=brand)
    brand_id = items.order_by("-created_at").values_list("account__brand_id", flat=True).first()
    if brand_id is None:
        raise PermissionDenied(_("You can record this only for fans who wrote to an account you reply on."))
    return Brand.objects.get(pk=brand_id)


# --- suggestions ---------------------------------------------------------------------------------

@transaction.atomic
def suggestion_record(*, item: Interaction, by: User, text: str = "", area: str = "") -> Suggestion:
    """Record the item's text (or ``text``) as the fan's suggestion ("记为建议"); once per item."""
    _require_item(by, item)
    text = (text or item.text).strip()
    if not text:
        raise ValidationError({"text": _("Write down what the fan suggested.")})
    if Suggestion.objects.filter(interaction=item).exists():
        raise ValidationError({"item": _("This message is already in the suggestion log.")})
    suggestion = Suggestion(interaction=item, fan_id=item.fan_id, brand_id=item.account.brand_id, text=text,
                            area=area.strip(), created_by=by)
    suggestion.full_clean(exclude=["interaction", "fan", "brand"])
    try:
        with transaction.atomic():
            suggestion.save()
    except IntegrityError:  # two clicks at once: the other one recorded it
        raise ValidationError({"item": _("This message is already in the suggestion log.")}) from None
    audit_record(actor=by, action="suggestion.record", target=suggestion, account_id=item.account_id,
                 changes={"state": [None, suggestion.state]})
    return suggestion


# Said to the fan on Weibo, not to a person using the app: in the platform's language whatever the
# reader's interface language is (the person may write their own instead).
SUGGESTION_THANKS = "感谢您的建议！我们已经采纳：{what}。"


def suggestion_thanks(*, suggestion: Suggestion, adopted_what: str) -> str:
    """The reply that tells the fan their suggestion was adopted."""
    return SUGGESTION_THANKS.format(what=adopted_what.strip().rstrip("。.！!"))


@transaction.atomic
def suggestion_decide(*, suggestion: Suggestion, state: str, by: User, note: str = "", adopted_what: str = "",
                      reply_text: str = "", rip: str | None = None) -> Suggestion:
    """Move the suggestion on. Adopting needs ``adopted_what`` and queues the reply that thanks the fan
    and says what was adopted (``reply_text``, or ``suggestion_thanks``), through the reply service:
    public under the fan's post or comment; a private message when the suggestion came as one, since
    Weibo has no public answer to a private message. A reply the service refuses refuses the decision."""
    suggestion = Suggestion.objects.select_for_update().select_related("interaction__account").get(pk=suggestion.pk)
    item = suggestion.interaction
    _require_item(by, item)
    if state not in SuggestionState.values:
        raise ValidationError({"state": _("Choose one of: %(states)s.")
                               % {"states": ", ".join(SuggestionState.values)}})
    if state not in SUGGESTION_MOVES[suggestion.state]:
        raise ValidationError({"state": _("A suggestion that is “%(now)s” cannot become “%(new)s”.") % {
            "now": suggestion.get_state_display(), "new": SuggestionState(state).label}})
    before = suggestion.state
    suggestion.state, suggestion.decision_note = state, note.strip()[:2000]
    fields = ["state", "decision_note"]
    if state in (SuggestionState.ADOPTED, SuggestionState.DECLINED):
        suggestion.decided_by, suggestion.decided_at = by, timezone.now()
        fields += ["decided_by", "decided_at"]
    if state == SuggestionState.ADOPTED:
        adopted_what = adopted_what.strip()
        if not adopted_what:
            raise ValidationError({"adopted_what": _("Say what was adopted: the fan is told in the reply.")})
        suggestion.adopted_what = adopted_what[:200]
        text = reply_text.strip() or suggestion_thanks(suggestion=suggestion, adopted_what=adopted_what)
        # The reply service checks permission, length, the playbook and approval, and queues it on commit.
        suggestion.reply = replies.reply_create(item=item, text=text, by=by, rip=rip, closes_loop=True)
        fields += ["adopted_what", "reply"]
    suggestion.save(update_fields=fields)
    audit_record(actor=by, action="suggestion.decide", target=suggestion, account_id=item.account_id, ip=rip,
                 changes={"state": [before, state]})
    return suggestion


# --- rewards and revisits ------------------------------------------------------------------------

@transaction.atomic
def gift_record(*, fan: Fan, by: User, what: str, given_on: date, reason: str, cost: Decimal,
                brand: Brand | None = None) -> FanGift:
    brand = _fan_brand(fan=fan, by=by, brand=brand)
    gift = FanGift(fan=fan, brand=brand, what=what.strip(), given_on=given_on, reason=reason.strip(), cost=cost,
                   given_by=by)
    gift.full_clean(exclude=["fan", "brand", "given_by"])
    if given_on > timezone.localdate():
        raise ValidationError({"given_on": _("Record a gift once it is given: the date is in the future.")})
    gift.save()
    audit_record(actor=by, action="fan.gift", target=gift, changes={"what": [None, gift.what],
                                                                  "cost": [None, str(gift.cost)]})
    return gift


@transaction.atomic
def revisit_set(*, fan: Fan, by: User, every_days: int, assignee: User, brand: Brand | None = None,
                first_due: date | None = None) -> FanRevisit:
    """Revisit the fan every ``every_days`` (creates or changes the brand's one schedule for the fan)."""
    brand = _fan_brand(fan=fan, by=by, brand=brand)
    if not (assignee.is_org_wide or accounts_for(assignee, Action.REPLY).filter(
            brand=brand, interactions__fan=fan).exists()):
        raise ValidationError({"assignee": _("%(name)s does not reply on an account this fan wrote to; choose "
                                             "someone who does.") % {"name": assignee}})
    revisit = FanRevisit.objects.select_for_update().filter(fan=fan, brand=brand).first()
    before = revisit.every_days if revisit else None
    revisit = revisit or FanRevisit(fan=fan, brand=brand, created_by=by)
    revisit.every_days, revisit.assignee = every_days, assignee
    revisit.next_due = first_due or timezone.localdate() + timedelta(days=every_days or 0)
    revisit.full_clean(exclude=["fan", "brand", "created_by"])
    revisit.save()
    audit_record(actor=by, action="fan.revisit_set", target=revisit,
                 changes={"every_days": [before, every_days], "assignee": [None, assignee.pk]})
    return revisit


@transaction.atomic
def revisit_done(*, revisit: FanRevisit, by: User, note: str = "") -> FanRevisit:
    """The fan was revisited: the next visit is due ``every_days`` from today."""
    revisit = FanRevisit.objects.select_for_update().get(pk=revisit.pk)
    _fan_brand(fan=revisit.fan, by=by, brand=revisit.brand)
    now = timezone.now()
    revisit.last_done_at, revisit.last_note = now, note.strip()[:500]
    revisit.next_due = timezone.localdate(now) + timedelta(days=revisit.every_days)
    revisit.save(update_fields=["last_done_at", "last_note", "next_due"])
    audit_record(actor=by, action="fan.revisit_done", target=revisit,
                 changes={"next_due": [None, str(revisit.next_due)]})
    return revisit


def revisits_notify_due(*, today: date | None = None) -> int:
    """Beat: tell each assignee of a revisit that is due (once per due date). Returns the notices sent."""
    today = today or timezone.localdate()
    sent = 0
    due = FanRevisit.objects.filter(next_due__lte=today).select_related("fan", "assignee")[:REVISIT_NOTICE_BATCH]
    for revisit in due:
        sent += len(notice_send(
            recipients=[revisit.assignee], kind="fan_revisit",
            title=_("Time to revisit %(fan)s (every %(n)s days)") % {"fan": revisit.fan, "n": revisit.every_days},
            body=revisit.last_note, url=reverse("fans:fan", args=[revisit.fan_id]),
            dedupe_key=f"fan_revisit:{revisit.pk}:{revisit.next_due.isoformat()}", mail=False))
    return sent


# --- tip-offs ------------------------------------------------------------------------------------

@transaction.atomic
def tipoff_record(*, item: Interaction, by: User, url: str, note: str = "") -> TipOff:
    """The fan of ``item`` pointed the team to the negative post at ``url``: credited on their profile
    and in their loyalty score."""
    _require_item(by, item)
    if TipOff.objects.filter(interaction=item).exists():
        raise ValidationError({"item": _("This message is already credited as a tip-off.")})
    tipoff = TipOff(interaction=item, fan_id=item.fan_id, brand_id=item.account.brand_id, url=url.strip(),
                    note=note.strip(), created_by=by)
    tipoff.full_clean(exclude=["interaction", "fan", "brand"])
    tipoff.save()
    scoring.fans_rescore(fan_ids=[item.fan_id])
    audit_record(actor=by, action="fan.tipoff", target=tipoff, account_id=item.account_id,
                 changes={"url": [None, tipoff.url]})
    return tipoff


# --- key nodes of a cascade ----------------------------------------------------------------------

@dataclass(frozen=True)
class KeyNode:
    """A key reposter as the cascade reads it (``sentiment.selectors.cascade_key_node``)."""

    mid: str
    uid: str
    screen_name: str
    text: str


@transaction.atomic
def key_node_reply(*, node: KeyNode, account: Account, text: str, by: User, rip: str | None = None) -> Reply:
    """Comment under a key reposter's repost (``comments/create``) from ``account``, as an inbox reply:
    the repost becomes an item of that account (closed: nobody waits for an answer), and the reply
    service applies the same permission, playbook, approval, rate budget and exactly-once sending."""
    account_require(by, account, Action.REPLY)
    fan, _new = Fan.objects.get_or_create(uid=node.uid, defaults={"screen_name": node.screen_name[:200]})
    now = timezone.now()
    item, _made = Interaction.objects.get_or_create(
        account=account, object_type="status", platform_id=node.mid,
        defaults={"kind": Kind.REPOST, "source": Source.CASCADE, "fan": fan, "text": node.text, "created_at": now,
                  "status_id": node.mid, "status_text": node.text, "status_author": node.screen_name[:200],
                  "thread_key": f"status:{node.mid}", "needs_answer": False, "state": State.CLOSED,
                  "closed_at": now})
    reply = replies.reply_create(item=item, text=text, by=by, rip=rip, closes_loop=False)
    audit_record(actor=by, action="cascade.key_node_reply", target=reply, account_id=account.pk, ip=rip,
                 changes={"mid": [None, node.mid]})
    return reply


# --- follower audit ------------------------------------------------------------------------------

def follower_audit_run(*, account: Account, by: User, pages: int = FOLLOWER_AUDIT_PAGES) -> FollowerAudit:
    """Read the account's followers (``friendships/followers``, at most ``pages`` calls of its budget),
    score each one's zombie likelihood from the profile, and keep those at or above the threshold with
    their reasons. A rate limit or a lost authorisation ends the reading early; what was read is kept
    and ``problem`` says why it stopped."""
    account_require(by, account, Action.MANAGE)
    if not 1 <= pages <= FOLLOWER_AUDIT_PAGES:
        raise ValidationError({"pages": _("Read between 1 and %(n)s pages.") % {"n": FOLLOWER_AUDIT_PAGES}})
    users, total, problem = account_followers_read(account=account, pages=pages)
    return follower_audit_store(account=account, by=by, users=users, total=total, problem=problem)


@transaction.atomic
def follower_audit_store(*, account: Account, by: User | None, users: list[WeiboUser], total: int,
                         problem: str = "") -> FollowerAudit:
    """Score the followers read and keep the likely zombies (each uid once) with their reasons."""
    now = timezone.now()
    rows: dict[str, FollowerAuditRow] = {}
    for user in users:
        probe = Fan(uid=user.id)
        _apply_profile(probe, user, now)
        score = scoring.profile_score(probe, now=now)
        if score.zombie >= scoring.ZOMBIE_THRESHOLD:
            rows[user.id] = FollowerAuditRow(
                uid=user.id, screen_name=probe.screen_name, zombie=score.zombie,
                reasons=score.reasons.get("zombie", []), followers_count=probe.followers_count,
                friends_count=probe.friends_count, statuses_count=probe.statuses_count)
    audit = FollowerAudit.objects.create(account=account, created_by=by, read=len(users),
                                         total=max(total, len(users)), problem=problem)
    for row in rows.values():
        row.audit = audit
    FollowerAuditRow.objects.bulk_create(rows.values())
    audit_record(actor=by, action="fan.follower_audit", target=audit, account_id=account.pk,
                 changes={"read": [None, audit.read], "zombies": [None, len(rows)]})
    return audit


def follower_audit_csv_rows(audit: FollowerAudit) -> list[list[str]]:
    """The audit's zombie list as CSV rows (header first), for removal by hand in the Weibo client."""
    out = [[_("Weibo uid"), _("Weibo name"), _("zombie likelihood"), _("reasons"), _("profile link")]]
    for row in audit.rows.all():
        reasons = "; ".join(scoring.reason_words(row.reasons))
        out.append([row.uid, _cell(row.screen_name), f"{row.zombie:.2f}", reasons, f"https://weibo.com/u/{row.uid}"])
    return out


def _cell(value: str) -> str:
    """A name as a spreadsheet shows it, never as a formula (a name may start with = + - @)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def may_audit_followers(user: User, account: Account) -> bool:
    return account_allows(user, account, Action.MANAGE)

