import pytest
from django.core.exceptions import ValidationError
from knox.models import AuthToken

from team import services
from team.models import AuditEvent, Department, Role, User

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]  # embedded: writes in transactions


def test_department_update_records_before_and_after(demo):
    department = Department.objects.get(name="物流部")
    services.department_update(department=department, by=demo.people["manager"], ip="192.0.2.1",
                               contact_phone="021-5550-9999", name="物流部")
    event = AuditEvent.objects.get(action="department.update")
    assert event.changes == {"contact_phone": ["021-5550-1006", "021-5550-9999"]}
    assert (event.actor, event.ip, event.object_repr) == (demo.people["manager"], "192.0.2.1", "物流部")


def test_an_update_that_changes_nothing_writes_nothing(demo):
    department = Department.objects.get(name="物流部")
    before = (AuditEvent.objects.count(), department.updated_at)
    services.department_update(department=department, by=demo.people["manager"], name="物流部")
    department.refresh_from_db()
    assert (AuditEvent.objects.count(), department.updated_at) == before


def test_invalid_values_are_refused_and_nothing_is_stored(demo):
    department = Department.objects.get(name="物流部")
    with pytest.raises(ValidationError) as error:
        services.department_update(department=department, by=demo.people["manager"], contact_email="nope")
    assert set(error.value.message_dict) == {"contact_email"}
    department.refresh_from_db()
    assert department.contact_email == "logistics@xianmu.example"
    assert not AuditEvent.objects.filter(action="department.update").exists()


def test_person_create_stores_a_hashed_password_and_records_no_secret(demo):
    person = services.person_create(by=demo.people["manager"], password="plain-secret-42", username="newbie",
                                    role=Role.CS_AGENT)
    assert person.password != "plain-secret-42"
    event = AuditEvent.objects.get(action="person.create", object_id=str(person.pk))
    assert "plain-secret-42" not in str(event.changes)
    assert event.changes["role"] == [None, "cs_agent"]


def test_nobody_deactivates_themselves(demo):
    manager = demo.people["manager"]
    with pytest.raises(ValidationError):
        services.person_update(person=manager, by=manager, is_active=False)
    assert User.objects.get(pk=manager.pk).is_active


def test_tokens_are_named_by_their_hash_and_revoked_only_by_their_owner(demo):
    operator, agent = demo.people["operator"], demo.people["agent"]
    instance, token = services.api_token_create(user=operator)
    token_id = services.api_token_id(instance)
    event = AuditEvent.objects.get(action="api_token.create")
    assert event.changes == {"token": [None, token_id]}
    assert token[:8] not in str(event.changes)  # nothing of the secret in the log
    assert services.api_token_revoke(user=agent, token_id=token_id) is False
    assert services.api_token_revoke(user=operator, token_id=token_id[:4]) is False
    assert AuthToken.objects.filter(user=operator).count() == 1
    assert services.api_token_revoke(user=operator, token_id=token_id) is True
    assert AuthToken.objects.filter(user=operator).count() == 0


def test_a_notice_is_given_and_mailed_once_per_event(demo, settings, mailoutbox, django_capture_on_commit_callbacks):
    from team.models import Notice
    from team.services import notice_send

    settings.EMAIL_NOTIFICATIONS = True
    manager = demo.people["manager"]
    manager.email = "manager@example.com"
    manager.save(update_fields=["email"])
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            notice_send(recipients=[manager, demo.people["logistics"]], kind="test", title="要处理", body="正文",
                        url="/x/", dedupe_key="event:1")
    assert Notice.objects.filter(dedupe_key="event:1").count() == 2
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["manager@example.com", demo.people["logistics"].email]
    settings.EMAIL_NOTIFICATIONS = False
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(recipients=[manager], kind="test", title="再一件", dedupe_key="event:2")
    assert len(mailoutbox) == 1  # in the app only
