from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Model
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken

from .models import SYSTEM_ACTOR, AuditEvent, Department, Notice, User


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


def audited_create(instance: Model, *, fields: list[str], by: User | None, action: str, ip: str | None = None,
                   account_id: int | None = None) -> Model:
    """Validates and stores a new row, and records it with the values of ``fields``."""
    instance.full_clean()
    instance.save()
    audit_record(actor=by, action=action, target=instance, account_id=account_id, ip=ip,
                 changes=changes_between({}, snapshot(instance, fields)))
    return instance


def audited_update(instance: Model, *, fields: list[str], values: dict[str, Any], by: User | None, action: str,
                   ip: str | None = None, account_id: int | None = None) -> Model:
    """Sets those of ``fields`` that ``values`` gives, validates, saves only what changed and
    records the change; nothing is written when nothing changed."""
    before = snapshot(instance, fields)
    for key in fields:
        if key in values:
            setattr(instance, key, values[key])
    instance.full_clean()
    changes = changes_between(before, snapshot(instance, fields))
    if changes:
        stamped = ["updated_at"] if any(f.name == "updated_at" for f in instance._meta.concrete_fields) else []
        instance.save(update_fields=[*changes, *stamped])
        audit_record(actor=by, action=action, target=instance, account_id=account_id, changes=changes, ip=ip)
    return instance


DEPARTMENT_FIELDS = ["name", "description", "contact_email", "contact_phone"]


@transaction.atomic
def department_create(*, by: User, ip: str | None = None, **fields: Any) -> Department:
    department = Department(**{k: v for k, v in fields.items() if k in DEPARTMENT_FIELDS})
    return audited_create(department, fields=DEPARTMENT_FIELDS, by=by, action="department.create", ip=ip)


@transaction.atomic
def department_update(*, department: Department, by: User, ip: str | None = None, **fields: Any) -> Department:
    return audited_update(department, fields=DEPARTMENT_FIELDS, values=fields, by=by, action="department.update",
                          ip=ip)


PERSON_FIELDS = ["display_name", "email", "phone", "department", "role", "is_active"]


@transaction.atomic
def person_create(*, by: User | None, password: str, username: str, ip: str | None = None, **fields: Any) -> User:
    person = User(username=username, **{k: v for k, v in fields.items() if k in PERSON_FIELDS})
    person.set_password(password)
    return audited_create(person, fields=PERSON_FIELDS, by=by, action="person.create", ip=ip)


@transaction.atomic
def person_update(*, person: User, by: User, ip: str | None = None, **fields: Any) -> User:
    """Everything but the username, which never changes, and the password, which its owner sets."""
    if person.pk == by.pk and fields.get("is_active") is False:
        raise ValidationError({"is_active": _("You cannot deactivate yourself.")})
    return audited_update(person, fields=PERSON_FIELDS, values=fields, by=by, action="person.update", ip=ip)


def person_language_set(*, person: User, language: str) -> User:
    """The language the tool speaks to ``person`` from now on, in every session and in the API."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of the offered languages.")})
    if person.language != language:
        person.language = language
        person.save(update_fields=["language"])
    return person


TOKEN_ID_LENGTH = 12  # hex characters of the token's hash that name it in pages and the audit log


def api_token_id(token: AuthToken) -> str:
    """A name for a token that reveals nothing of it: the start of its hash, not of the token."""
    return token.digest[:TOKEN_ID_LENGTH]


@transaction.atomic
def api_token_create(*, user: User, ip: str | None = None) -> tuple[AuthToken, str]:
    """Returns the stored token row and the token itself, which is shown once and stored only as
    a hash (django-rest-knox)."""
    instance, token = AuthToken.objects.create(user=user)
    # The person is the audit target: a token's primary key is its whole hash.
    audit_record(actor=user, action="api_token.create", target=user, ip=ip,
                 changes={"token": [None, api_token_id(instance)]})
    return instance, token


@transaction.atomic
def api_token_revoke(*, user: User, token_id: str, ip: str | None = None) -> bool:
    if len(token_id) != TOKEN_ID_LENGTH:
        return False
    tokens = list(AuthToken.objects.filter(user=user, digest__startswith=token_id))
    for token in tokens:
        audit_record(actor=user, action="api_token.revoke", target=user, ip=ip,
                     changes={"token": [api_token_id(token), None]})
        token.delete()
    return bool(tokens)


def notice_send(
    *, recipients: list[User], kind: str, title: str, body: str = "", url: str = "", account_id: int | None = None,
    dedupe_key: str, mail: bool = True,
) -> list[Notice]:
    """Tell people something once: a recipient who already has the notice ``dedupe_key`` is skipped.

    Mail goes out after the transaction commits, and only when a mail backend is configured
    (``EMAIL_NOTIFICATIONS``) and the caller does not turn it off (``mail``); the in-app notice is what counts.
    """
    notices = []
    for person in dict.fromkeys(recipients):
        if not person.is_active:
            continue
        # One row per person and event (a unique constraint): of two processes telling the same thing
        # at once, only the one that created the row mails it.
        notice, created = Notice.objects.get_or_create(
            recipient=person, dedupe_key=dedupe_key[:120],
            defaults={"kind": kind, "title": title[:200], "body": body, "url": url, "account_id": account_id},
        )
        if created:
            notices.append(notice)
    if settings.EMAIL_NOTIFICATIONS and mail:
        addresses = [n.recipient.email for n in notices if n.recipient.email]
        if addresses:
            transaction.on_commit(lambda: send_mail(title, f"{body}\n\n{url}".strip(), None, addresses,
                                                    fail_silently=True))
    return notices


def notice_mark_read(*, user: User, notice_ids: list[int] | None = None) -> int:
    """Marks the user's notices read (all unread ones when no ids are given); returns how many."""
    unread = Notice.objects.filter(recipient=user, read_at__isnull=True)
    if notice_ids is not None:
        unread = unread.filter(pk__in=notice_ids)
    return unread.update(read_at=timezone.now())
