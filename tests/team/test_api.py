import re

import pytest

from team.models import Department, Role, User

pytestmark = pytest.mark.django_db


def test_departments_read_by_all_written_by_managers(demo, api):
    assert api(demo.people["agent"]).get("/api/v1/team/departments/").data["count"] == 6
    assert api(demo.people["agent"]).post("/api/v1/team/departments/", {"name": "财务部"}).status_code == 403
    response = api(demo.people["manager"]).post("/api/v1/team/departments/", {"name": "财务部"})
    assert response.status_code == 201
    assert Department.objects.filter(name="财务部").exists()


def test_department_errors_are_field_errors(demo, api):
    response = api(demo.people["manager"]).post("/api/v1/team/departments/",
                                                {"name": "法务部", "contact_email": "nope"})
    assert response.status_code == 400
    assert set(response.data) == {"name", "contact_email"}


def test_members_filter_by_role(demo, api):
    response = api(demo.people["agent"]).get("/api/v1/team/members/", {"role": "reviewer"})
    assert [m["username"] for m in response.data["results"]] == ["reviewer"]
    assert "password" not in response.data["results"][0]


def test_creating_a_member_checks_the_password_and_the_role(demo, api):
    client = api(demo.people["manager"])
    weak = client.post("/api/v1/team/members/", {"username": "x1", "password": "123", "role": "operator"})
    assert weak.status_code == 400
    assert "password" in weak.data
    admin = client.post("/api/v1/team/members/", {"username": "x2", "password": "long-enough-pw-42", "role": "admin"})
    assert admin.status_code == 400
    assert "role" in admin.data
    ok = client.post("/api/v1/team/members/", {"username": "x3", "password": "long-enough-pw-42", "role": "pr"})
    assert ok.status_code == 201
    assert User.objects.get(username="x3").role == Role.PR


def test_managers_cannot_change_admins(demo, api):
    admin = demo.people["admin"]
    response = api(demo.people["manager"]).patch(f"/api/v1/team/members/{admin.pk}/", {"is_active": False})
    assert response.status_code == 403
    assert User.objects.get(pk=admin.pk).is_active


def test_openapi_schema_and_docs_are_served_offline(demo, client, login):
    client = login(demo.people["operator"])
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"] if schema["Content-Type"].startswith("application/vnd.oai.openapi+json") else None
    if paths is None:
        import yaml

        paths = yaml.safe_load(schema.content)["paths"]
    assert "/api/v1/positioning/accounts/{id}/playbooks/" in paths
    assert "/api/v1/team/members/" in paths
    docs = client.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    assert re.findall(r'(?:src|href)="(https?://[^"]+)"', docs) == []  # nothing loaded from another host


def test_managers_cannot_change_superusers_whatever_their_role(demo, api):
    boss = User.objects.create_user("boss", password="x-long-password-1", role=Role.OPERATOR, is_superuser=True)
    response = api(demo.people["manager"]).patch(f"/api/v1/team/members/{boss.pk}/", {"is_active": False})
    assert response.status_code == 403
    assert User.objects.get(pk=boss.pk).is_active


def test_nobody_deactivates_themselves(demo, api):
    manager = demo.people["manager"]
    response = api(manager).patch(f"/api/v1/team/members/{manager.pk}/", {"is_active": False})
    assert response.status_code == 400
    assert "is_active" in response.data
    assert User.objects.get(pk=manager.pk).is_active
