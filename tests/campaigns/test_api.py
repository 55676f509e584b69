"""The campaigns REST API: the same rules as the pages, 400 with field errors from the services, idempotent
redemptions, the draw and its public verification data, the report, the schema; list query counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns import draw, services
from campaigns.models import Code, Participant, PrizeApplication, Winner
from team.models import Department

from .helpers_cc import campaign_make

pytestmark = pytest.mark.django_db
LANGUAGE = "en"
API = "/api/v1/campaigns"


@pytest.fixture
def campaign(demo):
    return campaign_make(demo)


# --- redemptions -------------------------------------------------------------------------------------

@pytest.fixture
def code(campaign):
    return Code.objects.create(campaign=campaign, channel="瓶盖", code="ABCDEFGHJK")


def test_redemption_is_idempotent_and_refusals_say_which(demo, api, code):
    client = api(demo.people["operator"])
    body = {"code": "abcde-fghjk", "redemption_id": "POS-7", "where": "静安店"}
    first = client.post(f"{API}/redemptions/", body, format="json")
    assert first.status_code == 200, first.data
    assert first.data["code"] == "ABCDEFGHJK" and first.data["redemption_id"] == "POS-7"
    again = client.post(f"{API}/redemptions/", body, format="json")
    assert (again.status_code, again.data) == (200, first.data)
    used = client.post(f"{API}/redemptions/", {**body, "redemption_id": "POS-8"}, format="json")
    assert used.status_code == 400
    assert list(used.data) == ["code"]
    assert used.data["code"][0].startswith("Code ABCDE-FGHJK was already redeemed on ")
    assert used.data["code"][0].endswith(" at 静安店.")
    unknown = client.post(f"{API}/redemptions/", {"code": "ZZZZZZZZZZ", "redemption_id": "POS-9"}, format="json")
    assert (unknown.status_code, unknown.data) == (400, {"code": [
        "No such code: ZZZZZ-ZZZZZ. Check it letter by letter (codes have no 0, O, 1, I or L)."]})
    missing = client.post(f"{API}/redemptions/", {"code": "ABCDEFGHJK"}, format="json")
    assert missing.status_code == 400 and list(missing.data) == ["redemption_id"]


def test_redemption_needs_a_caller_who_sees_the_campaign(demo, api, code):
    assert api().post(f"{API}/redemptions/", {"code": "ABCDEFGHJK", "redemption_id": "1"}).status_code == 401
    outsider = api(demo.people["logistics"]).post(f"{API}/redemptions/", {"code": "ABCDEFGHJK", "redemption_id": "1"})
    assert outsider.status_code == 400 and outsider.data["code"][0].startswith("No such code")
    assert Code.objects.get().redeemed_at is None


def test_codes_generate_export_and_import(demo, api, campaign):
    client = api(demo.people["manager"])
    made = client.post(f"{API}/campaigns/{campaign.pk}/codes/", {"channel": "海报", "count": 4}, format="json")
    assert (made.status_code, made.data) == (201, {"channel": "海报", "created": 4})
    export = client.get(f"{API}/campaigns/{campaign.pk}/codes-export/", {"channel": "海报"})
    assert export.status_code == 200
    printed = export.content.decode("utf-8-sig").splitlines()
    assert len(printed) == 5 and printed[0] == "code,channel,campaign"
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("r.csv", f"code\n{printed[1].split(',')[0]}\nNOPE\n".encode())
    imported = client.post(f"{API}/campaigns/{campaign.pk}/redemptions-import/", {"file": upload})
    assert imported.status_code == 200
    assert (imported.data["redeemed"], imported.data["refused"]) == (1, 1)
    assert [(r["line"], r["ok"]) for r in imported.data["rows"]] == [(2, True), (3, False)]
    bad = client.post(f"{API}/campaigns/{campaign.pk}/codes/", {"channel": "", "count": 0}, format="json")
    assert bad.status_code == 400 and set(bad.data) == {"channel", "count"}
    refused = api(demo.people["reviewer"]).post(f"{API}/campaigns/{campaign.pk}/codes/",
                                                {"channel": "x", "count": 1}, format="json")
    assert refused.status_code == 403  # sees the campaign (views its account), may not run it


# --- intake, campaigns, goals --------------------------------------------------------------------------

def test_anyone_registers_an_activity_and_the_weibo_team_makes_it_a_campaign(demo, api):
    contact = demo.people["logistics"]
    department = Department.objects.get(name="物流部")
    today = timezone.localdate()
    registered = api(contact).post(f"{API}/activities/", {
        "brand": demo.brand.pk, "title": "牧场开放日", "kind": "offline_event", "department": department.pk,
        "owner": contact.pk, "sponsor": "张总（副总裁）", "starts_on": str(today + timedelta(days=30)),
        "ends_on": str(today + timedelta(days=31))}, format="json")
    assert registered.status_code == 201, registered.data
    account = demo.accounts["鲜牧乳业"] if "鲜牧乳业" in demo.accounts else next(iter(demo.accounts.values()))
    start = timezone.now() + timedelta(days=30)
    manager = api(demo.people["manager"])
    created = manager.post(f"{API}/campaigns/", {
        "brand": demo.brand.pk, "activity": registered.data["id"], "title": "开放日转发抽奖", "kind": "repost_prize",
        "lead": demo.people["manager"].pk, "accounts": [account.pk], "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=3)).isoformat(), "winners_count": 3}, format="json")
    assert created.status_code == 201, created.data
    assert created.data["sponsor"] == "张总（副总裁）"
    goals = manager.post(f"{API}/campaigns/{created.data['id']}/goals/",
                         {"targets": {"second_level": 2000, "retained_7": 300}}, format="json")
    assert goals.status_code == 200
    assert sorted((g["metric"], g["target"]) for g in goals.data) == [("retained_7", 300), ("second_level", 2000)]
    backwards = manager.patch(f"{API}/campaigns/{created.data['id']}/",
                              {"ends_at": (start - timedelta(days=1)).isoformat()}, format="json")
    assert (backwards.status_code, backwards.data) == (400, {"ends_at": ["The campaign must end after it starts."]})
    contact_tries = api(contact).post(f"{API}/campaigns/", {
        "brand": demo.brand.pk, "title": "x", "kind": "repost_prize", "lead": contact.pk, "accounts": [account.pk],
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(days=1)).isoformat()}, format="json")
    assert contact_tries.status_code == 403


def test_a_campaign_outside_the_callers_accounts_is_a_404(demo, api, campaign):
    assert api(demo.people["logistics"]).get(f"{API}/campaigns/{campaign.pk}/").status_code == 404
    assert api(demo.people["logistics"]).get(f"{API}/campaigns/{campaign.pk}/report/").status_code == 404


def test_campaign_list_queries_do_not_grow(demo, api, django_assert_max_num_queries):
    for i in range(6):
        campaign_make(demo, title=f"活动{i}")
    client = api(demo.people["manager"])
    with django_assert_max_num_queries(12):
        response = client.get(f"{API}/campaigns/")
    assert response.data["count"] == 6


# --- the plan -------------------------------------------------------------------------------------------

def test_tasks_for_departments_with_state_and_cycle_refused(demo, api, campaign):
    manager = api(demo.people["manager"])
    logistics = Department.objects.get(name="物流部")
    due = (timezone.now() + timedelta(days=2)).isoformat()
    bus = manager.post(f"{API}/tasks/?campaign={campaign.pk}", {"title": "大巴", "department": logistics.pk,
                                                                "due_at": due}, format="json")
    assert bus.status_code == 201, bus.data
    venue = manager.post(f"{API}/tasks/?campaign={campaign.pk}", {"title": "场地", "department": logistics.pk,
                                                                  "due_at": due, "depends_on": [bus.data["id"]]},
                         format="json")
    cycle = manager.patch(f"{API}/tasks/{bus.data['id']}/", {"depends_on": [venue.data["id"]]}, format="json")
    assert cycle.status_code == 400 and list(cycle.data) == ["depends_on"]
    for given, message in ((None, "Say which campaign (its id)."),
                           ("abc", "A campaign is given by its id, a number.")):
        url = f"{API}/tasks/" + (f"?campaign={given}" if given else "")
        refused = manager.post(url, {"title": "x", "department": logistics.pk, "due_at": due}, format="json")
        assert (refused.status_code, refused.data) == (400, {"campaign": [message]})
    contact = api(demo.people["logistics"])
    assert {t["title"] for t in contact.get(f"{API}/tasks/").data["results"]} == {"大巴", "场地"}
    blocked = contact.post(f"{API}/tasks/{venue.data['id']}/state/", {"state": "done"}, format="json")
    assert (blocked.status_code, blocked.data) == (400, {"state": ["This task waits for: 大巴. Finish those first."]})
    done = contact.post(f"{API}/tasks/{bus.data['id']}/state/", {"state": "done"}, format="json")
    assert done.status_code == 200 and done.data["state"] == "done"
    assert api(demo.people["service"]).get(f"{API}/tasks/").data["results"] == []


def test_task_list_queries_do_not_grow(demo, api, campaign, django_assert_max_num_queries):
    logistics = Department.objects.get(name="物流部")
    tasks = [services.task_create(campaign=campaign, by=demo.people["manager"], title=f"任务{i}",
                                  department=logistics, due_at=timezone.now() + timedelta(days=i)) for i in range(6)]
    for later, earlier in zip(tasks[1:], tasks, strict=False):
        later.depends_on.add(earlier)
    client = api(demo.people["manager"])
    with django_assert_max_num_queries(8):
        response = client.get(f"{API}/tasks/", {"campaign": campaign.pk})
    assert len(response.data["results"]) == 6


# --- prizes, participants, the draw, winners ----------------------------------------------------------

def test_prize_apply_and_decide_by_another_manager(demo, api, campaign):
    campaign.prize_budget = Decimal("1000")
    campaign.save(update_fields=["prize_budget"])
    applied = api(demo.people["manager"]).post(f"{API}/prizes/", {"campaign": campaign.pk, "name": "iPhone 17",
                                                                  "quantity": 1, "unit_cost": "6999"}, format="json")
    assert applied.status_code == 201, applied.data
    assert any("generic prize" in w for w in applied.data["warnings"])
    own = api(demo.people["manager"]).post(f"{API}/prizes/{applied.data['id']}/decide/", {"approve": True},
                                          format="json")
    assert own.status_code == 403
    refused = api(demo.people["admin"]).post(f"{API}/prizes/{applied.data['id']}/decide/", {"approve": False},
                                            format="json")
    assert refused.status_code == 400 and list(refused.data) == ["note"]
    over = api(demo.people["admin"]).post(f"{API}/prizes/{applied.data['id']}/decide/", {"approve": True},
                                         format="json")
    assert over.status_code == 400 and "above the budget of 1000.00 yuan" in over.data["non_field_errors"][0]


def _people(campaign, n: int):
    at = campaign.starts_at + timedelta(hours=1)
    Participant.objects.bulk_create([Participant(campaign=campaign, uid=str(2000000 + i), screen_name=f"粉{i}",
                                                 first_entry_at=at, first_entry_id=str(i), eligible=True,
                                                 ruled_eligible=True) for i in range(n)])


def test_participants_list_filters_override_and_queries(demo, api, campaign, django_assert_max_num_queries):
    _people(campaign, 8)
    Participant.objects.filter(uid="2000003").update(eligible=False, reasons=[["hunter", {"score": "0.91",
                                                                                       "why": "x"}]])
    client = api(demo.people["manager"])
    with django_assert_max_num_queries(10):
        listed = client.get(f"{API}/participants/", {"campaign": campaign.pk, "eligible": "false"})
    assert [p["uid"] for p in listed.data["results"]] == ["2000003"]
    assert listed.data["results"][0]["reasons"] == ["looks like a lottery hunter (0.91): x"]
    by_reason = client.get(f"{API}/participants/", {"campaign": campaign.pk, "reason": "hunter"})
    assert [p["uid"] for p in by_reason.data["results"]] == ["2000003"]
    pk = listed.data["results"][0]["id"]
    no_reason = client.post(f"{API}/participants/{pk}/override/", {"eligible": True}, format="json")
    assert no_reason.status_code == 400 and list(no_reason.data) == ["reason"]
    allowed = client.post(f"{API}/participants/{pk}/override/", {"eligible": True, "reason": "老粉，误判"},
                          format="json")
    assert allowed.status_code == 200 and allowed.data["eligible"] is True
    assert api(demo.people["logistics"]).get(f"{API}/participants/").data["count"] == 0


def test_commit_draw_and_public_verification(demo, api, campaign):
    campaign.kind, campaign.winners_count, campaign.rule_follow = "repost_prize", 3, False
    campaign.save(update_fields=["kind", "winners_count", "rule_follow"])
    _people(campaign, 20)
    from campaigns.models import Entry

    Entry.objects.bulk_create([Entry(campaign=campaign, kind="repost", platform_id=str(i), status_id="1",
                                     uid=str(2000000 + i), posted_at=campaign.starts_at + timedelta(hours=1))
                               for i in range(20)])
    client = api(demo.people["manager"])
    assert api().get(f"{API}/campaigns/{campaign.pk}/verification/").status_code == 404  # nothing committed
    assert api().get(f"{API}/campaigns/x{campaign.pk}/verification/").status_code == 404  # not an id
    early = client.post(f"{API}/campaigns/{campaign.pk}/draw/")
    assert early.status_code == 400
    assert early.data == {"non_field_errors": ["Commit the seed first: its hash must be public before the draw."]}
    committed = client.post(f"{API}/campaigns/{campaign.pk}/commit/")
    assert committed.status_code == 200 and len(committed.data["seed_hash"]) == 64
    assert committed.data["revealed_seed"] == ""
    before = api().get(f"{API}/campaigns/{campaign.pk}/verification/")
    assert before.status_code == 200
    assert (before.data["seed"], before.data["participants"], before.data["winners"]) == ("", "", [])
    drawn = client.post(f"{API}/campaigns/{campaign.pk}/draw/")
    assert drawn.status_code == 200, drawn.data
    assert [w["rank"] for w in drawn.data] == [1, 2, 3]
    twice = client.post(f"{API}/campaigns/{campaign.pk}/draw/")
    assert twice.status_code == 400 and "never runs twice" in twice.data["non_field_errors"][0]
    public = api().get(f"{API}/campaigns/{campaign.pk}/verification/").data
    result = draw.verify(participants=public["participants"], seed=public["seed"], count=public["winners_count"],
                         commitment=public["seed_hash"], list_digest=public["participants_digest"],
                         published_winners=public["winners"])
    assert result.ok and result.list_matches and result.matches
    assert public["winners"] == [w["uid"] for w in drawn.data]


def test_winner_delivery_needs_tracking_when_shipped(demo, api, campaign, django_assert_max_num_queries):
    _people(campaign, 3)
    for rank, participant in enumerate(Participant.objects.all(), start=1):
        Winner.objects.create(campaign=campaign, participant=participant, rank=rank)
    client = api(demo.people["manager"])
    with django_assert_max_num_queries(8):
        listed = client.get(f"{API}/winners/", {"campaign": campaign.pk})
    assert [w["rank"] for w in listed.data["results"]] == [1, 2, 3]
    pk = listed.data["results"][0]["id"]
    untracked = client.post(f"{API}/winners/{pk}/delivery/", {"state": "shipped"}, format="json")
    assert (untracked.status_code, untracked.data) == (400, {"tracking": ["Give the tracking number of the parcel."]})
    shipped = client.post(f"{API}/winners/{pk}/delivery/", {"state": "shipped", "tracking": "SF123"}, format="json")
    assert shipped.status_code == 200 and shipped.data["delivery_state"] == "shipped"


def test_prize_list_queries(demo, api, campaign, django_assert_max_num_queries):
    for i in range(5):
        PrizeApplication.objects.create(campaign=campaign, name=f"杯子{i}", quantity=1, unit_cost=Decimal("10"),
                                        requested_by=demo.people["manager"])
    client = api(demo.people["manager"])
    with django_assert_max_num_queries(6):
        listed = client.get(f"{API}/prizes/")
    assert listed.data["count"] == 5


# --- report and schema ----------------------------------------------------------------------------------

def test_report_json_has_each_figure_with_how(demo, api, campaign):
    from campaigns.models import CampaignStats

    CampaignStats.objects.filter(campaign=campaign).update(reposts=10, second_level=4)
    services.campaign_goals_set(campaign=campaign, by=demo.people["manager"], targets={"second_level": 3})
    data = api(demo.people["manager"]).get(f"{API}/campaigns/{campaign.pk}/report/").data
    figures = {f["key"]: f for f in data["figures"]}
    assert (figures["second_level"]["value"], figures["second_level"]["target"]) == (4, 3)
    assert figures["second_level"]["how"].startswith("Reposts of a repost")


def test_the_campaigns_api_is_in_the_schema_with_examples(demo, api):
    paths = api(demo.people["manager"]).get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    for path in ("activities/", "campaigns/", "campaigns/{id}/", "campaigns/{id}/goals/", "campaigns/{id}/commit/",
                 "campaigns/{id}/draw/", "campaigns/{id}/verification/", "campaigns/{id}/report/",
                 "campaigns/{id}/codes/", "campaigns/{id}/codes-export/", "campaigns/{id}/redemptions-import/",
                 "tasks/", "tasks/{id}/", "tasks/{id}/state/", "prizes/", "prizes/{id}/decide/", "participants/",
                 "participants/{id}/override/", "winners/", "winners/{id}/delivery/", "redemptions/"):
        assert f"{API}/{path}" in paths, path
    redeem = paths[f"{API}/redemptions/"]["post"]
    request_examples = redeem["requestBody"]["content"]["application/json"]["examples"]
    assert request_examples["RedeemAtAShop"]["value"]["redemption_id"] == "POS-0042-20261207-0017"
    assert set(redeem["responses"]["400"]["content"]["application/json"]["examples"]) == {"AlreadyUsed", "Unknown"}


def test_activity_list_queries_do_not_grow(demo, api, django_assert_max_num_queries):
    department = Department.objects.get(name="市场部")
    today = timezone.localdate()
    for i in range(6):
        services.activity_register(brand=demo.brand, by=demo.people["operator"], title=f"活动{i}", kind="launch",
                                   department=department, owner=demo.people["operator"], sponsor="张总",
                                   starts_on=today, ends_on=today + timedelta(days=1))
    client = api(demo.people["manager"])
    with django_assert_max_num_queries(6):
        response = client.get(f"{API}/activities/")
    assert response.data["count"] == 6
    assert api(demo.people["logistics"]).get(f"{API}/activities/").data["count"] == 0  # not theirs
