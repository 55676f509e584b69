"""Writes of the inbox: assign, tag, close and reopen items (one or many), notes and tags on fans,
routing rules, reply templates and department desks. Replies are in ``replies.py``, tickets in
``tickets.py``.

Acting on an item needs the reply permission on its account; rules, templates and desks are edited
by managers and administrators. A refused call changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from positioning.access import Action, account_allows, account_require
from positioning.models import Account, Brand
from positioning.weibo import account_client
from team.handover import assignee_available_require
from team.models import Department, User
from team.services import audit_record
from weibo_ops.webhooks import webhook_url_check
from weibo_ops.weibo.errors import WeiboError
from weibo_ops.weibo.types import User as WeiboUser

from . import scoring
from .ingest import fans_upsert
from .models import DepartmentDesk, Fan, FanNote, Interaction, Kind, ReplyTemplate, RoutingRule, State, Tag

BULK_MAX = 200  # items one bulk action takes: a page of the inbox


def _require_reply(by: User, items: Iterable[Interaction]) -> None:
    for item in items:
        account_require(by, item.account, Action.REPLY)


def _require_manager(by: User | None) -> None:
    if by is not None and not by.is_org_wide:
        raise PermissionDenied(_("Only managers and administrators change this."))


def _locked(items: list[Interaction]) -> list[Interaction]:
    if len(items) > BULK_MAX:
        raise ValidationError(_("Choose at most %(n)d items at a time.") % {"n": BULK_MAX})
    return list(Interaction.objects.select_for_update(of=("self",)).filter(pk__in=[i.pk for i in items])
                .select_related("account", "fan"))


@transaction.atomic
def items_assign(*, items: list[Interaction], to: User | None, by: User, ip: str | None = None) -> int:
    """Give items to ``to`` (``None``: back to nobody). ``to`` must be able to reply on each account."""
    items = _locked(items)
    _require_reply(by, items)
    assignee_available_require(to)
    if to is not None:
        for item in items:
            if not to.is_active or not account_allows(to, item.account, Action.REPLY):
                raise ValidationError({"assignee": _("%(person)s cannot reply on %(account)s: give them the reply "
                                                     "permission there first, or choose someone else.")
                                       % {"person": to, "account": item.account.name}})
    now = timezone.now()
    changed = [item for item in items if item.assignee_id != (to.pk if to else None)]
    before = {u.pk: str(u) for u in User.objects.filter(pk__in={i.assignee_id for i in changed if i.assignee_id})}
    previous = {item.pk: before.get(item.assignee_id) for item in changed}
    for item in changed:
        item.assignee, item.assigned_at = to, now if to else None
    Interaction.objects.bulk_update(changed, ["assignee", "assigned_at"])
    for item in changed:
        audit_record(actor=by, action="inbox.assign", target=item, account_id=item.account_id, ip=ip,
                     changes={"assignee": [previous[item.pk], str(to) if to else None]})
    return len(changed)


@transaction.atomic
def items_tag(*, items: list[Interaction], tags: list[Tag], by: User, remove: bool = False,
              ip: str | None = None) -> int:
    """Add (or remove) ``tags`` on the items; every item whose tags change is audited.

    A tag with ``replies_need_approval`` comes off an item only by someone who may approve replies
    on its account: otherwise removing it would be a way round the approval it asks for."""
    items = _locked(items)
    _require_reply(by, items)
    for tag in tags:
        for item in items:
            if tag.brand_id != item.account.brand_id:
                # Unnamed: another brand's tag names are not this person's to read.
                raise ValidationError({"tags": _("Choose tags of the item's own brand.")})
    through = Interaction.tags.through
    before: dict[int, dict[int, str]] = {item.pk: {} for item in items}
    for item_id, tag_id, name in (through.objects.filter(interaction_id__in=list(before))
                                  .values_list("interaction_id", "tag_id", "tag__name")):
        before[item_id][tag_id] = name
    if remove:
        _require_untag(by, items, tags, before)
        count, _rows = through.objects.filter(interaction_id__in=list(before),
                                              tag_id__in=[t.pk for t in tags]).delete()
    else:
        links = [through(interaction_id=item.pk, tag_id=tag.pk) for item in items for tag in tags]
        through.objects.bulk_create(links, ignore_conflicts=True)
        count = len(links)
    for item in items:
        after = ({k: v for k, v in before[item.pk].items() if k not in {t.pk for t in tags}} if remove
                 else before[item.pk] | {t.pk: t.name for t in tags})
        if after != before[item.pk]:
            audit_record(actor=by, action="inbox.untag" if remove else "inbox.tag", target=item,
                         account_id=item.account_id, ip=ip,
                         changes={"tags": [sorted(before[item.pk].values()), sorted(after.values())]})
    return count


def _require_untag(by: User, items: list[Interaction], tags: list[Tag], current: dict[int, dict[int, str]]) -> None:
    """Only an approver of replies on the item's account takes off a tag that holds replies for approval."""
    for item in items:
        guarded = [t for t in tags if t.replies_need_approval and t.pk in current[item.pk]]
        if guarded and not account_allows(by, item.account, Action.APPROVE):
            raise PermissionDenied(_(
                "Replies to items tagged “%(tag)s” wait for approval; only someone who may approve replies on "
                "%(account)s removes that tag.") % {"tag": guarded[0].name, "account": item.account.name})


@transaction.atomic
def items_close(*, items: list[Interaction], by: User, ip: str | None = None) -> int:
    items = _locked(items)
    _require_reply(by, items)
    now = timezone.now()
    closing = [item for item in items if item.state != State.CLOSED]
    for item in closing:
        item.state, item.closed_at, item.closed_by = State.CLOSED, now, by
    Interaction.objects.bulk_update(closing, ["state", "closed_at", "closed_by"])
    for item in closing:
        audit_record(actor=by, action="inbox.close", target=item, account_id=item.account_id, ip=ip,
                     changes={"state": [State.OPEN, State.CLOSED]})
    return len(closing)


@transaction.atomic
def item_reopen(*, item: Interaction, by: User, ip: str | None = None) -> Interaction:
    [item] = _locked([item])
    _require_reply(by, [item])
    if item.state == State.CLOSED:
        item.state, item.closed_at, item.closed_by = State.OPEN, None, None
        item.save(update_fields=["state", "closed_at", "closed_by"])
        audit_record(actor=by, action="inbox.reopen", target=item, account_id=item.account_id, ip=ip,
                     changes={"state": [State.CLOSED, State.OPEN]})
    return item


@transaction.atomic
def item_update(*, item: Interaction, by: User, priority: int | None = None, is_complaint: bool | None = None,
                ip: str | None = None) -> Interaction:
    [item] = _locked([item])
    _require_reply(by, [item])
    changes = {}
    if priority is not None and priority != item.priority:
        changes["priority"] = [item.priority, priority]
        item.priority = priority
    if is_complaint is not None and is_complaint != item.is_complaint:
        changes["is_complaint"] = [item.is_complaint, is_complaint]
        item.is_complaint = is_complaint
    if changes:
        item.full_clean(validate_unique=False, validate_constraints=False)
        item.save(update_fields=list(changes))
        audit_record(actor=by, action="inbox.update", target=item, account_id=item.account_id, ip=ip, changes=changes)
    return item


# --- fans ----------------------------------------------------------------------------------------

def fan_visible_brands(*, by: User) -> set[int] | None:
    """The brands whose fans ``by`` may see (``None``: all)."""
    from positioning.access import accounts_for

    if by.is_org_wide:
        return None
    return set(accounts_for(by, Action.VIEW).values_list("brand_id", flat=True))


def _require_fan_reply(by: User, fan: Fan) -> None:
    from positioning.access import accounts_for

    if by.is_org_wide:
        return
    if not accounts_for(by, Action.REPLY).filter(interactions__fan=fan).exists():
        raise PermissionDenied(_("You can note and tag only fans who wrote to an account you reply on."))


@transaction.atomic
def fan_note_add(*, fan: Fan, text: str, by: User, brand: Brand | None = None) -> FanNote:
    """``brand``: whose note it is; by default the brand of the fan's latest interaction with an
    account ``by`` answers on."""
    from positioning.access import accounts_for

    _require_fan_reply(by, fan)
    brand_id = brand.pk if brand else (
        Interaction.objects.filter(fan=fan, account__in=accounts_for(by, Action.REPLY).values("pk"))
        .order_by("-created_at").values_list("account__brand_id", flat=True).first())
    if brand_id is None:
        raise PermissionDenied(_("You can note only fans who wrote to an account you reply on."))
    note = FanNote(fan=fan, brand_id=brand_id, text=text.strip(), created_by=by)
    if not note.text:
        raise ValidationError({"text": _("Write the note first.")})
    note.full_clean()
    note.save()
    return note


@transaction.atomic
def fan_tags_set(*, fan: Fan, tags: list[Tag], by: User, ip: str | None = None) -> None:
    """Set the fan's tags of the brands ``by`` answers for; one fan spans brands, and the tags of the
    others stay as they are."""
    from positioning.access import accounts_for

    _require_fan_reply(by, fan)
    if by.is_org_wide:
        kept: list[Tag] = []
        before = list(fan.tags.all())
    else:
        brands = set(accounts_for(by, Action.REPLY).values_list("brand_id", flat=True))
        if any(tag.brand_id not in brands for tag in tags):
            raise ValidationError({"tags": _("Choose tags of a brand whose accounts you answer on.")})
        kept = list(fan.tags.exclude(brand_id__in=brands))
        before = list(fan.tags.filter(brand_id__in=brands))
    fan.tags.set([*kept, *tags])
    # Only the tags this person may set are named: another brand's tags are not theirs to read.
    old, new = sorted(t.name for t in before), sorted({t.name for t in tags})
    if old != new:
        audit_record(actor=by, action="fan.tags", target=fan, ip=ip, changes={"tags": [old, new]})


# --- configuration -------------------------------------------------------------------------------

TAG_FIELDS = ["name", "colour", "replies_need_approval"]


@transaction.atomic
def tag_create(*, brand: Brand, by: User | None, **fields: Any) -> Tag:
    _require_manager(by)
    tag = Tag(brand=brand, **{k: v for k, v in fields.items() if k in TAG_FIELDS})
    tag.full_clean()
    tag.save()
    audit_record(actor=by, action="fan_tag.create", target=tag, changes={"name": [None, tag.name]})
    return tag


@transaction.atomic
def tag_update(*, tag: Tag, by: User, **fields: Any) -> Tag:
    _require_manager(by)
    changes = {}
    for key in TAG_FIELDS:
        if key in fields and getattr(tag, key) != fields[key]:
            changes[key] = [getattr(tag, key), fields[key]]
            setattr(tag, key, fields[key])
    tag.full_clean()
    tag.save()
    if changes:
        audit_record(actor=by, action="fan_tag.update", target=tag, changes=changes)
    return tag


RULE_FIELDS = ["name", "position", "is_active", "keywords", "kinds", "min_influence", "min_loyalty", "zombie",
               "is_question", "min_length", "assign_to", "assign_department", "set_priority", "mark_complaint",
               "assign_on_duty"]


def _rule_check(rule: RoutingRule, accounts: list[Account], tags: list[Tag]) -> None:
    errors = {}
    if rule.assign_to_id and rule.assign_department_id:
        errors["assign_department"] = _("Assign to a person or to a department, not both.")
    if rule.assign_on_duty and (rule.assign_to_id or rule.assign_department_id):
        errors["assign_on_duty"] = _("Assign to a person, a department or the person on duty: choose one.")
    if any(a.brand_id != rule.brand_id for a in accounts):
        errors["accounts"] = _("Choose accounts of this brand only.")
    if any(t.brand_id != rule.brand_id for t in tags):
        errors["add_tags"] = _("Choose tags of this brand only.")
    rule.keywords = [w.strip() for w in rule.keywords if isinstance(w, str) and w.strip()]
    if not isinstance(rule.kinds, list) or any(kind not in Kind.values for kind in rule.kinds):
        errors["kinds"] = _("Choose types from the list: @ mentions, comments, private messages, follows.")
    if not (rule.assign_to_id or rule.assign_department_id or rule.assign_on_duty or tags
            or rule.set_priority is not None or rule.mark_complaint):
        errors["assign_to"] = _("A rule must do something: assign, tag, set a priority or mark a complaint.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def rule_create(*, brand: Brand, by: User | None, accounts: list[Account] = (), add_tags: list[Tag] = (),
                **fields: Any) -> RoutingRule:
    _require_manager(by)
    rule = RoutingRule(brand=brand, **{k: v for k, v in fields.items() if k in RULE_FIELDS})
    if "position" not in fields:
        last = RoutingRule.objects.filter(brand=brand).order_by("-position").first()
        rule.position = (last.position + 10) if last else 10
    _rule_check(rule, list(accounts), list(add_tags))
    rule.full_clean()
    rule.save()
    rule.accounts.set(accounts)
    rule.add_tags.set(add_tags)
    audit_record(actor=by, action="routing_rule.create", target=rule, changes={"name": [None, rule.name]})
    return rule


@transaction.atomic
def rule_update(*, rule: RoutingRule, by: User, accounts: list[Account] | None = None,
                add_tags: list[Tag] | None = None, **fields: Any) -> RoutingRule:
    _require_manager(by)
    before = {key: getattr(rule, key) for key in RULE_FIELDS}
    for key in RULE_FIELDS:
        if key in fields:
            setattr(rule, key, fields[key])
    _rule_check(rule, list(accounts if accounts is not None else rule.accounts.all()),
                list(add_tags if add_tags is not None else rule.add_tags.all()))
    rule.full_clean()
    rule.save()
    if accounts is not None:
        rule.accounts.set(accounts)
    if add_tags is not None:
        rule.add_tags.set(add_tags)
    changes = {k: [str(before[k]), str(getattr(rule, k))] for k in RULE_FIELDS if before[k] != getattr(rule, k)}
    audit_record(actor=by, action="routing_rule.update", target=rule, changes=changes)
    return rule


@transaction.atomic
def rule_move(*, rule: RoutingRule, by: User, up: bool) -> None:
    """Swap the rule with its neighbour above (or below): the order is what decides."""
    _require_manager(by)
    rules = list(RoutingRule.objects.select_for_update().filter(brand_id=rule.brand_id).order_by("position", "id"))
    index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(rules):
        return
    rules[index], rules[other] = rules[other], rules[index]
    for position, item in enumerate(rules, start=1):
        item.position = position * 10
    RoutingRule.objects.bulk_update(rules, ["position"])
    audit_record(actor=by, action="routing_rule.move", target=rule, changes={"up": [None, up]})


TEMPLATE_FIELDS = ["name", "text", "is_active"]


@transaction.atomic
def template_create(*, brand: Brand, by: User | None, **fields: Any) -> ReplyTemplate:
    _require_manager(by)
    template = ReplyTemplate(brand=brand, **{k: v for k, v in fields.items() if k in TEMPLATE_FIELDS})
    template.full_clean()
    template.save()
    audit_record(actor=by, action="reply_template.create", target=template, changes={"name": [None, template.name]})
    return template


@transaction.atomic
def template_update(*, template: ReplyTemplate, by: User, **fields: Any) -> ReplyTemplate:
    _require_manager(by)
    for key in TEMPLATE_FIELDS:
        if key in fields:
            setattr(template, key, fields[key])
    template.full_clean()
    template.save()
    audit_record(actor=by, action="reply_template.update", target=template)
    return template


@transaction.atomic
def desk_set(*, department: Department, by: User | None, **fields: Any) -> DepartmentDesk:
    _require_manager(by)
    desk, _created = DepartmentDesk.objects.get_or_create(department=department)
    for key in ("normal_hours", "weibo_first_hours", "webhook_url", "webhook_secret"):
        if key in fields:
            setattr(desk, key, fields[key])
    if desk.weibo_first_hours >= desk.normal_hours:
        raise ValidationError({"weibo_first_hours": _(
            "The Weibo-first deadline must be shorter than the department's normal turnaround (%(n)d h): the fan "
            "is waiting in public.") % {"n": desk.normal_hours}})
    if desk.webhook_url and not desk.webhook_secret:
        raise ValidationError({"webhook_secret": _("A webhook needs a secret to sign its calls with.")})
    desk.full_clean()
    webhook_url_check(desk.webhook_url)
    desk.save()
    audit_record(actor=by, action="desk.update", target=desk,
                 changes={"hours": [None, [desk.normal_hours, desk.weibo_first_hours]],
                          "webhook": [None, bool(desk.webhook_url)]})
    return desk


# --- profiles and scores other apps bring ----------------------------------------------------------------

LOTTERY_DAYS = scoring.LOTTERY_DAYS  # the days of posts searched for lottery reposts, as the reasons name them


def fans_profile_upsert(*, users: dict[str, WeiboUser | None]) -> dict[str, Fan]:
    """The fans of these uids, created when new, their profiles refreshed from the user objects Weibo sent (as
    the inbox's ingest does): for people met elsewhere, e.g. a campaign's entrants."""
    return fans_upsert(users=users)


@transaction.atomic
def fans_lottery_record(*, found: dict[int, tuple[int, int]], now: datetime | None = None) -> int:
    """Record what a search of their last ``LOTTERY_DAYS`` days of posts found, ``{fan id: (lottery posts,
    brands whose draws they entered)}``, and rescore their lottery-hunter likelihood; returns how many."""
    now = now or timezone.now()
    fans = scoring.fans_locked(Fan.objects.filter(pk__in=list(found)))
    for fan in fans:
        fan.lottery_posts, fan.lottery_brands = (max(0, n) for n in found[fan.pk])
        fan.lottery_brands = min(fan.lottery_brands, 32767)
        fan.lottery_checked_at = now
        fan.hunter, reasons = scoring.hunter_score(fan)
        fan.score_reasons = {**(fan.score_reasons or {}), "hunter": reasons}
    Fan.objects.bulk_update(fans, ["lottery_posts", "lottery_brands", "lottery_checked_at", "hunter",
                                   "score_reasons"], batch_size=200)
    return len(fans)


FOLLOWER_PAGE = 200  # friendships/followers' maximum per call


def account_followers_read(*, account: Account, pages: int) -> tuple[list[WeiboUser], int, str]:
    """An account's followers as ``friendships/followers`` lists them (newest first, at most ``pages`` calls of its
    budget): the users read, the total Weibo gives, and why the reading stopped early ("" when it did not; what
    was read before a rate limit or a lost authorisation is kept)."""
    uid = account.weibo_uid or getattr(getattr(account, "weibo_connection", None), "uid", "")
    users: list[WeiboUser] = []
    total, cursor = 0, 0
    try:
        client = account_client(account=account)
        for _page in range(pages):
            page = client.followers(uid, count=FOLLOWER_PAGE, cursor=cursor)
            total = max(total, page.total_number or 0)
            users += page.items
            cursor = page.next_cursor or 0
            if not cursor or not page.items:
                break
    except WeiboError as error:
        return users, total, error.describe()[:300]
    return users, total, ""
