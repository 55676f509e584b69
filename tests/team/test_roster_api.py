"""/api/v1/team/shifts/, swaps/, on-duty/: the roster's checks, 400s with field errors, the pages' permissions."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from positioning import roster
from team.models import Duty, Shift, ShiftSwap, SwapState

pytestmark = pytest.mark.django_db
LANGUAGE = "en"
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2027, 1, 4, tzinfo=SHANGHAI)


def body(account, person, start_hour=9, end_hour=17, day=0, duty=Duty.INBOX, **extra):
    start = MONDAY + timedelta(days=day, hours=start_hour)
    return {"account": account.pk, "person": person.pk, "duty": duty, "starts_at": start.isoformat(),
            "ends_at": (MONDAY + timedelta(days=day, hours=end_hour)).isoformat(), **extra}


def test_a_manager_adds_shifts_repeated_weekly_and_filters_them(demo, api):
    client = api(demo.people["manager"])
    cs = demo.accounts["鲜牧客服"]
    response = client.post("/api/v1/team/shifts/", body(cs, demo.people["agent"], repeat_weeks=2), format="json")
    assert response.status_code == 201, response.data
    assert (response.data["person_detail"]["username"], response.data["duty"]) == ("agent", "inbox")
    assert Shift.objects.count() == 2
    listed = client.get("/api/v1/team/shifts/", {"account": cs.pk, "from": MONDAY.isoformat(),
                                                 "to": (MONDAY + timedelta(days=7)).isoformat()})
    assert [s["starts_at"] for s in listed.data["results"]] == ["2027-01-04T09:00:00+08:00"]
    assert client.get("/api/v1/team/shifts/", {"person": demo.people["operator"].pk}).data["count"] == 0


def test_overlap_and_missing_grant_are_400s_with_field_errors(demo, api):
    client = api(demo.people["manager"])
    cs = demo.accounts["鲜牧客服"]
    assert client.post("/api/v1/team/shifts/", body(cs, demo.people["operator"]), format="json").status_code == 201
    clash = client.post("/api/v1/team/shifts/", body(demo.accounts["鲜牧乳业"], demo.people["operator"], 16, 20),
                        format="json")
    assert clash.status_code == 400 and "person" in clash.data
    assert "already on Inbox duty for 鲜牧客服" in str(clash.data["person"][0])
    grant = client.post("/api/v1/team/shifts/", body(cs, demo.people["reviewer"], day=1), format="json")
    assert grant.status_code == 400 and "“reply” permission on 鲜牧客服" in str(grant.data["person"][0])
    backward = client.post("/api/v1/team/shifts/", body(cs, demo.people["agent"], 17, 9, day=2), format="json")
    assert backward.status_code == 400 and list(backward.data) == ["ends_at"]
    bad = client.post("/api/v1/team/shifts/", {"account": cs.pk, "duty": "sleeping"}, format="json")
    assert bad.status_code == 400 and {"person", "duty", "starts_at", "ends_at"} <= set(bad.data)
    assert Shift.objects.count() == 1


def test_people_read_the_roster_of_accounts_they_see_and_only_managers_write(demo, api):
    [shift] = roster.shift_create(account=demo.accounts["鲜牧客服"], person=demo.people["agent"], duty=Duty.INBOX,
                                  starts_at=MONDAY + timedelta(hours=9), ends_at=MONDAY + timedelta(hours=17),
                                  by=demo.people["manager"])
    agent = api(demo.people["agent"])
    assert agent.get("/api/v1/team/shifts/").data["count"] == 1
    assert agent.post("/api/v1/team/shifts/", body(demo.accounts["鲜牧客服"], demo.people["agent"], day=3),
                      format="json").status_code == 403
    assert agent.delete(f"/api/v1/team/shifts/{shift.pk}/").status_code == 403
    # The reviewer does not see 鲜牧客服: its shifts do not exist for them.
    reviewer = api(demo.people["reviewer"])
    assert reviewer.get("/api/v1/team/shifts/").data["count"] == 0
    assert reviewer.get(f"/api/v1/team/shifts/{shift.pk}/").status_code == 404
    manager = api(demo.people["manager"])
    assert manager.patch(f"/api/v1/team/shifts/{shift.pk}/", {"note": "早班"}, format="json").status_code == 200
    assert manager.delete(f"/api/v1/team/shifts/{shift.pk}/").status_code == 204
    assert not Shift.objects.exists()


def test_swap_request_approve_refuse_over_the_api(demo, api):
    [shift] = roster.shift_create(account=demo.accounts["鲜牧客服"], person=demo.people["operator"],
                                  duty=Duty.INBOX, starts_at=MONDAY + timedelta(hours=9),
                                  ends_at=MONDAY + timedelta(hours=17), by=demo.people["manager"])
    agent = api(demo.people["agent"])
    assert agent.post("/api/v1/team/swaps/", {"shift": shift.pk, "to_person": demo.people["agent"].pk},
                      format="json").status_code == 403  # not their shift
    operator = api(demo.people["operator"])
    refused = operator.post("/api/v1/team/swaps/", {"shift": shift.pk, "to_person": demo.people["reviewer"].pk},
                            format="json")
    assert refused.status_code == 400 and "to_person" in refused.data
    asked = operator.post("/api/v1/team/swaps/", {"shift": shift.pk, "to_person": demo.people["agent"].pk,
                                                  "reason": "请假"}, format="json")
    assert asked.status_code == 201 and asked.data["state"] == SwapState.REQUESTED
    swap_id = asked.data["id"]
    assert operator.post(f"/api/v1/team/swaps/{swap_id}/approve/").status_code == 403
    approved = api(demo.people["manager"]).post(f"/api/v1/team/swaps/{swap_id}/approve/")
    assert approved.status_code == 200 and approved.data["state"] == SwapState.APPROVED
    again = api(demo.people["manager"]).post(f"/api/v1/team/swaps/{swap_id}/refuse/")
    assert again.status_code == 400 and "state" in again.data
    shift.refresh_from_db()
    assert shift.person == demo.people["agent"] and ShiftSwap.objects.get().state == SwapState.APPROVED


def test_on_duty_endpoint(demo, api):
    cs = demo.accounts["鲜牧客服"]
    roster.shift_create(account=cs, person=demo.people["agent"], duty=Duty.INBOX,
                        starts_at=MONDAY + timedelta(hours=9), ends_at=MONDAY + timedelta(hours=17),
                        by=demo.people["manager"])
    client = api(demo.people["agent"])
    at = (MONDAY + timedelta(hours=9)).isoformat()
    found = client.get("/api/v1/team/on-duty/", {"account": cs.pk, "duty": "inbox", "at": at})
    assert found.status_code == 200 and [p["username"] for p in found.data["people"]] == ["agent"]
    end = (MONDAY + timedelta(hours=17)).isoformat()
    assert client.get("/api/v1/team/on-duty/", {"account": cs.pk, "duty": "inbox", "at": end}).data["people"] == []
    bad = client.get("/api/v1/team/on-duty/", {"duty": "nap"})
    assert bad.status_code == 400 and set(bad.data) == {"account", "duty"}
    hidden = api(demo.people["reviewer"]).get("/api/v1/team/on-duty/", {"account": cs.pk, "duty": "inbox"})
    assert hidden.status_code == 400 and "account" in hidden.data


def test_the_roster_endpoints_are_in_the_schema(demo, api):
    schema = api(demo.people["manager"]).get("/api/v1/schema/", {"format": "json"}).json()
    assert {"/api/v1/team/shifts/", "/api/v1/team/swaps/{id}/approve/", "/api/v1/team/on-duty/"} <= set(
        schema["paths"])
