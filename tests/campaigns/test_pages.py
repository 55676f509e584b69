"""The campaign pages: intake, campaigns, goals, plan (and a department's tasks on its desk), prizes,
participants, the draw and its public verification; who sees which button, form errors, escaping, queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from campaigns import draw as drawing
from campaigns import services
from campaigns.models import (
    Activity,
    ActivityState,
    Campaign,
    CampaignKind,
    CampaignState,
    Entry,
    Goal,
    Participant,
    PrizeApplication,
    PrizeState,
    Task,
    TaskState,
    Winner,
)
from team.models import Department

pytestmark = pytest.mark.django_db
LANGUAGE = "en"
XSS = "<script>alert(1)</script>"


def _local(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def dept(demo):
    return {d.name: d for d in Department.objects.all()}


@pytest.fixture
def campaign(demo):
    now = timezone.now()
    return services.campaign_create(
        brand=demo.brand, by=demo.people["manager"], title="牧场开放日", kind=CampaignKind.REPOST_PRIZE,
        lead=demo.people["operator"], accounts=[demo.accounts["鲜牧乳业"]], starts_at=now - timedelta(days=3),
        ends_at=now - timedelta(hours=1), prize_budget=Decimal("1000"), winners_count=2, rule_follow=False)


def _task(campaign, demo, dept, title, department, due, **more):
    return services.task_create(campaign=campaign, by=demo.people["manager"], title=title,
                                department=dept[department], due_at=due, **more)


# --- navigation ------------------------------------------------------------------------------------------

def test_the_campaigns_duty_is_enabled_in_every_menu(demo, login):
    for role in ("manager", "operator", "logistics"):
        page = login(demo.people[role]).get(reverse("reports:dashboard")).content.decode()
        landing = "campaigns:my_tasks" if role == "logistics" else "campaigns:list"  # straight to their tasks
        assert f'href="{reverse(landing)}"' in page, role


def test_a_department_contact_lands_on_their_tasks_and_is_refused_the_weibo_side(demo, login, campaign, dept):
    _task(campaign, demo, dept, "订大巴", "物流部", timezone.now() + timedelta(days=1))
    client = login(demo.people["logistics"])
    response = client.get(reverse("campaigns:list"))
    assert response.status_code == 302 and response.url == reverse("campaigns:my_tasks")
    page = client.get(reverse("campaigns:my_tasks")).content.decode()
    assert "订大巴" in page
    assert reverse("campaigns:campaign_plan", args=[campaign.pk]) not in page  # no link into campaign pages
    for name in ("campaign_participants", "campaign_draw"):
        assert client.get(reverse(f"campaigns:{name}", args=[campaign.pk])).status_code == 403
    assert client.get(reverse("campaigns:campaign_edit", args=[campaign.pk])).status_code == 403
    assert client.get(reverse("campaigns:campaign_new")).status_code == 403


# --- intake ------------------------------------------------------------------------------------------------

def test_anyone_registers_an_activity_and_the_weibo_team_turns_it_into_a_campaign(demo, login, dept):
    today = timezone.localdate()
    client = login(demo.people["logistics"])
    response = client.post(reverse("campaigns:activity_new"), {
        "title": f"冷链开放日 {XSS}", "kind": "offline_event", "department": dept["物流部"].pk,
        "owner": demo.people["logistics"].pk, "sponsor": "物流部 总监", "starts_on": today + timedelta(days=20),
        "ends_on": today + timedelta(days=21), "description": "参观冷库"})
    activity = Activity.objects.get()
    assert response.status_code == 302 and response.url == reverse("campaigns:activity", args=[activity.pk])
    assert activity.registered_by == demo.people["logistics"] and activity.state == ActivityState.NEW
    # The contact sees it, without the Weibo team's buttons.
    page = client.get(response.url).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and XSS not in page
    assert "?activity=" not in page
    assert client.post(response.url, {"reason": "no"}).status_code == 403
    # The Weibo team: the intake list, then the prefilled campaign form.
    operator = login(demo.people["operator"])
    intake = operator.get(reverse("campaigns:intake")).content.decode()
    assert reverse("campaigns:activity", args=[activity.pk]) in intake and XSS not in intake
    form = operator.get(reverse("campaigns:campaign_new") + f"?activity={activity.pk}")
    assert form.status_code == 200 and form.context["form"].initial["sponsor"] == "物流部 总监"
    response = operator.post(reverse("campaigns:campaign_new") + f"?activity={activity.pk}", {
        "title": "冷链开放日", "kind": "offline_event", "accounts": [demo.accounts["鲜牧乳业"].pk],
        "lead": demo.people["operator"].pk, "starts_at": _local(timezone.now() + timedelta(days=20)),
        "ends_at": _local(timezone.now() + timedelta(days=21)), "budget": "0", "prize_budget": "0",
        "winners_count": "0", "rule_mentions": "0"})
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == reverse("campaigns:campaign", args=[campaign.pk])
    activity.refresh_from_db()
    assert campaign.activity == activity and activity.state == ActivityState.TAKEN


def test_registering_with_dates_backwards_is_a_form_error_and_nothing_is_stored(demo, login, dept):
    today = timezone.localdate()
    response = login(demo.people["service"]).post(reverse("campaigns:activity_new"), {
        "title": "售后讲座", "kind": "offline_event", "department": dept["客户服务部"].pk,
        "owner": demo.people["service"].pk, "sponsor": "总监", "starts_on": today + timedelta(days=5),
        "ends_on": today + timedelta(days=1)})
    assert response.status_code == 400
    assert "The activity ends before it starts" in response.content.decode()
    assert not Activity.objects.exists()


def test_declining_needs_a_reason_and_is_for_the_weibo_team(demo, login, dept):
    activity = services.activity_register(
        brand=demo.brand, by=demo.people["service"], title="讲座", kind="other", department=dept["客户服务部"],
        owner=demo.people["service"], sponsor="总监", starts_on=timezone.localdate(),
        ends_on=timezone.localdate())
    client = login(demo.people["operator"])
    url = reverse("campaigns:activity", args=[activity.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    response = client.post(url, {"reason": "线下小活动，不上微博"})
    activity.refresh_from_db()
    assert response.status_code == 302 and activity.state == ActivityState.DECLINED
    assert activity.decline_reason == "线下小活动，不上微博"


# --- campaigns ------------------------------------------------------------------------------------------------

def test_the_campaign_form_offers_only_accounts_the_person_drafts_on(demo, login):
    form = login(demo.people["operator"]).get(reverse("campaigns:campaign_new")).context["form"]
    offered = {a.name for a in form.fields["accounts"].queryset}
    assert "鲜牧乳业" in offered and "鲜牧华东" not in offered
    response = login(demo.people["operator"]).post(reverse("campaigns:campaign_new"), {
        "title": "x", "kind": "repost_prize", "accounts": [demo.accounts["鲜牧华东"].pk],
        "lead": demo.people["operator"].pk, "starts_at": _local(timezone.now()),
        "ends_at": _local(timezone.now() - timedelta(days=1)), "budget": "0", "prize_budget": "0",
        "winners_count": "1", "rule_mentions": "0"})
    assert response.status_code == 400
    assert "accounts" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_campaign_edit_refuses_an_end_before_the_start_as_a_form_error(demo, login, campaign):
    client = login(demo.people["operator"])
    url = reverse("campaigns:campaign_edit", args=[campaign.pk])
    data = {**{k: v for k, v in client.get(url).context["form"].initial.items() if v is not None},
            "accounts": [demo.accounts["鲜牧乳业"].pk], "lead": demo.people["operator"].pk,
            "starts_at": _local(campaign.starts_at), "ends_at": _local(campaign.starts_at - timedelta(hours=1)),
            "rule_follow": ""}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "The campaign must end after it starts." in response.content.decode()
    # The reviewer sees the campaign's account but does not run it.
    assert login(demo.people["reviewer"]).get(url).status_code == 403


def test_the_detail_page_escapes_and_shows_goals_against_figures(demo, login, campaign):
    services.campaign_update(campaign=campaign, by=demo.people["manager"], values={"brief": XSS})
    client = login(demo.people["operator"])
    response = client.post(reverse("campaigns:campaign_goals", args=[campaign.pk]),
                           {"second_level": "500", "participants": "2", "fans_gained": ""})
    assert response.status_code == 302
    assert dict(Goal.objects.values_list("metric", "target")) == {"second_level": 500, "participants": 2}
    Participant.objects.create(campaign=campaign, uid="1001", first_entry_at=timezone.now(), first_entry_id="1")
    page = client.get(reverse("campaigns:campaign", args=[campaign.pk])).content.decode()
    assert XSS not in page and "&lt;script&gt;" in page
    assert "1 of 2" in page and "0 of 500" in page
    assert client.post(reverse("campaigns:campaign_goals", args=[campaign.pk]),
                       {"second_level": "-1"}).status_code == 400


def test_an_unrelated_person_gets_403_on_a_campaign(demo, login, campaign):
    assert login(demo.people["agent"]).get(reverse("campaigns:campaign", args=[campaign.pk])).status_code == 403


def test_the_campaign_list_runs_a_fixed_number_of_queries(demo, login, django_assert_max_num_queries):
    now = timezone.now()
    for n in range(6):
        services.campaign_create(brand=demo.brand, by=demo.people["manager"], title=f"活动{n}",
                                 kind=CampaignKind.COMMENT_PRIZE, lead=demo.people["operator"],
                                 accounts=[demo.accounts["鲜牧乳业"], demo.accounts["鲜牧酸奶"]],
                                 starts_at=now, ends_at=now + timedelta(days=1))
    client = login(demo.people["operator"])
    with django_assert_max_num_queries(14):
        page = client.get(reverse("campaigns:list")).content.decode()
    assert page.count("活动") >= 6


# --- the plan ------------------------------------------------------------------------------------------------------

def test_the_plan_puts_overdue_and_blocking_tasks_first(demo, login, campaign, dept):
    now = timezone.now()
    later = _task(campaign, demo, dept, "布置场地", "市场部", now + timedelta(days=2))
    bus = _task(campaign, demo, dept, "订大巴", "物流部", now - timedelta(hours=2))
    _task(campaign, demo, dept, "寄奖品", "客户服务部", now + timedelta(days=1), depends_on=[bus])
    response = login(demo.people["operator"]).get(reverse("campaigns:campaign_plan", args=[campaign.pk]))
    tasks = response.context["tasks"]
    assert [t.title for t in tasks] == ["订大巴", "寄奖品", "布置场地"]
    assert (tasks[0].overdue, tasks[0].blocking) == (True, True)
    assert (tasks[2].overdue, tasks[2].blocking) == (False, False) and tasks[2].pk == later.pk
    page = response.content.decode()
    assert "Overdue" in page and "Blocking others" in page
    timeline = login(demo.people["operator"]).get(reverse("campaigns:campaign_plan", args=[campaign.pk]),
                                                  {"view": "timeline"})
    assert timeline.status_code == 200 and "timeline-bar" in timeline.content.decode()


def test_a_dependency_cycle_is_a_form_error(demo, login, campaign, dept):
    now = timezone.now()
    first = _task(campaign, demo, dept, "A", "物流部", now + timedelta(days=1))
    second = _task(campaign, demo, dept, "B", "物流部", now + timedelta(days=2), depends_on=[first])
    client = login(demo.people["operator"])
    response = client.post(reverse("campaigns:task_edit", args=[first.pk]), {
        "title": "A", "department": dept["物流部"].pk, "due_at": _local(first.due_at), "depends_on": [second.pk]})
    assert response.status_code == 400
    assert "dependency cycle" in str(response.context["form"].errors["depends_on"])
    assert list(first.depends_on.all()) == []


def test_the_plan_query_count_does_not_grow_with_tasks(demo, login, campaign, dept,
                                                       django_assert_max_num_queries):
    now = timezone.now()
    previous = None
    for n in range(8):
        previous = _task(campaign, demo, dept, f"任务{n}", "物流部", now + timedelta(hours=n),
                         depends_on=[previous] if previous else [])
    client = login(demo.people["operator"])
    with django_assert_max_num_queries(22):
        client.get(reverse("campaigns:campaign_plan", args=[campaign.pk]))


def test_a_department_contact_moves_their_task_from_the_desk_block(demo, login, campaign, dept):
    task = _task(campaign, demo, dept, f"订大巴 {XSS}", "物流部", timezone.now() - timedelta(hours=1))
    client = login(demo.people["logistics"])
    desk = client.get(reverse("fans:desk")).content.decode()
    assert reverse("campaigns:my_tasks_part") in desk  # loaded with htmx
    part = client.get(reverse("campaigns:my_tasks_part"), {"next": reverse("fans:desk")}).content.decode()
    assert "&lt;script&gt;" in part and XSS not in part and "Overdue" in part
    response = client.post(reverse("campaigns:task_state", args=[task.pk]),
                           {"state": "doing", "next": reverse("fans:desk")})
    assert response.status_code == 302 and response.url == reverse("fans:desk")
    task.refresh_from_db()
    assert task.state == TaskState.DOING
    # Someone of another department may not.
    assert login(demo.people["service"]).post(reverse("campaigns:task_state", args=[task.pk]),
                                              {"state": "done"}).status_code == 403
    task.refresh_from_db()
    assert task.state == TaskState.DOING


def test_done_while_waiting_is_refused_with_the_services_words(demo, login, campaign, dept):
    bus = _task(campaign, demo, dept, "订大巴", "物流部", timezone.now() + timedelta(hours=1))
    prizes = _task(campaign, demo, dept, "寄奖品", "客户服务部", timezone.now() + timedelta(days=1),
                   depends_on=[bus])
    client = login(demo.people["service"])
    response = client.post(reverse("campaigns:task_state", args=[prizes.pk]), {"state": "done"}, follow=True)
    assert "This task waits for: 订大巴. Finish those first." in response.content.decode()
    prizes.refresh_from_db()
    assert prizes.state == TaskState.TODO


def test_my_tasks_runs_a_fixed_number_of_queries(demo, login, campaign, dept, django_assert_max_num_queries):
    for n in range(6):
        _task(campaign, demo, dept, f"任务{n}", "物流部", timezone.now() + timedelta(hours=n))
    client = login(demo.people["logistics"])
    with django_assert_max_num_queries(12):
        page = client.get(reverse("campaigns:my_tasks")).content.decode()
    assert page.count("任务") >= 6


# --- prizes ----------------------------------------------------------------------------------------------------------

def test_the_advisor_warns_before_applying_and_the_manager_approves(demo, login, campaign):
    client = login(demo.people["operator"])
    url = reverse("campaigns:campaign_prizes", args=[campaign.pk])
    first = client.post(url, {"name": "iPhone 15", "quantity": "1", "unit_cost": "5999"})
    page = first.content.decode()
    assert first.status_code == 200 and not PrizeApplication.objects.exists()
    assert "lottery hunters" in page and "Apply anyway" in page and "own products, limited editions" in page
    assert client.post(url, {"name": "iPhone 15", "quantity": "1", "unit_cost": "5999", "confirm": "1"}
                       ).status_code == 302
    prize = PrizeApplication.objects.get()
    assert [w[0] for w in prize.warnings][:2] == ["generic", "high_value"]
    page = client.get(url).content.decode()
    assert "lottery hunters" in page  # after submitting too
    assert reverse("campaigns:prize_decide", args=[prize.pk]) not in page  # the operator does not decide
    assert client.post(reverse("campaigns:prize_decide", args=[prize.pk]),
                       {"decision": "approve"}).status_code == 302
    prize.refresh_from_db()
    assert prize.state == PrizeState.PENDING
    manager = login(demo.people["manager"])
    assert reverse("campaigns:prize_decide", args=[prize.pk]) in manager.get(url).content.decode()
    # Above the prize budget: refused with the figures.
    page = manager.post(reverse("campaigns:prize_decide", args=[prize.pk]), {"decision": "approve"},
                        follow=True).content.decode()
    assert "above the budget of 1000.00 yuan" in page
    services.campaign_update(campaign=campaign, by=demo.people["manager"], values={"prize_budget": Decimal("6000")})
    manager.post(reverse("campaigns:prize_decide", args=[prize.pk]), {"decision": "approve"})
    prize.refresh_from_db()
    assert prize.state == PrizeState.APPROVED


def test_a_prize_with_a_bad_quantity_is_a_form_error(demo, login, campaign):
    response = login(demo.people["operator"]).post(reverse("campaigns:campaign_prizes", args=[campaign.pk]),
                                                   {"name": "定制杯", "quantity": "0", "unit_cost": "30"})
    assert response.status_code == 400 and "quantity" in response.context["form"].errors
    assert not PrizeApplication.objects.exists()


# --- participants and the draw --------------------------------------------------------------------------------

def _people(campaign, n: int, excluded: int = 0):
    """``n`` people who reposted the campaign post; the first ``excluded`` did so before it started (and are
    stored as a lottery hunter's verdict: the draw evaluates again from the entries)."""
    now = timezone.now() - timedelta(days=1)
    Entry.objects.bulk_create(
        Entry(campaign=campaign, kind="repost", platform_id=str(5000 + i), status_id="4999", uid=str(1000 + i),
              text="转发", posted_at=campaign.starts_at - timedelta(days=1) if i < excluded else now)
        for i in range(n))
    Participant.objects.bulk_create(
        Participant(campaign=campaign, uid=str(1000 + i), screen_name=f"粉丝{i}", first_entry_at=now,
                    first_entry_id=str(i), ruled_eligible=i >= excluded, eligible=i >= excluded,
                    reasons=[["hunter", {"score": "0.90", "why": "—"}]] if i < excluded else [])
        for i in range(n))


def test_participants_counts_by_reason_filter_and_override(demo, login, campaign,
                                                           django_assert_max_num_queries):
    _people(campaign, 30, excluded=4)
    Participant.objects.filter(uid="1005").update(screen_name=XSS)
    client = login(demo.people["operator"])
    url = reverse("campaigns:campaign_participants", args=[campaign.pk])
    with django_assert_max_num_queries(16):
        response = client.get(url)
    page = response.content.decode()
    assert "30 participants: 26 eligible, 4 excluded" in page and XSS not in page
    assert "looks like a lottery hunter (0.90)" in page
    excluded = client.get(url, {"show": "excluded", "reason": "hunter"}).context["people"]
    assert [p.uid for p in excluded] == ["1000", "1001", "1002", "1003"]
    person = Participant.objects.get(uid="1000")
    assert client.post(reverse("campaigns:participant_override", args=[person.pk]),
                       {"decision": "eligible", "reason": ""}, follow=True).status_code == 200
    person.refresh_from_db()
    assert person.eligible is False  # a reason is needed
    client.post(reverse("campaigns:participant_override", args=[person.pk]),
                {"decision": "eligible", "reason": "老粉丝，误判"})
    person.refresh_from_db()
    assert (person.eligible, person.override_by, person.override_reason) == (True, demo.people["operator"],
                                                                             "老粉丝，误判")
    assert login(demo.people["reviewer"]).post(reverse("campaigns:participant_override", args=[person.pk]),
                                               {"decision": "excluded", "reason": "x"}).status_code == 403


def test_participants_page_queries_do_not_grow_with_the_page(demo, login, campaign, django_assert_max_num_queries):
    _people(campaign, 150, excluded=50)
    client = login(demo.people["operator"])
    with django_assert_max_num_queries(16):
        response = client.get(reverse("campaigns:campaign_participants", args=[campaign.pk]))
    assert len(response.context["people"]) == 100 and response.context["next_after"]
    more = client.get(reverse("campaigns:campaign_participants", args=[campaign.pk]),
                      {"after": response.context["next_after"]})
    assert len(more.context["people"]) == 50


def test_the_draw_refuses_before_the_commitment_then_draws_and_the_public_page_verifies(demo, login, campaign,
                                                                                      client):
    _people(campaign, 12, excluded=2)
    operator = login(demo.people["operator"])
    url = reverse("campaigns:campaign_draw", args=[campaign.pk])
    refused = operator.post(url, {"action": "draw"})
    assert refused.status_code == 400
    assert "Commit the seed first: its hash must be public before the draw." in refused.content.decode()
    public = reverse("campaigns:public_draw", args=[campaign.pk])
    operator.logout()
    assert client.get(public).status_code == 404  # nothing public before the commitment
    operator = login(demo.people["operator"])
    operator.post(url, {"action": "commit"})
    campaign.refresh_from_db()
    assert len(campaign.seed_hash) == 64 and campaign.seed_hash in operator.get(url).content.decode()
    operator.logout()
    before = client.get(public).content.decode()
    assert campaign.seed_hash in before and campaign.seed not in before
    assert client.get(reverse("campaigns:public_participants", args=[campaign.pk])).status_code == 404
    operator = login(demo.people["operator"])
    assert operator.post(url, {"action": "draw"}).status_code == 302
    campaign.refresh_from_db()
    winners = list(Winner.objects.filter(campaign=campaign).values_list("participant__uid", flat=True))
    assert len(winners) == 2
    twice = operator.post(url, {"action": "draw"})
    assert twice.status_code == 400 and "a draw never runs twice" in twice.content.decode()
    operator.logout()
    # Anyone, signed out: the list is exactly the eligible uids as draw.participants_text publishes them.
    listing = client.get(reverse("campaigns:public_participants", args=[campaign.pk]))
    text = listing.content.decode()
    assert listing["Content-Type"].startswith("text/plain")
    assert text == drawing.participants_text(str(1000 + i) for i in range(2, 12))
    assert drawing.digest(text) == campaign.participants_digest
    page = client.get(public).content.decode()
    assert campaign.revealed_seed in page and campaign.participants_digest in page
    assert all(uid in page for uid in winners)
    checked = client.post(public, {"participants": text, "seed": campaign.revealed_seed})
    assert checked.status_code == 200 and checked.context["result"].ok
    assert checked.context["result"].winners == winners
    assert 'role="status" class="ok-box"' in checked.content.decode()
    tampered = client.post(public, {"participants": text + "99999\n", "seed": campaign.revealed_seed})
    assert not tampered.context["result"].ok and tampered.context["result"].list_matches is False
    assert 'role="status" class="warning"' in tampered.content.decode()
    bad = client.post(public, {"participants": f"123\n{XSS}\n", "seed": "x"})
    assert bad.status_code == 400 and XSS not in bad.content.decode()


def test_prize_delivery_is_tracked_with_a_tracking_number(demo, login, campaign):
    _people(campaign, 3)
    services.campaign_commit_seed(campaign=campaign, by=demo.people["operator"])
    services.campaign_draw(campaign=campaign, by=demo.people["operator"], followers=set())
    winner = Winner.objects.filter(campaign=campaign).first()
    client = login(demo.people["operator"])
    client.post(reverse("campaigns:winner_delivery", args=[winner.pk]), {"delivery_state": "shipped"})
    winner.refresh_from_db()
    assert winner.delivery_state == "waiting_address"  # shipped needs a tracking number
    client.post(reverse("campaigns:winner_delivery", args=[winner.pk]),
                {"delivery_state": "shipped", "tracking": "SF123"})
    winner.refresh_from_db()
    assert (winner.delivery_state, winner.tracking) == ("shipped", "SF123")


# --- the demo --------------------------------------------------------------------------------------------------------

def test_the_demo_seed_gives_intake_a_live_campaign_plan_and_a_warned_prize_and_runs_twice(demo):
    call_command("seed_demo_campaigns", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo_campaigns", stdout=open("/dev/null", "w"))  # noqa: SIM115
    activity = Activity.objects.get()
    assert activity.department.name == "市场部" and activity.state == ActivityState.NEW
    campaign = Campaign.objects.get()
    assert (campaign.kind, campaign.state) == (CampaignKind.REPOST_PRIZE, CampaignState.LIVE)
    tasks = Task.objects.filter(campaign=campaign)
    assert {t.department.name for t in tasks} == {"物流部", "客户服务部"}
    assert tasks.filter(due_at__lt=timezone.now()).count() == 1
    prize = PrizeApplication.objects.get()
    assert prize.state == PrizeState.PENDING and prize.warnings
    assert campaign.goals.count() == 3
    # Its post goes out to the sandbox soon (make run's sandbox then plays its entrants around it).
    post = campaign.featured_post
    assert post is not None and post.campaign_id == campaign.pk and "【转发抽奖】鲜牧牧场开放日" in post.text
    target = post.targets.get()
    assert target.account.name == "鲜牧乳业" and target.state == "scheduled"
    assert timezone.now() < target.scheduled_at <= timezone.now() + timedelta(seconds=90)


def test_closing_entries_early_from_the_campaign_page(demo, login, dept):
    now = timezone.now()
    campaign = services.campaign_create(
        brand=demo.brand, by=demo.people["manager"], title="提前结束", kind=CampaignKind.REPOST_PRIZE,
        lead=demo.people["operator"], accounts=[demo.accounts["鲜牧乳业"]], starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=5), winners_count=1)
    services.campaign_start(campaign=campaign, by=demo.people["manager"])
    client = login(demo.people["operator"])
    assert 'value="close_entries"' in client.get(reverse("campaigns:campaign", args=[campaign.pk])).content.decode()
    assert login(demo.people["reviewer"]).post(reverse("campaigns:campaign_state", args=[campaign.pk]),
                                               {"action": "close_entries"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.ends_at > timezone.now()  # the reviewer was refused
    client = login(demo.people["operator"])
    client.post(reverse("campaigns:campaign_state", args=[campaign.pk]), {"action": "close_entries"})
    campaign.refresh_from_db()
    assert campaign.ends_at <= timezone.now()


def test_the_rules_are_applied_from_the_participants_page_before_the_draw(demo, login, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(rule_mentions=1)
    for n, (uid, text) in enumerate([("701", "转发 @好友"), ("702", "转发")]):
        Entry.objects.create(campaign=campaign, kind="repost", platform_id=str(8800 + n), status_id="1", uid=uid,
                             text=text, posted_at=campaign.starts_at + timedelta(hours=1), mentions=text.count("@"))
        Participant.objects.create(campaign=campaign, uid=uid, first_entry_at=campaign.starts_at,
                                   first_entry_id=str(8800 + n))
    url = reverse("campaigns:campaign_participants", args=[campaign.pk])
    page = login(demo.people["operator"]).get(url).content.decode()
    assert "Not applied yet; the draw applies them." in page
    assert login(demo.people["reviewer"]).post(reverse("campaigns:participants_check", args=[campaign.pk])
                                               ).status_code == 403
    client = login(demo.people["operator"])
    response = client.post(reverse("campaigns:participants_check", args=[campaign.pk]), follow=True)
    page = response.content.decode()
    assert "Rules applied to 2 participants: 1 eligible." in page
    assert "@-ed 0 friends, the rules ask for 1" in page and "Last applied" in page
    assert set(Participant.objects.filter(campaign=campaign, eligible=True).values_list("uid", flat=True)) == {"701"}


def test_the_campaign_page_reads_its_posts_status_as_the_content_pages_do(demo, login, campaign):
    from content.models import Pillar, Post, PostState, PostTarget, TargetState

    post = Post.objects.create(brand=demo.brand, pillar=Pillar.objects.create(brand=demo.brand, name="活动"),
                               text="转发抽奖", created_by=demo.people["operator"], state=PostState.APPROVED,
                               campaign=campaign)
    PostTarget.objects.create(post=post, account=demo.accounts["鲜牧乳业"], state=TargetState.PUBLISHED,
                              published_at=timezone.now(), mid="4999", url="https://weibo.com/1/x")
    page = login(demo.people["operator"]).get(reverse("campaigns:campaign", args=[campaign.pk])).content.decode()
    assert "Published</span>" in page and "Approved</span>" not in page  # one status word, not the post's state
    assert "1 participant so far; the rules have not been applied yet." not in page  # nobody entered
    Participant.objects.create(campaign=campaign, uid="1", first_entry_at=campaign.starts_at, first_entry_id="1")
    page = login(demo.people["operator"]).get(reverse("campaigns:campaign", args=[campaign.pk])).content.decode()
    assert "1 participant so far; the rules have not been applied yet." in page
