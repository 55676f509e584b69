from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from .models import AuditEvent, Department, Notice, User


def people_list(*, department_id: int | None = None, role: str | None = None, q: str | None = None,
                include_inactive: bool = False) -> QuerySet[User]:
    people = User.objects.select_related("department").order_by("department__name", "username")
    if not include_inactive:
        people = people.filter(is_active=True)
    if department_id:
        people = people.filter(department_id=department_id)
    if role:
        people = people.filter(role=role)
    if q:
        people = people.filter(Q(username__icontains=q) | Q(display_name__icontains=q) | Q(email__icontains=q))
    return people


def department_list() -> QuerySet[Department]:
    return Department.objects.annotate(people_count=Count("people", filter=Q(people__is_active=True)))


def audit_list(*, account_ids: list[int] | None = None, action: str | None = None,
               actor_id: int | None = None) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor")
    if account_ids is not None:
        events = events.filter(account_id__in=account_ids)
    if action:
        events = events.filter(action__startswith=action)
    if actor_id:
        events = events.filter(actor_id=actor_id)
    return events


NOTICES_SHOWN = 100  # most recent notices on the notices page


def notice_list(*, user: User) -> list[Notice]:
    return list(Notice.objects.filter(recipient=user)[:NOTICES_SHOWN])


def notice_unread_count(*, user: User) -> int:
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()
