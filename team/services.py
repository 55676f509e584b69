from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.forms.models import model_to_dict
from knox.models import AuthToken

from .models import SYSTEM_ACTOR, AuditEvent, Department, User


def _jsonable(value: Any) -> Any:
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool, dict)) or value is None:
        return value
    return str(value)


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value differs."""
    return {
        key: [_jsonable(before.get(key)), _jsonable(after.get(key))]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def snapshot(instance: Model, fields: list[str]) -> dict[str, Any]:
    return model_to_dict(instance, fields=fields)


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: Model,
    account_id: int | None = None,
    changes: dict | None = None,
    ip: str | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=(actor.get_username() if actor is not None else SYSTEM_ACTOR)[:150],
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        object_repr=str(target)[:200],
        account_id=account_id,
        changes=changes or {},
        ip=ip,
    )


DEPARTMENT_FIELDS = ["name", "description", "contact_email", "contact_phone"]


@transaction.atomic
def department_create(*, by: User, ip: str | None = None, **fields: Any) -> Department:
    department = Department(**{k: v for k, v in fields.items() if k in DEPARTMENT_FIELDS})
    department.full_clean()
    department.save()
    audit_record(
        actor=by, action="department.create", target=department,
        changes=changes_between({}, snapshot(department, DEPARTMENT_FIELDS)), ip=ip,
    )
    return department


@transaction.atomic
def department_update(*, department: Department, by: User, ip: str | None = None, **fields: Any) -> Department:
    before = snapshot(department, DEPARTMENT_FIELDS)
    for key, value in fields.items():
        if key in DEPARTMENT_FIELDS:
            setattr(department, key, value)
    department.full_clean()
    changes = changes_between(before, snapshot(department, DEPARTMENT_FIELDS))
    if changes:
        department.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=by, action="department.update", target=department, changes=changes, ip=ip)
    return department


PERSON_FIELDS = ["username", "display_name", "email", "phone", "department", "role", "is_active"]


@transaction.atomic
def person_create(*, by: User, password: str, ip: str | None = None, **fields: Any) -> User:
    person = User(**{k: v for k, v in fields.items() if k in PERSON_FIELDS})
    person.set_password(password)
    person.full_clean()
    person.save()
    audit_record(
        actor=by, action="person.create", target=person,
        changes=changes_between({}, snapshot(person, [f for f in PERSON_FIELDS if f != "username"])), ip=ip,
    )
    return person


@transaction.atomic
def person_update(*, person: User, by: User, ip: str | None = None, **fields: Any) -> User:
    tracked = [f for f in PERSON_FIELDS if f != "username"]
    before = snapshot(person, tracked)
    for key, value in fields.items():
        if key in tracked:
            setattr(person, key, value)
    person.full_clean()
    changes = changes_between(before, snapshot(person, tracked))
    if changes:
        person.save(update_fields=list(changes))
        audit_record(actor=by, action="person.update", target=person, changes=changes, ip=ip)
    return person


def api_token_create(*, user: User, ip: str | None = None) -> tuple[AuthToken, str]:
    """Returns the stored token row and the token itself, which is shown once and stored only as
    a hash (django-rest-knox)."""
    instance, token = AuthToken.objects.create(user=user)
    # The person is the audit target: a token's primary key is its hash, which the log needs not.
    audit_record(actor=user, action="api_token.create", target=user, ip=ip,
                 changes={"token": [None, f"{instance.token_key}…"]})
    return instance, token


def api_token_revoke(*, user: User, token_key: str, ip: str | None = None) -> bool:
    tokens = list(AuthToken.objects.filter(user=user, token_key=token_key))
    for token in tokens:
        audit_record(actor=user, action="api_token.revoke", target=user, ip=ip,
                     changes={"token": [f"{token.token_key}…", None]})
        token.delete()
    return bool(tokens)
