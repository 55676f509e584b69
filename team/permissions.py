"""Organisation-wide permissions, by role. Per-account permissions build on these in
``positioning.access``: together they are the one place where "may this person do this" is
decided, for pages and API alike."""

from __future__ import annotations

from .models import Role, User


def people_manage_allowed(user: User) -> bool:
    """Create people, change roles and departments."""
    return user.is_authenticated and user.is_org_wide


def role_grant_allowed(user: User, role: str) -> bool:
    """Only an administrator makes another administrator."""
    if not people_manage_allowed(user):
        return False
    return role != Role.ADMIN or user.is_superuser or user.role == Role.ADMIN


def person_change_allowed(user: User, person: User) -> bool:
    """Administrators (by role or as superusers) are changed by administrators only."""
    if not people_manage_allowed(user):
        return False
    if person.role == Role.ADMIN or person.is_superuser:
        return user.is_superuser or user.role == Role.ADMIN
    return True


def departments_manage_allowed(user: User) -> bool:
    return user.is_authenticated and user.is_org_wide


def audit_view_allowed(user: User) -> bool:
    return user.is_authenticated and user.is_org_wide
