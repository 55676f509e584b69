"""The project's own URLs: the API schema and its docs are for signed-in people only."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_get_neither_the_schema_nor_the_docs(client):
    schema = client.get("/api/v1/schema/", {"format": "json"})
    assert schema.status_code == 401 and "paths" not in schema.content.decode()
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 302 and docs["Location"] == f"{reverse('login')}?next=/api/v1/docs/"


def test_signed_in_people_get_the_schema_and_the_docs(demo, login, api):
    schema = api(demo.people["operator"]).get("/api/v1/schema/", {"format": "json"})
    assert schema.status_code == 200 and "/api/v1/team/members/" in schema.json()["paths"]
    docs = login(demo.people["operator"]).get("/api/v1/docs/")
    assert docs.status_code == 200 and "swagger-ui" in docs.content.decode()
