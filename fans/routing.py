"""Routing rules: conditions → actions, in order; the first active rule that matches an arriving
item acts on it, and no other rule does.

A rule with no condition matches every item that asks for an answer. Whether an item is a complaint is
read from its text when it arrives (``fans.text.is_complaint``), whatever rule routes it; a rule can
mark more items as complaints, never fewer. A person to assign to must be
able to reply on the item's account; a department is served round-robin among its active members
who may reply there (the rule row is locked while the next one is picked, so two workers routing at
once do not give two items to the same person out of turn). "The account's person on inbox duty" is read from the
duty roster (``team.roster.on_duty``) at arrival; whether someone was found or not is written to the audit log
against the item, which its page shows.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.db.models import F
from django.utils import timezone

from positioning.access import Action, account_allows, people_who_may
from team.handover import absent_ids
from team.models import SYSTEM_ACTOR, AuditEvent, Duty, User
from team.roster import on_duty

from .models import ANSWERABLE, Interaction, RoutingRule
from .scoring import ZOMBIE_THRESHOLD
from .text import own_words

logger = logging.getLogger(__name__)


def rule_matches(rule: RoutingRule, item: Interaction, account_ids: set[int]) -> bool:
    """``account_ids``: the rule's accounts (empty: every account). Every condition set must hold."""
    fan = item.fan
    # Keywords are read in the fan's own words: a repost's chain is other people's text, and the same words
    # must route alike whether they came as a comment or as an @ that reposts something.
    words = own_words(item.text)
    conditions = (
        item.kind in rule.kinds if rule.kinds else item.kind in ANSWERABLE,
        not account_ids or item.account_id in account_ids,
        not rule.keywords or any(word and word in words for word in rule.keywords),
        rule.min_influence is None or fan.influence >= rule.min_influence,
        rule.min_loyalty is None or fan.loyalty >= rule.min_loyalty,
        rule.zombie != "only" or fan.zombie >= ZOMBIE_THRESHOLD,
        rule.zombie != "exclude" or fan.zombie < ZOMBIE_THRESHOLD,
        not rule.is_question or item.is_question,
        rule.min_length is None or len(item.text) >= rule.min_length,
    )
    return all(conditions)


class _RoundRobin:
    """The next member of a rule's department, and the people on duty, per account, read once per routing call."""

    def __init__(self):
        self.eligible: dict[tuple[int, int], list[User]] = {}
        self._away: set[int] | None = None
        self.duty: dict[int, list[User]] = {}  # account id → people on inbox duty now, read once per account
        self.duty_events: list[AuditEvent] = []

    @property
    def away(self) -> set[int]:
        """People absent today (team.handover), read once per routing call: nothing is routed to them."""
        if self._away is None:
            self._away = absent_ids()
        return self._away

    def on_duty(self, item: Interaction, now) -> User | None:
        """The first person on inbox duty for the item's account now who may still reply there (grants can change
        after the roster was made); the outcome, either way, goes on the item's record (``duty_events``)."""
        if item.account_id not in self.duty:
            self.duty[item.account_id] = on_duty(account_id=item.account_id, duty=Duty.INBOX, at=now)
        person = next((p for p in self.duty[item.account_id]
                       if p.pk not in self.away and account_allows(p, item.account, Action.REPLY)), None)
        self.duty_events.append(AuditEvent(
            actor=None, actor_name=SYSTEM_ACTOR, object_type=item._meta.label_lower, object_id=str(item.pk),
            object_repr=str(item)[:200], account_id=item.account_id,
            action="inbox.route_duty" if person is not None else "inbox.route_duty_none",
            changes={"assignee": [None, str(person)]} if person is not None else {}))
        return person

    def pick(self, rule: RoutingRule, item: Interaction) -> User | None:
        key = (rule.pk, item.account_id)
        if key not in self.eligible:
            self.eligible[key] = list(people_who_may(item.account, Action.REPLY)
                                      .filter(department_id=rule.assign_department_id)
                                      .exclude(pk__in=self.away).order_by("pk"))
        people = self.eligible[key]
        if not people:
            return None
        after = rule.last_assigned_id or 0
        person = next((p for p in people if p.pk > after), people[0])
        rule.last_assigned_id = person.pk
        return person


def _apply(rule: RoutingRule, item: Interaction, robin: _RoundRobin, now) -> None:
    item.routed_by = rule
    if (rule.assign_to_id and rule.assign_to.is_active and rule.assign_to_id not in robin.away
            and account_allows(rule.assign_to, item.account, Action.REPLY)):
        item.assignee, item.assigned_at = rule.assign_to, now
    elif rule.assign_on_duty:
        person = robin.on_duty(item, now)
        if person is not None:
            item.assignee, item.assigned_at = person, now
    elif rule.assign_department_id:
        person = robin.pick(rule, item)
        if person is not None:
            item.assignee, item.assigned_at = person, now
        else:
            logger.info("Rule %s: nobody in department %s may reply on account %s", rule.pk,
                        rule.assign_department_id, item.account_id)
    if rule.set_priority is not None:
        item.priority = rule.set_priority
    if rule.mark_complaint:
        item.is_complaint = True


def items_route(*, items: list[Interaction]) -> None:
    """Route newly stored items (``routed_at`` empty). Call inside the transaction that stored them."""
    if not items:
        return
    by_brand: dict[int, list[Interaction]] = defaultdict(list)
    for item in items:
        by_brand[item.account.brand_id].append(item)
    now = timezone.now()
    tag_links = []
    matched: dict[int, int] = defaultdict(int)
    duty_events: list[AuditEvent] = []
    for brand_id, brand_items in by_brand.items():
        rules = list(RoutingRule.objects.select_for_update(of=("self",)).filter(brand_id=brand_id, is_active=True)
                     .select_related("assign_to").prefetch_related("accounts", "add_tags")
                     .order_by("position", "id"))
        accounts = {rule.pk: {a.pk for a in rule.accounts.all()} for rule in rules}
        robin = _RoundRobin()
        for item in brand_items:
            item.routed_at = now
            if not item.needs_answer and item.kind in ANSWERABLE:
                continue  # history arriving closed: routing it would hand old items out and skew the turns
            rule = next((r for r in rules if rule_matches(r, item, accounts[r.pk])), None)
            if rule is None:
                continue
            matched[rule.pk] += 1
            _apply(rule, item, robin, now)
            tag_links += [Interaction.tags.through(interaction_id=item.pk, tag_id=t.pk) for t in rule.add_tags.all()]
        duty_events += robin.duty_events
        for rule in rules:
            if matched.get(rule.pk):
                RoutingRule.objects.filter(pk=rule.pk).update(matched_count=F("matched_count") + matched[rule.pk],
                                                              last_assigned_id=rule.last_assigned_id)
    # Most items match no rule: one UPDATE marks them routed; only the matched ones need their own values
    # (bulk_update builds a CASE per row and field, the cost of ingest when used for every item).
    matched_items = [item for item in items if item.routed_by is not None]
    unmatched = [item.pk for item in items if item.routed_by is None]
    if unmatched:
        Interaction.objects.filter(pk__in=unmatched).update(routed_at=now)
    if matched_items:
        Interaction.objects.bulk_update(matched_items, ["routed_at", "routed_by", "assignee", "assigned_at",
                                                        "priority", "is_complaint"], batch_size=500)
    if tag_links:
        Interaction.tags.through.objects.bulk_create(tag_links, ignore_conflicts=True)
    if duty_events:
        AuditEvent.objects.bulk_create(duty_events)
