"""Crisis incidents: opening, grading and escalation, typed checklists, one voice, closing and the report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from sentiment import alerts, incidents, selectors
from sentiment.models import (
    Cascade,
    Grade,
    Handling,
    IncidentEvent,
    IncidentState,
    IncidentTask,
    IncidentType,
    Mention,
    Repost,
    RuleGroup,
    Sentiment,
)
from team.models import Department, Notice, User

from .test_alerts import WIDTH, store

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]  # embedded: row locks

BRAND_UID = "5500000001"


@pytest.fixture(autouse=True)
def _in_english():
    """Timeline lines and checklist steps are stored in the language of the person acting: read them in
    English here (the Chinese wording is the catalogue's business)."""
    with translation.override("en"):
        yield


@pytest.fixture
def now():
    return alerts.bucket_of(timezone.now(), WIDTH) + timedelta(minutes=5)


@pytest.fixture
def group(demo):
    return RuleGroup.objects.create(brand=demo.brand, name="鲜牧牛奶", include_terms=["鲜牧"])


@pytest.fixture
def pr(demo):
    return demo.people["pr"]


@pytest.fixture
def opened(demo, pr, now):
    """An incident opened from one negative mention (blue: one person)."""
    [mention] = store(demo.brand, 1, now - timedelta(minutes=3), followers=800)
    return incidents.incident_open(brand=demo.brand, by=pr, title="鲜牧牛奶喝出异味", mention=mention)


def near(value, expected, slack=timedelta(seconds=30)):
    return expected - slack <= value <= expected + slack


def escalations(username):
    return Notice.objects.filter(recipient__username=username, dedupe_key__contains=":grade:")


def link(incident, mentions):
    incident.mentions.add(*mentions)


# --- opening ----------------------------------------------------------------------------------------------

def test_an_operator_or_agent_cannot_open_an_incident(demo, now):
    [mention] = store(demo.brand, 1, now)
    for username in ("operator", "agent", "reviewer"):
        with pytest.raises(PermissionDenied):
            incidents.incident_open(brand=demo.brand, by=demo.people[username], title="x", mention=mention)
    with pytest.raises(ValidationError):
        incidents.incident_open(brand=demo.brand, by=demo.people["pr"], title="  ", mention=mention)


def test_an_incident_from_a_spike_takes_its_mentions_and_records_the_no_deletion_policy_first(demo, group, pr, now):
    burst = store(demo.brand, 12, now - timedelta(minutes=4), groups=[group])
    store(demo.brand, 5, now - timedelta(minutes=4))  # negative, but in no group
    store(demo.brand, 5, now - timedelta(minutes=4), groups=[group], sentiment=Sentiment.POSITIVE)
    [alert] = alerts.alerts_check(brand=demo.brand, mentions=burst, now=now)
    incident = incidents.incident_open(brand=demo.brand, by=pr, title="鲜牧牛奶变质", alert=alert,
                                       summary="多名网友称牛奶变质")
    assert set(incident.mentions.values_list("pk", flat=True)) == {m.pk for m in burst}
    assert (incident.participants, incident.reach, incident.negative) == (12, 1200, 12)
    assert incident.grade == Grade.BLUE and incident.state == IncidentState.OPEN
    first, second = incident.events.all()[:2]
    assert first.kind == "policy" and first.text == "The product never deletes fans' posts or comments: negative " \
                                                    "ones are answered, never removed."
    assert second.kind == "opened" and second.actor == pr and second.data["alert"] == alert.pk
    alert.refresh_from_db()
    assert alert.incident == incident and alert.acknowledged_by == pr
    [step] = incident.tasks.all()
    assert (step.key, step.owner) == ("open:type", pr) and near(step.due_at, timezone.now() + timedelta(minutes=30))
    with pytest.raises(ValidationError):
        incidents.incident_open(brand=demo.brand, by=pr, title="又一个", alert=alert)


# --- grading and escalation ------------------------------------------------------------------------------

def test_twenty_people_make_it_yellow_with_its_steps_and_pr_told(demo, pr, opened, now):
    link(opened, store(demo.brand, 18, now, followers=100))
    assert incidents.incident_regrade(incident=opened).grade == Grade.BLUE  # 19 people
    link(opened, store(demo.brand, 1, now, followers=100))
    incident = incidents.incident_regrade(incident=opened)
    assert (incident.grade, incident.participants, incident.reach) == (Grade.YELLOW, 20, 800 + 19 * 100)
    steps = {t.key: t for t in incident.tasks.all()}
    assert set(steps) == {"open:type", "yellow:lead", "yellow:holding"}
    assert steps["yellow:lead"].owner == pr
    assert near(steps["yellow:lead"].due_at, timezone.now() + timedelta(minutes=30))
    assert near(steps["yellow:holding"].due_at, timezone.now() + timedelta(hours=1))
    assert escalations("pr").count() == 1 and not escalations("manager").exists()
    graded = IncidentEvent.objects.get(incident=incident, kind="graded")
    assert (graded.data["old"], graded.data["new"], graded.data["manual"]) == ("blue", "yellow", False)


def test_the_same_author_counts_once_and_reposters_count_too(demo, opened, now):
    same = store(demo.brand, 5, now, followers=1000)
    for mention in same:
        mention.author_uid = "u-same"
        mention.save(update_fields=["author_uid"])
    link(opened, same)
    cascade = Cascade.objects.create(brand=demo.brand, root_id=opened.mentions.first().platform_id,
                                     mention=opened.mentions.first(), watch_until=now + timedelta(hours=1))
    Repost.objects.bulk_create([Repost(cascade=cascade, platform_id=f"r{i}", uid=f"r{i}", posted_at=now,
                                       followers=10) for i in range(3)])
    incident = incidents.incident_regrade(incident=opened)
    assert (incident.participants, incident.reach) == (1 + 1 + 3, 800 + 1000 + 30)


def test_the_automatic_grade_only_rises_and_a_person_may_lower_it_with_a_reason(demo, pr, opened, now):
    link(opened, store(demo.brand, 30, now))
    assert incidents.incident_regrade(incident=opened).grade == Grade.YELLOW
    opened.mentions.clear()
    assert incidents.incident_regrade(incident=opened).grade == Grade.YELLOW  # never lowered automatically
    with pytest.raises(ValidationError):
        incidents.incident_grade_set(incident=opened, by=pr, grade=Grade.BLUE, reason=" ")
    with pytest.raises(PermissionDenied):
        incidents.incident_grade_set(incident=opened, by=demo.people["operator"], grade=Grade.BLUE, reason="误报")
    link(opened, store(demo.brand, 30, now))
    lowered = incidents.incident_grade_set(incident=opened, by=pr, grade=Grade.BLUE, reason="同一水军团队，影响有限")
    assert lowered.grade == Grade.BLUE
    assert incidents.incident_regrade(incident=opened).grade == Grade.BLUE  # the person's call stands
    link(opened, store(demo.brand, 80, now))  # 110 people: past what the figures said then
    assert incidents.incident_regrade(incident=opened).grade == Grade.ORANGE


def test_orange_tells_legal_or_the_managers_that_legal_has_no_one(demo, opened, now):
    User.objects.filter(department__name="法务部").update(is_active=False)  # the demo's legal contact has left
    link(opened, store(demo.brand, 1, now, followers=1_200_000))
    incident = incidents.incident_regrade(incident=opened)
    assert incident.grade == Grade.ORANGE
    keys = set(incident.tasks.values_list("key", flat=True))
    assert {"yellow:lead", "yellow:holding", "orange:legal", "orange:updates"} <= keys
    legal_step = incident.tasks.get(key="orange:legal")
    assert legal_step.department == Department.objects.get(name="法务部") and legal_step.owner is None
    assert escalations("pr").count() == 1
    told = Notice.objects.filter(dedupe_key=f"incident:{incident.pk}:no-legal")
    assert {n.recipient.username for n in told} == {"manager", "admin"}
    assert not escalations("manager").exists()  # senior management comes at red


def test_red_brings_senior_management_and_legal_in(demo, opened, now):
    lawyer = demo.people["legal"]  # the demo's legal contact
    link(opened, store(demo.brand, 1, now, followers=12_000_000))
    incident = incidents.incident_regrade(incident=opened)
    assert incident.grade == Grade.RED
    assert incident.tasks.get(key="orange:legal").owner == lawyer
    briefing = incident.tasks.get(key="red:briefing")
    assert briefing.owner == demo.people["manager"] and briefing.title == "Brief senior management"
    for username in ("pr", "legal", "manager", "admin"):
        assert escalations(username).count() == 1, username
    assert not Notice.objects.filter(dedupe_key__endswith="no-legal").exists()
    sent = {e.data["to"] for e in incident.events.filter(kind="escalated")}
    assert sent == {"pr", "legal", "management"}


# --- type and checklist -----------------------------------------------------------------------------------

def test_our_fault_brings_its_steps_with_owners_and_deadlines(demo, pr, opened):
    incident = incidents.incident_set_type(incident=opened, by=pr, kind=IncidentType.OUR_FAULT)
    steps = {t.key: t for t in incident.tasks.select_related("department")}
    assert set(steps) == {"open:type", "our_fault:apologise", "our_fault:cause", "our_fault:compensate",
                          "quality:third_party", "our_fault:follow_up"}
    assert steps["open:type"].done_by == pr  # typing it was that step
    assert steps["our_fault:apologise"].owner == pr
    assert near(steps["our_fault:apologise"].due_at, timezone.now() + timedelta(hours=1))
    cause = steps["our_fault:cause"]
    assert cause.department.name == "客户服务部" and cause.owner == demo.people["agent"]  # its first person
    assert near(steps["our_fault:compensate"].due_at, timezone.now() + timedelta(hours=24))
    assert Notice.objects.filter(recipient=demo.people["agent"], dedupe_key=f"incident-task:{cause.pk}").exists()


def test_a_misunderstanding_is_cold_by_default_and_retyping_drops_the_open_steps(demo, pr, opened):
    with pytest.raises(ValidationError):
        incidents.incident_set_type(incident=opened, by=pr, kind=IncidentType.ATTACK, handling=Handling.HOT)
    incident = incidents.incident_set_type(incident=opened, by=pr, kind=IncidentType.MISUNDERSTANDING)
    assert incident.handling == Handling.COLD
    private = incident.tasks.get(key="misunderstanding:private")
    assert near(private.due_at, timezone.now() + timedelta(hours=2))
    incidents.task_done(task=private, by=pr)
    incident = incidents.incident_set_type(incident=incident, by=pr, kind=IncidentType.MISUNDERSTANDING,
                                           handling=Handling.HOT)
    keys = set(incident.tasks.values_list("key", flat=True))
    assert keys == {"open:type", "misunderstanding:private", "misunderstanding:explain",
                    "quality:third_party"}  # the done step stays, the open one of cold went
    incident = incidents.incident_set_type(incident=incident, by=pr, kind=IncidentType.ATTACK)
    attack = {t.key: t for t in incident.tasks.select_related("department")}
    assert near(attack["attack:statement"].due_at, timezone.now() + timedelta(minutes=30))
    assert attack["attack:evidence"].department.name == "法务部"


def test_steps_are_ticked_by_pr_or_their_owner_and_overdue_ones_are_told_once(demo, pr, opened):
    incident = incidents.incident_set_type(incident=opened, by=pr, kind=IncidentType.OUR_FAULT)
    cause = incident.tasks.get(key="our_fault:cause")
    with pytest.raises(PermissionDenied):
        incidents.task_done(task=cause, by=demo.people["operator"])
    assert incidents.task_done(task=cause, by=demo.people["agent"]).done_by == demo.people["agent"]
    assert incidents.task_undo(task=cause, by=pr).done_at is None
    IncidentTask.objects.filter(pk=cause.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    assert incidents.tasks_overdue_tell() == 1
    assert incidents.tasks_overdue_tell() == 0
    [notice] = Notice.objects.filter(dedupe_key=f"incident-task-overdue:{cause.pk}")
    assert notice.recipient == demo.people["agent"]
    assert incident.events.filter(kind="task_overdue").count() == 1


def test_the_beat_links_new_negative_mentions_of_the_groups_and_regrades(demo, group, pr, now):
    burst = store(demo.brand, 10, now - timedelta(minutes=4), groups=[group])
    [alert] = alerts.alerts_check(brand=demo.brand, mentions=burst, now=now)
    incident = incidents.incident_open(brand=demo.brand, by=pr, title="鲜牧牛奶变质", alert=alert)
    later = store(demo.brand, 15, now + timedelta(minutes=1), groups=[group])
    store(demo.brand, 5, now + timedelta(minutes=1), groups=[group], sentiment=Sentiment.NEUTRAL)
    store(demo.brand, 5, now + timedelta(minutes=1))  # another topic
    assert incidents.incidents_regrade_open() == 1
    incident.refresh_from_db()
    assert incident.mentions.count() == 25 and incident.grade == Grade.YELLOW
    assert set(incident.mentions.values_list("pk", flat=True)) >= {m.pk for m in later}
    assert incident.events.get(kind="mentions_linked").data["count"] == 15


# --- one voice, closing, the report -----------------------------------------------------------------------

@pytest.fixture
def brand_account(demo, weibo):
    from positioning.management.commands.weibo_sandbox import connect_through_sandbox

    account = demo.accounts["鲜牧乳业"]
    connect_through_sandbox(account, uid=BRAND_UID, app_url="http://testserver")
    return account


def test_a_statement_is_drafted_fast_tracked_published_and_reported(demo, pr, opened, brand_account):
    from content import publishing

    text = "关于鲜牧牛奶异味的说明：我们已封存同批次产品送第三方检测，结果出来后及时公布 https://xianmu.example.com/s/1"
    statement = incidents.statement_draft(incident=opened, by=pr, text=text, accounts=[brand_account])
    assert statement.post.state == "in_review" and statement.post.is_original
    with pytest.raises(PermissionDenied):
        incidents.statement_fast_track(statement=statement, by=pr, reason="危机", ip="203.0.113.7")
    with pytest.raises(PermissionDenied):
        incidents.statement_draft(incident=opened, by=demo.people["operator"], text=text, accounts=[brand_account])
    manager = demo.people["manager"]
    incidents.statement_fast_track(statement=statement, by=manager, reason="危机回应不能等", ip="203.0.113.7")
    statement.post.refresh_from_db()
    assert statement.post.state == "approved" and statement.post.urgent
    [target_id] = incidents.statement_publish(statement=statement, by=manager, ip="203.0.113.7")
    publishing.target_publish(target_id=target_id)  # what the worker does
    [target] = statement.post.targets.all()
    assert target.state == "published" and target.mid and target.url.endswith(target.mid)

    detail = selectors.incident_detail(opened)
    assert [s.pk for s in detail.statements] == [statement.pk] and detail.mentions_count == 1
    assert [e.kind for e in detail.events][:2] == ["policy", "opened"]

    with pytest.raises(ValidationError):
        incidents.incident_close(incident=opened, by=pr, lessons="  ")
    incidents.incident_note(incident=opened, by=pr, text="检测报告预计周五出")
    closed = incidents.incident_close(incident=opened, by=pr, lessons="批次追溯要更快：30 分钟内锁定批次。")
    assert closed.state == IncidentState.CLOSED and closed.closed_at is not None

    report = selectors.incident_report(closed)
    assert report["lessons"] == "批次追溯要更快：30 分钟内锁定批次。"
    assert report["policy"].startswith("The product never deletes fans' posts or comments")
    [reported] = report["statements"]
    assert reported["text"] == text and reported["published"]
    assert [(a["by"], a["fast_tracked"]) for a in reported["approvals"]] == [(str(manager), True)]
    assert reported["targets"] == [{"account": "鲜牧乳业", "state": "published", "state_label": "Published",
                                    "mid": target.mid, "url": target.url,
                                    "published_at": target.published_at.isoformat()}]
    assert reported["state_label"] == "Published"
    kinds = [row["kind"] for row in report["timeline"]]
    assert kinds[:2] == ["policy", "opened"]
    for kind in ("statement_drafted", "statement_approved", "statement_published", "statement_out", "note",
                 "closed"):
        assert kind in kinds, kind
    assert report["participants"] == 1 and report["volume"][0]["negative"] == 1
    assert report["checklist_total"] == 1 and report["checklist"][0]["key"] == "open:type"
    assert report["grade_history"] == []

    reopened = incidents.incident_reopen(incident=closed, by=pr, reason="又有新投诉")
    assert reopened.state == IncidentState.OPEN and reopened.closed_at is None


def test_the_lists_show_only_what_the_person_may_see(demo, pr, opened, django_assert_max_num_queries):
    assert list(selectors.incident_list(pr)) == [opened]
    assert list(selectors.incident_list(demo.people["logistics"])) == []
    assert selectors.alert_list(demo.people["logistics"]) == []
    with django_assert_max_num_queries(8):
        detail = selectors.incident_detail(opened)
        [str(t.owner) for t in detail.tasks]
        [str(e.actor) for e in detail.events]


# --- the matter's seriousness (issue 15 §3) ----------------------------------------------------------------

def said(mentions, text):
    """The stored mentions say ``text`` instead of the helper's default."""
    Mention.objects.filter(pk__in=[m.pk for m in mentions]).update(text=text)
    return mentions


def test_a_food_safety_claim_from_two_people_is_yellow_says_why_and_tells_pr_and_legal(demo, opened, now):
    link(opened, said(store(demo.brand, 1, now, followers=50), "喝了鲜牧牛奶全家拉肚子"))
    incident = incidents.incident_regrade(incident=opened)
    assert (incident.grade, incident.participants) == (Grade.YELLOW, 2)  # 2 people, far below 20
    graded = incident.events.get(kind="graded")
    assert graded.data["inputs"] == [{"input": "matter", "matter": "food_safety", "keywords": ["拉肚子"],
                                      "kind": ""}]
    assert graded.text == "Grade Blue → Yellow, raised by serious matter: Food safety (keywords: 拉肚子)"
    assert incidents.incident_grade_inputs(incident) == graded.data["inputs"]
    assert escalations("pr").count() == 1 and escalations("legal").count() == 1  # legal from the first grade
    assert not escalations("manager").exists()
    told = {e.data["to"] for e in incident.events.filter(kind="escalated")}
    assert told == {"pr", "legal"}
    assert incident.tasks.filter(key="quality:third_party").exists()  # a quality matter: a neutral voice
    incidents.incident_regrade(incident=incident)
    assert incident.events.filter(kind="escalated", data__to="legal").count() == 1  # told once


def test_size_alone_tells_legal_only_from_orange(demo, opened, now):
    link(opened, store(demo.brand, 19, now, followers=100))
    incident = incidents.incident_regrade(incident=opened)
    assert incident.grade == Grade.YELLOW
    assert incident.events.get(kind="graded").data["inputs"] == [{"input": "people", "value": 20}]
    assert escalations("pr").count() == 1 and not escalations("legal").exists()
    assert not incident.tasks.filter(key="quality:third_party").exists()
    # A health claim joins later: the grade stays yellow, and legal is told now.
    link(incident, said(store(demo.brand, 1, now), "鲜牧奶粉婴儿喝了过敏住院"))
    incident = incidents.incident_regrade(incident=incident)
    assert incident.grade == Grade.YELLOW and escalations("legal").count() == 1


def test_praise_that_names_a_keyword_raises_nothing(demo, opened, now):
    link(opened, said(store(demo.brand, 1, now, sentiment=Sentiment.POSITIVE), "婴儿也爱喝鲜牧，吹爆"))
    assert incidents.incident_regrade(incident=opened).grade == Grade.BLUE


def test_an_attack_is_serious_by_its_type_and_legal_hears_at_once(demo, pr, opened):
    incident = incidents.incident_set_type(incident=opened, by=pr, kind=IncidentType.ATTACK)
    assert incident.grade == Grade.YELLOW
    assert incident.events.get(kind="graded").data["inputs"] == [
        {"input": "matter", "matter": "attack", "keywords": [], "kind": "attack"}]
    assert escalations("legal").count() == 1


# --- the checklist follows events (issue 15 §2) --------------------------------------------------------------

def test_statement_events_tick_their_steps(demo, pr, opened, now, brand_account):
    link(opened, store(demo.brand, 19, now))
    incident = incidents.incident_regrade(incident=opened)
    incident = incidents.incident_set_type(incident=incident, by=pr, kind=IncidentType.OUR_FAULT)
    holding, apologise = incident.tasks.get(key="yellow:holding"), incident.tasks.get(key="our_fault:apologise")
    assert holding.done_at is None and apologise.done_at is None
    text = "关于鲜牧牛奶的说明：同批次已封存送检 https://xianmu.example.com/s/2"
    statement = incidents.statement_draft(incident=incident, by=pr, text=text, accounts=[brand_account])
    holding.refresh_from_db()
    assert holding.done_at is not None and holding.done_by == pr  # 起草初步回应声明: drafted
    apologise.refresh_from_db()
    assert apologise.done_at is None  # an apology counts once it is out
    manager = demo.people["manager"]
    incidents.statement_fast_track(statement=statement, by=manager, reason="急")
    incidents.statement_publish(statement=statement, by=manager)
    apologise.refresh_from_db()
    assert apologise.done_at is not None and apologise.done_by == manager
    auto = incident.events.filter(kind="task_done", data__auto=True)
    assert sorted(e.data["key"] for e in auto) == ["open:type", "our_fault:apologise", "yellow:holding"]


def test_a_step_added_after_its_event_comes_done(demo, pr, opened, now, brand_account):
    text = "说明 https://xianmu.example.com/s/3"
    incidents.statement_draft(incident=opened, by=pr, text=text, accounts=[brand_account])  # drafted while blue
    link(opened, store(demo.brand, 19, now))
    incident = incidents.incident_regrade(incident=opened)
    assert incident.grade == Grade.YELLOW
    assert incident.tasks.get(key="yellow:holding").done_at is not None
    assert incident.tasks.get(key="yellow:lead").done_at is None


# --- the report in people's words (issue 15 §2) -----------------------------------------------------------

def test_the_report_labels_every_event_and_grade(demo, opened, now):
    link(opened, said(store(demo.brand, 1, now), "买到过期的鲜牧酸奶"))
    report = selectors.incident_report(incidents.incident_regrade(incident=opened))
    assert report["grade_label"] == "Yellow"
    assert report["grade_inputs_text"] == "serious matter: Food safety (keywords: 过期)"
    [change] = report["grade_history"]
    assert (change["from_label"], change["to_label"]) == ("Blue", "Yellow")
    labels = {row["kind"]: row["kind_label"] for row in report["timeline"]}
    assert labels["opened"] == "Opened" and labels["steps_added"] == "Steps added"
    assert labels["graded"] == "Grade" and labels["escalated"] == "Escalated"
    assert all(row["kind_label"] != row["kind"] for row in report["timeline"])
