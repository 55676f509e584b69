"""The handover and workload REST API: 400s with field errors, the pages' permissions, the OpenAPI schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fans.models import Interaction
from team.models import HANDOVER_CHECKLIST, Absence, Handover, HandoverState
from tests.team.test_handover import Work, everything_with, give_pr_replies, holders, work_make

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]

LANGUAGE = "en"


@pytest.fixture
def work(demo) -> Work:
    return work_make(demo)


def absence_body(demo, **extra) -> dict:
    today = timezone.localdate()
    return {"person": demo.people["operator"].pk, "kind": "leave", "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=5)).isoformat(), **extra}


def test_marking_an_absence_returns_the_proposed_handover(demo, work, api):
    give_pr_replies(demo)
    answer = api(demo.people["manager"]).post("/api/v1/team/absences/", absence_body(demo), format="json")
    assert answer.status_code == 201
    body = answer.json()
    assert (body["state"], body["from_person"], body["to_person"]) == (
        "proposed", demo.people["operator"].pk, demo.people["pr"].pk)
    assert sorted(i["kind"] for i in body["items"]) == [
        "campaigns.task", "content.post", "fans.inbox", "fans.ticket", "sentiment.step"]


def test_bad_absences_are_400_with_field_errors_and_store_nothing(demo, work, api):
    client = api(demo.people["manager"])
    today = timezone.localdate()
    answer = client.post("/api/v1/team/absences/", absence_body(demo, ends_on=(today - timedelta(days=1)).isoformat()),
                         format="json")
    assert answer.status_code == 400
    assert answer.json() == {"ends_on": ["The absence ends before it starts: give a later day."]}
    answer = client.post("/api/v1/team/absences/", absence_body(demo, person=999999, kind="holiday"), format="json")
    assert answer.status_code == 400
    assert set(answer.json()) == {"person", "kind"}
    assert not Absence.objects.exists() and not Handover.objects.exists()


def test_only_managers_write_and_people_read_their_own(demo, work, api):
    answer = api(demo.people["pr"]).post("/api/v1/team/absences/", absence_body(demo), format="json")
    assert answer.status_code == 403
    assert not Absence.objects.exists()
    handover_id = api(demo.people["manager"]).post("/api/v1/team/absences/", absence_body(demo),
                                                   format="json").json()["id"]
    assert api(demo.people["agent"]).get("/api/v1/team/absences/").json()["results"] == []
    assert api(demo.people["agent"]).get(f"/api/v1/team/handovers/{handover_id}/").status_code == 404
    mine = api(demo.people["operator"]).get("/api/v1/team/absences/").json()["results"]
    assert [a["person"] for a in mine] == [demo.people["operator"].pk]
    refused = api(demo.people["operator"]).post(f"/api/v1/team/handovers/{handover_id}/apply/",
                                                {"checklist": list(HANDOVER_CHECKLIST)}, format="json")
    assert refused.status_code == 403
    assert holders(work) == everything_with(demo.people["operator"])


def test_apply_refusals_are_400_naming_the_field(demo, work, api):
    client = api(demo.people["manager"])
    handover_id = client.post("/api/v1/team/absences/", absence_body(demo, to_person=demo.people["pr"].pk),
                              format="json").json()["id"]
    answer = client.post(f"/api/v1/team/handovers/{handover_id}/apply/", {"checklist": ["playbook"]}, format="json")
    assert answer.status_code == 400
    assert list(answer.json()) == ["checklist"]
    answer = client.post(f"/api/v1/team/handovers/{handover_id}/apply/", {"checklist": ["passwords"]}, format="json")
    assert answer.status_code == 400
    assert list(answer.json()) == ["checklist"]
    answer = client.post(f"/api/v1/team/handovers/{handover_id}/apply/", {"checklist": list(HANDOVER_CHECKLIST)},
                         format="json")
    assert answer.status_code == 400
    assert answer.json() == {"to_person": ["赵磊（公关经理） lacks the “reply” permission on the account 鲜牧客服."]}
    assert holders(work) == everything_with(demo.people["operator"])


def test_apply_then_undo_over_the_api(demo, work, api):
    give_pr_replies(demo)
    client = api(demo.people["manager"])
    handover_id = client.post("/api/v1/team/handovers/", {"person": demo.people["operator"].pk},
                              format="json").json()["id"]
    applied = client.post(f"/api/v1/team/handovers/{handover_id}/apply/", {"checklist": list(HANDOVER_CHECKLIST)},
                          format="json")
    assert applied.status_code == 200
    assert applied.json()["state"] == HandoverState.APPLIED
    assert holders(work) == everything_with(demo.people["pr"])
    undone = client.post(f"/api/v1/team/handovers/{handover_id}/undo/")
    assert undone.status_code == 200
    assert (len(undone.json()["moved_back"]), undone.json()["kept"]) == (5, [])
    assert holders(work) == everything_with(demo.people["operator"])
    again = client.post(f"/api/v1/team/handovers/{handover_id}/undo/")
    assert again.status_code == 400


def test_workload_api_counts_and_rebalances(demo, work, api):
    operator, agent = demo.people["operator"], demo.people["agent"]
    rows = {r["person"]: r for r in api(demo.people["manager"]).get("/api/v1/team/workload/").json()}
    assert rows[operator.pk]["total"] == 5
    assert rows[operator.pk]["counts"]["fans.inbox"] == {"day": 1, "days": 0, "older": 0}
    assert [r["person"] for r in api(agent).get("/api/v1/team/workload/").json()] == [agent.pk]
    bad = api(demo.people["manager"]).post("/api/v1/team/workload/", {
        "from_person": operator.pk, "kind": "fans.nothing", "to_person": agent.pk}, format="json")
    assert bad.status_code == 400
    assert list(bad.json()) == ["kind"]
    assert api(agent).post("/api/v1/team/workload/", {
        "from_person": operator.pk, "kind": "fans.inbox", "to_person": agent.pk}, format="json").status_code == 403
    moved = api(demo.people["manager"]).post("/api/v1/team/workload/", {
        "from_person": operator.pk, "kind": "fans.inbox", "to_person": agent.pk}, format="json")
    assert moved.json() == {"moved": 1}
    assert Interaction.objects.get(pk=work.item.pk).assignee == agent


def test_the_api_is_in_the_openapi_schema(demo, api):
    paths = api(demo.people["manager"]).get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    for path in ("/api/v1/team/absences/", "/api/v1/team/handovers/", "/api/v1/team/handovers/{id}/apply/",
                 "/api/v1/team/handovers/{id}/undo/", "/api/v1/team/workload/"):
        assert path in paths, path
