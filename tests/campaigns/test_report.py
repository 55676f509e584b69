"""The campaign report: figures from the roll-ups (never the entries), against the goals and the brand's
earlier campaigns; the page (404 for people who may not see the campaign) and its XLSX."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from campaigns import report as report_module
from campaigns.models import (
    CampaignDay,
    CampaignKind,
    CampaignStats,
    Code,
    Entry,
    Goal,
    Harvest,
    Participant,
    PrizeApplication,
    PrizeState,
)
from campaigns.report import campaign_report, report_rows
from fans.models import Fan, Interaction, Kind, Source
from fans.selectors import campaign_consultations

from .helpers_cc import campaign_make

pytestmark = pytest.mark.django_db
LANGUAGE = "en"
_n = count(1)


@pytest.fixture(autouse=True)
def _english(english):
    yield


def _item(account, at, *, text="请问怎么参加？", kind=Kind.COMMENT, status_id="", question=True):
    n = next(_n)
    fan = Fan.objects.create(uid=f"88000{n:05d}", screen_name=f"粉丝{n}")
    return Interaction.objects.create(account=account, kind=kind, source=Source.COMMENTS_TO_ME,
                                      object_type="comment", platform_id=str(70000 + n), fan=fan, text=text,
                                      created_at=at, status_id=status_id, thread_key=f"t{n}", is_question=question)


def _participants(campaign, eligible: int, excluded: int):
    start = campaign.starts_at
    Participant.objects.bulk_create(
        [Participant(campaign=campaign, uid=str(100000 + i), first_entry_at=start, first_entry_id=str(i),
                     eligible=i < eligible, ruled_eligible=i < eligible) for i in range(eligible + excluded)])


@pytest.fixture
def campaign(demo):
    campaign = campaign_make(demo, kind=CampaignKind.REPOST_PRIZE, title="春季转发抽奖", topic="鲜牧春日",
                             budget=Decimal("1000"), prize_budget=Decimal("500"), winners_count=2)
    CampaignStats.objects.filter(campaign=campaign).update(
        reposts=12000, second_level=3400, comments=800, max_depth=6, reach=987654,
        excluded={"hunter": 30, "zombie": 12, "not_following": 40}, evaluated_at=timezone.now())
    CampaignDay.objects.create(campaign=campaign, day=date(2026, 3, 1), reposts=7000, second_level=2000, comments=500)
    CampaignDay.objects.create(campaign=campaign, day=date(2026, 3, 2), reposts=5000, second_level=1400, comments=300)
    _participants(campaign, eligible=60, excluded=70)
    Goal.objects.create(campaign=campaign, metric="second_level", target=3000)
    Goal.objects.create(campaign=campaign, metric="participants", target=200)
    Goal.objects.create(campaign=campaign, metric="consultations", target=2)
    PrizeApplication.objects.create(campaign=campaign, name="定制牛奶杯", quantity=2, unit_cost=Decimal("50"),
                                    requested_by=campaign.lead, state=PrizeState.APPROVED)
    PrizeApplication.objects.create(campaign=campaign, name="iPad", quantity=1, unit_cost=Decimal("3000"),
                                    requested_by=campaign.lead, state=PrizeState.REFUSED)
    Code.objects.bulk_create([Code(campaign=campaign, channel="瓶盖", code=f"A{i:09d}",
                                   redeemed_at=timezone.now() if i < 3 else None) for i in range(10)]
                             + [Code(campaign=campaign, channel="海报", code=f"B{i:09d}",
                                     redeemed_at=timezone.now() if i < 1 else None) for i in range(4)])
    account = campaign.accounts.get()
    Harvest.objects.create(campaign=campaign, account=account, status_id="5012345678")
    inside = campaign.starts_at + timedelta(hours=5)
    _item(account, inside, status_id="5012345678")  # a question on the campaign post: counts
    _item(account, inside, text="#鲜牧春日# 奖品什么时候发？", kind=Kind.MESSAGE, question=False)  # topic in a DM
    _item(account, inside, text="奶什么时候到？")  # a question about something else
    _item(account, inside, status_id="5012345678", question=False, text="好喝")  # not a question
    _item(account, campaign.starts_at - timedelta(days=1), status_id="5012345678")  # before the campaign
    return campaign


def test_report_reads_the_roll_ups_and_counts_against_the_goals(campaign):
    found = campaign_report(campaign=campaign)
    s = found.summary
    assert (s.reposts, s.second_level, s.comments, s.max_depth, s.reach) == (12000, 3400, 800, 6, 987654)
    assert (s.participants, s.eligible, s.redemptions, s.consultations) == (130, 60, 4, 2)
    assert s.spend == Decimal("1100.00")  # the budget and the approved prizes, not the refused iPad
    assert [(c.channel, c.codes, c.redeemed) for c in found.channels] == [("海报", 4, 1), ("瓶盖", 10, 3)]
    assert [(code, count) for code, _label, count in found.excluded] == [
        ("not_following", 40), ("hunter", 30), ("zombie", 12)]
    goals = {g.metric: (g.target, g.actual, g.met) for g in found.goals}
    assert goals == {"second_level": (3000, 3400, True), "participants": (200, 130, False),
                     "consultations": (2, 2, True)}
    assert [d.reposts for d in found.days] == [7000, 5000]


def test_consultations_selector_counts_questions_and_messages_about_the_campaign(campaign):
    account = campaign.accounts.get()
    count_ = campaign_consultations(account_ids=[account.pk], since=campaign.starts_at, until=campaign.ends_at,
                                    status_ids=["5012345678"], topic="鲜牧春日")
    assert count_ == 2
    assert campaign_consultations(account_ids=[account.pk], since=campaign.starts_at, until=campaign.ends_at,
                                  status_ids=[], topic="") == 0


def test_report_never_reads_the_entries(campaign):
    Entry.objects.bulk_create([
        Entry(campaign=campaign, kind="repost", platform_id=str(9000 + i), status_id="5012345678", uid=str(i),
              posted_at=campaign.starts_at, depth=1 + i % 3) for i in range(300)])
    with CaptureQueriesContext(connection) as queries:
        campaign_report(campaign=campaign)
    assert not [q["sql"] for q in queries.captured_queries if "campaigns_entry" in q["sql"]]


def test_earlier_campaigns_are_compared(demo, campaign):
    earlier = campaign_make(demo, title="去年秋季活动", days_ago=300)
    CampaignStats.objects.filter(campaign=earlier).update(reposts=500, second_level=90)
    later = campaign_make(demo, title="以后的活动", days_ago=1)
    found = campaign_report(campaign=campaign)
    assert [(s.campaign.title, s.second_level) for s in found.earlier] == [("去年秋季活动", 90)]
    assert later.pk not in [s.campaign.pk for s in found.earlier]


def _follow(account, fan, at, kind=Kind.FOLLOW):
    n = next(_n)
    return Interaction.objects.create(account=account, kind=kind, source=Source.PUSH, object_type="event",
                                      platform_id=f"e{n}", fan=fan, created_at=at, thread_key=f"e{n}",
                                      needs_answer=False)


def test_retention_and_cost_per_retained_fan_come_from_the_follow_events(campaign):
    """50 fans follow on the campaign's first day; 10 unfollow within 7 days, 5 more by day 30."""
    account = campaign.accounts.get()
    day_one = campaign.starts_at + timedelta(hours=2)
    fans = [Fan.objects.create(uid=f"66000{i:05d}") for i in range(50)]
    for i, fan in enumerate(fans):
        _follow(account, fan, day_one)
        if i < 10:
            _follow(account, fan, day_one + timedelta(days=3), Kind.UNFOLLOW)
        elif i < 15:
            _follow(account, fan, day_one + timedelta(days=20), Kind.UNFOLLOW)
    seven = campaign_report(campaign=campaign, now=day_one + timedelta(days=8)).summary
    assert (seven.retention.gained, seven.retention.retained_7, seven.retention.measurable_7) == (50, 40, 50)
    assert seven.retention.retained_30 is None  # nobody can be measured after 30 days yet
    assert seven.cost_per_retained == Decimal("27.50")  # 1100 yuan ÷ 40 still following after 7 days
    thirty = campaign_report(campaign=campaign, now=day_one + timedelta(days=31))
    assert (thirty.summary.retention.retained_30, thirty.summary.retention.measurable_30) == (35, 50)
    assert thirty.summary.cost_per_retained == Decimal("31.43")  # 1100 ÷ 35 after 30 days
    rows = {r.key: r for r in report_rows(thirty)}
    assert rows["retained_7"].note == "40 of 50 measurable (80%)"
    assert rows["cost"].note == "1100.00 yuan ÷ 35 fans retained after 30 days"


def test_page_shows_every_figure_with_how_it_is_computed(demo, campaign, login, django_assert_max_num_queries):
    client = login(demo.people["manager"])
    with django_assert_max_num_queries(40):
        response = client.get(f"/campaigns/{campaign.pk}/report/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Second-level reposts" in page and "3400" in page
    assert "Reposts of a repost (depth 2 or more in the repost tree)" in page
    assert "lottery hunter: 30" in page
    assert page.count("not measured yet") == 3  # no follow events: after 7 and 30 days, cost per retained fan


def test_page_is_refused_to_people_who_may_not_see_the_campaign(demo, campaign, login):
    client = login(demo.people["logistics"])
    assert client.get(f"/campaigns/{campaign.pk}/report/").status_code == 403
    assert client.get(f"/campaigns/{campaign.pk}/report.xlsx").status_code == 403


def test_a_department_contact_with_a_task_sees_the_plan_not_the_report(demo, campaign, login, api):
    from campaigns import services
    from team.models import Department

    services.task_create(campaign=campaign, by=demo.people["manager"], title="大巴", due_at=campaign.ends_at,
                         department=Department.objects.get(name="物流部"))
    contact = demo.people["logistics"]
    client = login(contact)
    assert client.get(f"/campaigns/{campaign.pk}/plan/").status_code == 200
    page = client.get(f"/campaigns/{campaign.pk}/report/")
    assert page.status_code == 403
    assert client.get(f"/campaigns/{campaign.pk}/report.xlsx").status_code == 403
    from_api = api(contact).get(f"/api/v1/campaigns/campaigns/{campaign.pk}/report/")
    assert (from_api.status_code, from_api.data) == (403, {"detail": "This part of the campaign is for the Weibo "
                                                                     "team. Your tasks are under “My tasks”."})
    assert api(contact).get("/api/v1/campaigns/participants/", {"campaign": campaign.pk}).data["count"] == 0


def test_xlsx_has_the_figures_targets_and_how(demo, campaign, login):
    response = login(demo.people["manager"]).get(f"/campaigns/{campaign.pk}/report.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == report_module.XLSX_TYPE
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Figures", "Earlier campaigns", "Exclusions", "Code channels", "Days"]
    rows = {row[0]: row for row in book["Figures"].iter_rows(min_row=2, values_only=True)}
    assert rows["Second-level reposts"][1:3] == (3400, 3000)
    assert rows["Participants"][1:3] == (130, 200)
    assert rows["Second-level reposts"][4].startswith("Reposts of a repost")
    assert list(book["Code channels"].iter_rows(min_row=2, values_only=True)) == [("海报", 4, 1), ("瓶盖", 10, 3)]


def test_evaluation_stores_the_exclusions_the_report_reads(campaign):
    from campaigns.eligibility import participants_evaluate

    Participant.objects.all().delete()
    inside = campaign.starts_at + timedelta(hours=1)
    for uid in ("301", "302", "303"):
        Entry.objects.create(campaign=campaign, kind="repost", platform_id=f"9{uid}", status_id="5012345678",
                             uid=uid, posted_at=inside, text="转发")
        Participant.objects.create(campaign=campaign, uid=uid, first_entry_at=inside, first_entry_id=f"9{uid}")
    participants_evaluate(campaign=campaign, followers={"301"}, now=campaign.ends_at)
    stats = CampaignStats.objects.get(campaign=campaign)
    assert stats.excluded == {"not_following": 2}
    assert stats.evaluated_at == campaign.ends_at
    assert [(code, n) for code, _label, n in campaign_report(campaign=campaign).excluded] == [("not_following", 2)]


def test_the_overview_and_the_report_show_the_same_goal_figures(demo, campaign, login):
    """One number, one definition: the campaign's overview shows its goals' figures so far, the report the
    same ones."""
    client = login(demo.people["manager"])
    overview = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    rows = {r.key: r for r in report_rows(campaign_report(campaign=campaign))}
    for key in ("second_level", "participants"):
        assert f"{rows[key].value} of {rows[key].target}" in overview, key
