"""Reads that only the dashboards need, built on the other apps' selectors."""

from __future__ import annotations

from fans.selectors import desk_tickets
from team.models import Role, User


def desk_open_count(*, user: User) -> int | None:
    """Open complaints on the person's department desk (every desk for managers), or None when the
    person has no desk to look at (one query at most)."""
    if not (user.is_org_wide or user.department_id or user.role == Role.DEPT_CONTACT):
        return None
    return desk_tickets(user=user).count()
