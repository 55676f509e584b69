"""The open-work registry: what a person holds that someone must do, whichever duty app keeps it.

team sits below the duty apps and may not import them, so each app describes its own open work here,
explicitly, in its ``AppConfig.ready()`` (``work_source_register``), and positioning tells team how to
check a per-account grant (``access_register``). Handover (``team.handover``) and the workload page read
and move work only through this module.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from django.db.models import Q
from django.utils import timezone

if TYPE_CHECKING:
    from .models import User


@dataclass(frozen=True)
class WorkItem:
    """One open item a person holds.

    ``accounts`` are the matrix accounts the item acts on and ``grant`` the per-account action
    (``positioning.access.Action`` value: "draft", "reply"...) its holder needs on every one of them; an
    empty ``grant`` means the item needs none (a campaign or incident step). ``marker`` changes whenever the
    item is touched (edited, answered, closed, reassigned): an item is untouched while it stays the same.
    """

    kind: str
    object_id: int
    holder_id: int
    title: str
    url: str
    accounts: tuple[int, ...]
    grant: str
    opened_at: datetime
    marker: str

    @property
    def account_id(self) -> int | None:
        return self.accounts[0] if self.accounts else None


class WorkSource(Protocol):
    kind: str  # a stable key: "content.post", "fans.inbox"...
    label: str  # what people call these items, translatable (a lazy string)

    def open_items(self, *, people_ids: list[int] | None) -> list[WorkItem]:
        """The open items held by ``people_ids`` (everyone's when ``None``), in a fixed number of queries."""

    def current(self, *, object_ids: list[int]) -> dict[int, WorkItem]:
        """The items of ``object_ids`` that are still open, as they are now (holder and marker)."""

    def reassign(self, *, object_ids: list[int], to: User, by: User | None) -> dict[int, str]:
        """Gives the items to ``to``; returns each moved item's new marker. Called inside a transaction."""


_SOURCES: dict[str, WorkSource] = {}


def work_source_register(source: WorkSource) -> None:
    """Called by a duty app's ``ready()``; registering the same kind again replaces it (autoreload)."""
    _SOURCES[source.kind] = source


def work_sources() -> list[WorkSource]:
    return list(_SOURCES.values())


def work_source(kind: str) -> WorkSource | None:
    return _SOURCES.get(kind)


@dataclass
class Access:
    """How team asks positioning about per-account grants (filled in by positioning's ``ready()``)."""

    # (person, account ids, action) -> the ids of those accounts where the person may NOT do it
    lacking: Callable[[User, list[int], str], list[int]] = lambda person, account_ids, action: []
    # account ids -> {id: name}
    names: Callable[[list[int]], dict[int, str]] = lambda account_ids: {}
    # (account id, action) -> ids of the active people who may do it there
    people_who_may: Callable[[int, str], list[int]] = lambda account_id, action: []
    # action -> its label in words
    action_label: Callable[[str], str] = str
    # account id -> the URL of the account's stand-in handover page (playbook, contacts)
    handover_url: Callable[[int], str] = lambda account_id: ""
    # account ids -> [{"id", "name", "url" (stand-in page), "version", "reply_within_hours", "resolve_within_hours",
    #                  "escalation_rules", "interaction_rules"}]: the playbook summary a reviewer reads
    playbooks: Callable[[list[int]], list[dict]] = lambda account_ids: []


access = Access()


def access_register(**functions: Callable) -> None:
    for name, function in functions.items():
        setattr(access, name, function)


class HeldRows(ABC):
    """A source whose items are rows of one model, each held through one foreign key (``holder``: "owner",
    "assignee"). Subclasses say which rows are open and how they read (``_items``); reading by holder or by id
    and reassigning are the same for all: the rows locked, each move in the audit log (``audit_action``), the
    holder set and the row touched (``_touch``), the new markers read back."""

    kind: str
    label: str
    model: type
    holder: str
    audit_action: str
    related: tuple[str, ...] = ()  # select_related for ``_account_id``

    @abstractmethod
    def _items(self, rows: Q) -> list[WorkItem]:
        """The open items among ``rows``, as the source reads them (title, link, grant, marker)."""

    def _account_id(self, row) -> int | None:
        return None

    def _touch(self, now: datetime) -> dict:
        return {"updated_at": now}

    def _record(self, rows: list, to: User, by: User | None) -> None:
        from .services import audit_record

        for row in rows:
            audit_record(actor=by, action=self.audit_action, target=row, account_id=self._account_id(row),
                         changes={self.holder: [str(getattr(row, self.holder) or ""), str(to)]})

    def open_items(self, *, people_ids: list[int] | None) -> list[WorkItem]:
        return self._items(Q() if people_ids is None else Q(**{f"{self.holder}_id__in": people_ids}))

    def current(self, *, object_ids: list[int]) -> dict[int, WorkItem]:
        return {i.object_id: i for i in self._items(Q(pk__in=object_ids))}

    def reassign(self, *, object_ids: list[int], to: User, by: User | None) -> dict[int, str]:
        rows = list(self.model.objects.select_for_update(of=("self",)).filter(pk__in=object_ids)
                    .select_related(self.holder, *self.related))
        self._record(rows, to, by)
        self.model.objects.filter(pk__in=object_ids).update(**{self.holder: to}, **self._touch(timezone.now()))
        return {i.object_id: i.marker for i in self._items(Q(pk__in=object_ids))}
