"""What team's open-work registry (team.work) asks positioning: per-account grants, account names, the
stand-in page. Filled in by ``PositioningConfig.ready()``; team cannot import positioning."""

from __future__ import annotations

from django.urls import reverse

from team.models import User

from .access import ACTION_LABELS, Action, account_allows, people_who_may
from .models import Account, PlaybookVersion


def lacking(person: User, account_ids: list[int], action: str) -> list[int]:
    """The accounts of ``account_ids`` where ``person`` may not do ``action``."""
    accounts = Account.objects.filter(pk__in=account_ids).order_by("pk")
    return [a.pk for a in accounts if not account_allows(person, a, Action(action))]


def names(account_ids: list[int]) -> dict[int, str]:
    return dict(Account.objects.filter(pk__in=account_ids).values_list("pk", "name"))


def people_who_may_ids(account_id: int, action: str) -> list[int]:
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        return []
    return list(people_who_may(account, Action(action)).values_list("pk", flat=True))


def action_label(action: str) -> str:
    return str(ACTION_LABELS[Action(action)])


def handover_url(account_id: int) -> str:
    return reverse("positioning:handover", args=[account_id])


def playbooks(account_ids: list[int]) -> list[dict]:
    """Each account's stand-in page and the parts of its current playbook a stand-in needs first."""
    accounts = list(Account.objects.filter(pk__in=account_ids).order_by("name"))
    current: dict[int, PlaybookVersion] = {}
    for version in PlaybookVersion.objects.filter(account_id__in=account_ids).order_by("account_id", "number"):
        current[version.account_id] = version  # the highest number wins
    rows = []
    for account in accounts:
        version = current.get(account.pk)
        rows.append({"id": account.pk, "name": account.name, "url": handover_url(account.pk),
                     "version": version.number if version else None,
                     "reply_within_hours": version.reply_within_hours if version else None,
                     "resolve_within_hours": version.resolve_within_hours if version else None,
                     "interaction_rules": version.interaction_rules if version else "",
                     "escalation_rules": version.escalation_rules if version else ""})
    return rows
