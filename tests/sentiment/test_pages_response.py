"""The response pages: alerts, incidents (the whole flow through the pages: open from an alert, type it, tick a
step, draft a statement, fast-track it, the report), cascades with their tree and signals; permissions,
constant query counts and escaping."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from sentiment import incidents as incident_services
from sentiment.models import (
    Alert,
    AlertKind,
    Cascade,
    Incident,
    IncidentTask,
    IncidentType,
    Mention,
    MentionSource,
    Repost,
    Sentiment,
    Statement,
)

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HTMX = {"HTTP_HX_REQUEST": "true", **EN}
XSS = "<script>alert(1)</script>"
LINK = " https://xianmu.example.com/notice"  # statuses/share needs a link on the safe domain
_ids = itertools.count(1)

LANGUAGE = "en"  # the people these tests sign in have chosen English: the tests read its words


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def make_mention(brand, text="鲜牧的牛奶喝坏了肚子", *, followers=100, minutes_ago=5, **fields) -> Mention:
    n = next(_ids)
    fields.setdefault("sentiment", Sentiment.NEGATIVE)
    return Mention.objects.create(
        brand=brand, source=MentionSource.SEARCH, platform_id=str(4_900_000_000 + n), text=text,
        text_key=f"k{n:039d}", author_uid=str(1_000_000 + n), author_name=f"用户{n}", author_followers=followers,
        posted_at=timezone.now() - timedelta(minutes=minutes_ago), url=f"https://weibo.com/{n}/{n}", **fields)


def make_alert(brand, *, kind=AlertKind.SPIKE, title="鲜牧乳业 负面激增", **fields) -> Alert:
    n = next(_ids)
    now = timezone.now()
    defaults = {"count": 30, "baseline": 4.0, "bucket_start": now - timedelta(minutes=10),
                "evidence": {"bucket_minutes": 10, "total": 30, "samples": []}}
    return Alert.objects.create(brand=brand, kind=kind, title=title, dedupe_key=f"test:{n}", **(defaults | fields))


def get(client, name, *args, **params):
    return client.get(reverse(f"sentiment:{name}", args=args), params, **EN)


def post(client, name, *args, headers=EN, **data):
    return client.post(reverse(f"sentiment:{name}", args=args), data, **headers)


# --- permissions ---------------------------------------------------------------------------------------------

def test_pages_render_for_pr_and_manager(demo, login):
    alert = make_alert(demo.brand)
    incident = incident_services.incident_open(brand=demo.brand, by=demo.people["pr"], title="断货投诉", alert=alert)
    cascade = Cascade.objects.create(brand=demo.brand, root_id="R1", root_author="鲜牧乳业", root_text="新品",
                                     watch_until=timezone.now() + timedelta(hours=1))
    for person in ("pr", "manager"):
        client = login(demo.people[person])
        for name, args in [("alerts", ()), ("alert", (alert.pk,)), ("incidents", ()), ("incident_open", ()),
                           ("incident", (incident.pk,)), ("incident_report", (incident.pk,)),
                           ("statement_new", (incident.pk,)), ("cascades", ()), ("cascade", (cascade.pk,))]:
            response = get(client, name, *args)
            assert response.status_code == 200, (person, name, response.status_code)
    page = get(login(demo.people["pr"]), "incident", incident.pk).content.decode()
    assert "We never delete fans' posts or comments." in page


def test_an_outsider_gets_403_everywhere(demo, login):
    alert = make_alert(demo.brand)
    incident = incident_services.incident_open(brand=demo.brand, by=demo.people["pr"], title="断货投诉", alert=alert)
    cascade = Cascade.objects.create(brand=demo.brand, root_id="R1", watch_until=timezone.now() + timedelta(hours=1))
    task = incident.tasks.first()
    outsider = login(demo.people["logistics"])  # a department contact with no account of the brand
    for name, args in [("alerts", ()), ("alert", (alert.pk,)), ("incidents", ()), ("incident", (incident.pk,)),
                       ("incident_report", (incident.pk,)), ("cascades", ()), ("cascade", (cascade.pk,)),
                       ("incident_open", ())]:
        assert get(outsider, name, *args).status_code == 403, name
    assert post(outsider, "incident_task_toggle", task.pk).status_code == 403
    assert post(outsider, "alert_acknowledge", alert.pk).status_code == 403


def test_an_operator_looks_but_may_not_change_an_incident(demo, login):
    alert = make_alert(demo.brand)
    incident = incident_services.incident_open(brand=demo.brand, by=demo.people["pr"], title="断货投诉", alert=alert)
    statement_task = incident.tasks.get(key="open:type")
    operator = login(demo.people["operator"])
    page = get(operator, "incident", incident.pk)
    assert page.status_code == 200
    assert "Save the type" not in page.content.decode() and "Mark done" not in page.content.decode()
    forms = [("incident_type", {"kind": IncidentType.OUR_FAULT}), ("incident_grade", {"grade": "red", "reason": "x"}),
             ("incident_note", {"text": "x"}), ("incident_close", {"lessons": "x"}), ("incident_reopen", {}),
             ("statement_new", {"text": "声明", "accounts": [demo.accounts["鲜牧乳业"].pk]})]
    for name, data in forms:
        assert post(operator, name, incident.pk, **data).status_code == 403, name
    assert post(operator, "incident_task_toggle", statement_task.pk).status_code == 403
    assert post(operator, "alert_acknowledge", alert.pk).status_code == 403
    assert get(operator, "incident_open", alert=alert.pk).status_code == 403
    incident.refresh_from_db()
    assert incident.kind == IncidentType.UNKNOWN and incident.state == "open"
    assert not Statement.objects.exists() and not IncidentTask.objects.filter(done_at__isnull=False).exists()
    assert Alert.objects.get(pk=alert.pk).acknowledged_at is not None  # opening the incident acknowledged it


# --- the whole flow ------------------------------------------------------------------------------------------

def test_the_flow_from_an_alert_to_an_approved_statement_and_the_report(demo, login):
    mention = make_mention(demo.brand, "喝了鲜牧酸奶全家拉肚子", followers=5000)
    alert = make_alert(demo.brand, kind=AlertKind.INFLUENCER, mention=mention, title="大V 负面")
    pr = login(demo.people["pr"])

    page = get(pr, "alerts").content.decode()
    assert "喝了鲜牧酸奶全家拉肚子" in page and "5K followers" in page
    assert f"{reverse('sentiment:incident_open')}?alert={alert.pk}" in page

    form = get(pr, "incident_open", alert=alert.pk)
    assert form.status_code == 200 and "大V 负面" in form.content.decode()
    response = post(pr, "incident_open", alert=alert.pk, brand=demo.brand.pk, title="酸奶拉肚子", kind="unknown",
                    summary="一位大V说喝了酸奶拉肚子")
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("sentiment:incident", args=[incident.pk])
    assert Alert.objects.get(pk=alert.pk).incident_id == incident.pk
    assert list(incident.mentions.all()) == [mention]
    assert reverse("sentiment:incident", args=[incident.pk]) in get(pr, "alerts").content.decode()

    response = post(pr, "incident_type", incident.pk, kind=IncidentType.OUR_FAULT, handling="hot")
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.kind, incident.handling) == (IncidentType.OUR_FAULT, "")  # hot/cold is for misunderstandings
    page = get(pr, "incident", incident.pk).content.decode()
    assert "Apologise publicly" in page and "客户服务部" in page and "喝了鲜牧酸奶全家拉肚子" in page

    step = incident.tasks.get(key="our_fault:apologise")
    response = post(pr, "incident_task_toggle", step.pk, headers=HTMX, done="1")
    assert response.status_code == 200 and f'id="task-{step.pk}"' in response.content.decode()
    assert "Done: undo" in response.content.decode() and "<html" not in response.content.decode()
    step.refresh_from_db()
    assert step.done_at is not None and step.done_by == demo.people["pr"]

    account = demo.accounts["鲜牧乳业"]
    response = post(pr, "statement_new", incident.pk, text=f"我们已下架该批次酸奶，正在调查原因。{LINK}",
                    accounts=[account.pk])
    assert response.status_code == 302, response.content.decode()[:2000]
    statement = Statement.objects.get(incident=incident)
    assert statement.post.state == "in_review"
    form = get(pr, "statement_new", incident.pk).content.decode()
    assert "我们已下架该批次酸奶" in form.split("<textarea")[0]  # the earlier statement stands above the text

    assert "Fast-track (manager)" not in get(pr, "incident", incident.pk).content.decode()
    manager = login(demo.people["manager"])
    response = post(manager, "statement_fast_track", statement.pk, reason="大V 在发酵，不能等")
    assert response.status_code == 302
    statement.post.refresh_from_db()
    assert statement.post.state == "approved" and statement.post.urgent
    page = get(manager, "incident", incident.pk).content.decode()
    assert '<span class="tag ok">Fast-tracked</span>' in page and "Publish now" in page  # content's status word
    assert "Waiting for approval" not in page

    report = get(manager, "incident_report", incident.pk).content.decode()
    assert "我们已下架该批次酸奶" in report and "Fast-tracked by" in report and "大V 在发酵，不能等" in report
    assert "Apologise publicly" in report and "<svg" in report


def test_publishing_a_statement_and_its_weibo_links(demo, login):
    incident = incident_services.incident_open(brand=demo.brand, by=demo.people["pr"], title="断货")
    statement = incident_services.statement_draft(incident=incident, by=demo.people["pr"], text=f"说明{LINK}",
                                                  accounts=[demo.accounts["鲜牧乳业"]])
    manager = login(demo.people["manager"])
    assert post(manager, "statement_publish", statement.pk).status_code == 302  # not approved yet: refused
    assert list(statement.post.targets.values_list("state", flat=True)) == ["waiting"]
    incident_services.statement_fast_track(statement=statement, by=demo.people["manager"], reason="急")
    assert post(manager, "statement_publish", statement.pk).status_code == 302
    assert list(statement.post.targets.values_list("state", flat=True)) == ["scheduled"]
    statement.post.targets.update(state="published", url="https://weibo.com/5500000001/Abc123", mid="123")
    page = get(manager, "incident", incident.pk).content.decode()
    assert '<span class="tag ok">Published</span>' in page and 'href="https://weibo.com/5500000001/Abc123"' in page
    assert "Publish now" not in page
    report = get(manager, "incident_report", incident.pk).content.decode()
    assert "https://weibo.com/5500000001/Abc123" in report


def test_a_pr_person_may_not_fast_track_and_is_told_why(demo, login):
    incident = incident_services.incident_open(brand=demo.brand, by=demo.people["pr"], title="断货")
    statement = incident_services.statement_draft(incident=incident, by=demo.people["pr"], text=f"正在处理。{LINK}",
                                                  accounts=[demo.accounts["鲜牧乳业"]])
    response = post(login(demo.people["pr"]), "statement_fast_track", statement.pk, reason="急")
    assert response.status_code == 403 and "Only a manager can fast-track a post." in response.content.decode()
    statement.post.refresh_from_db()
    assert statement.post.state == "in_review"


def test_bad_input_shows_field_errors_and_changes_nothing(demo, login):
    incident = incident_services.incident_open(brand=demo.brand, by=demo.people["pr"], title="断货")
    pr = login(demo.people["pr"])
    response = post(pr, "incident_type", incident.pk, kind=IncidentType.MISUNDERSTANDING)
    assert response.status_code == 400 and "Choose how to handle the misunderstanding" in response.content.decode()
    response = post(pr, "incident_grade", incident.pk, grade="red", reason="")
    assert response.status_code == 400 and "Say why the grade changes" in response.content.decode()
    response = post(pr, "incident_close", incident.pk, lessons="  ")
    assert response.status_code == 400 and "lessons learnt" in response.content.decode()
    response = post(pr, "statement_new", incident.pk, text="", accounts=[])
    assert response.status_code == 400 and "Write the statement first." in response.content.decode()
    response = post(pr, "incident_open", brand=demo.brand.pk, title="", kind="unknown")
    assert response.status_code == 400 and "Give the incident a short title" in response.content.decode()
    incident.refresh_from_db()
    assert (incident.kind, incident.grade, incident.state) == (IncidentType.UNKNOWN, "blue", "open")
    assert Incident.objects.count() == 1 and not Statement.objects.exists()


def test_misunderstanding_handling_close_and_reopen(demo, login):
    incident = incident_services.incident_open(brand=demo.brand, by=demo.people["pr"], title="保质期误会")
    pr = login(demo.people["pr"])
    assert post(pr, "incident_type", incident.pk, kind=IncidentType.MISUNDERSTANDING, handling="hot").status_code == 302
    incident.refresh_from_db()
    assert incident.handling == "hot"
    assert "Explain in public" in get(pr, "incident", incident.pk).content.decode()
    assert post(pr, "incident_grade", incident.pk, grade="orange", reason="上了热搜").status_code == 302
    assert post(pr, "incident_note", incident.pk, text="已联系当事人").status_code == 302
    assert post(pr, "incident_close", incident.pk, lessons="保质期标注要更醒目").status_code == 302
    incident.refresh_from_db()
    assert (incident.grade, incident.state) == ("orange", "closed")
    report = get(pr, "incident_report", incident.pk).content.decode()
    assert "保质期标注要更醒目" in report and "上了热搜" in report
    assert post(pr, "incident_reopen", incident.pk).status_code == 302
    incident.refresh_from_db()
    assert incident.state == "open"


def test_acknowledging_an_alert(demo, login):
    alert = make_alert(demo.brand)
    pr = login(demo.people["pr"])
    assert "Acknowledge" in get(pr, "alerts", acknowledged="no").content.decode()
    response = post(pr, "alert_acknowledge", alert.pk, next=reverse("sentiment:alerts"))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == demo.people["pr"] and alert.acknowledged_at
    assert "鲜牧乳业 负面激增" not in get(pr, "alerts", acknowledged="no").content.decode()
    assert "鲜牧乳业 负面激增" in get(pr, "alerts", acknowledged="yes").content.decode()
    assert "鲜牧乳业 负面激增" not in get(pr, "alerts", kind="attack").content.decode()


@pytest.mark.parametrize("target", ["/\\evil.com", "//evil.com", "https://evil.com", "http://evil.com/sentiment/"])
def test_acknowledging_never_redirects_off_the_site(demo, login, target):
    alert = make_alert(demo.brand)
    response = post(login(demo.people["pr"]), "alert_acknowledge", alert.pk, next=target)
    assert response.status_code == 302 and response["Location"] == reverse("sentiment:alerts")
    assert Alert.objects.get(pk=alert.pk).acknowledged_at is not None


def test_acknowledging_returns_to_the_page_it_came_from(demo, login):
    alert = make_alert(demo.brand)
    here = reverse("sentiment:alert", args=[alert.pk]) + "?from=list"
    response = post(login(demo.people["pr"]), "alert_acknowledge", alert.pk, next=here)
    assert response.status_code == 302 and response["Location"] == here


# --- cascades ------------------------------------------------------------------------------------------------

COPY_SIGNAL = {"code": "copy", "value": 0.8, "threshold": 0.25, "fired": True,
               "baseline": "organic CED: the most common non-trivial remark covers at most 18 % of a cascade",
               "evidence": {"text": f"鲜牧有毒{XSS}", "count": 4, "share": 0.8, "reposts": 5, "non_trivial": 5,
                            "example_uids": ["u1", "u2"]}}
BURST_SIGNAL = {"code": "burst", "value": 2.0, "threshold": 5.0, "fired": False, "baseline": "organic CED: ...",
                "evidence": {"second": 0.0, "second_shown": "2024-05-01 10:00:00", "count": 2,
                             "seconds_at_threshold": 0, "example_uids": []}}


def make_cascade(brand) -> Cascade:
    start = timezone.now() - timedelta(hours=1)
    cascade = Cascade.objects.create(
        brand=brand, root_id="R1", root_author="爆料君", root_uid="9", root_text=f"鲜牧黑幕{XSS}",
        root_posted_at=start, watch_until=start + timedelta(hours=48), flagged=True, attack_score=0.7,
        signals=[BURST_SIGNAL, COPY_SIGNAL], reposts_seen=5, negative=True,
        stats={"total": 5, "direct": 2, "second_level": 3, "max_depth": 3})
    # R1 ← a ← b ← c, a ← d; R1 ← e: a carried three reposts, b one.
    tree = [("a", "", "大号A"), ("b", "a", "小号B"), ("c", "b", "小号C"), ("d", "a", "小号D"), ("e", "", "路人E")]
    for minute, (mid, parent, name) in enumerate(tree, start=1):
        Repost.objects.create(cascade=cascade, platform_id=mid, parent_id=parent, uid=f"u{mid}", screen_name=name,
                              text=f"鲜牧有毒{XSS}", posted_at=start + timedelta(minutes=minute), followers=minute)
    return cascade


def test_the_cascade_page_draws_the_tree_key_nodes_and_the_evidence(demo, login):
    cascade = make_cascade(demo.brand)
    page = get(login(demo.people["pr"]), "cascade", cascade.pk).content.decode()
    figures = page.split('class="facts figures"')[1].split("</dl>")[0]
    assert [part.split("</dd>")[0] for part in figures.split("<dd>")[1:]] == ["5", "2", "3", "3"]
    key_nodes = page.split('class="small key-nodes"')[1].split("</table>")[0]
    assert key_nodes.index("大号A") < key_nodes.index("小号B") and "路人E" not in key_nodes
    assert "<td>3</td><td>2</td><td>1</td>" in key_nodes  # 大号A: 3 downstream, 2 direct, level 1
    tree = page.split('class="repost-tree"')[1].split("</section>")[0]
    assert tree.count("<details") == 3 and tree.count("</details>") == 3  # R1, a and b have reposts under them
    assert tree.index("大号A") < tree.index("小号B") < tree.index("小号C") < tree.index("小号D") < tree.index("路人E")
    assert "4 of 5 reposts (80.0 %) carry the same remark" in page
    assert "80.0 %" in page and "25.0 %" in page and "the most common remark of one&#x27;s own covers" in page
    assert page.index("The same pasted remark") < page.index("Burst: many reposts in one second")  # fired first
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_cascade_list_and_the_attack_alert_show_the_flag(demo, login):
    cascade = make_cascade(demo.brand)
    Cascade.objects.create(brand=demo.brand, root_id="R2", root_text="普通新品", watch_until=timezone.now())
    make_alert(demo.brand, kind=AlertKind.ATTACK, cascade=cascade, title="协同转发",
               evidence={"signals": [BURST_SIGNAL, COPY_SIGNAL], "root_text": "鲜牧黑幕", "root_author": "爆料君"})
    pr = login(demo.people["pr"])
    page = get(pr, "cascades").content.decode()
    assert "flagged · score 0.70" in page and "普通新品" in page and page.index("鲜牧黑幕") < page.index("普通新品")
    assert "普通新品" not in get(pr, "cascades", flagged="1").content.decode()
    alerts = get(pr, "alerts").content.decode()
    assert "4 of 5 reposts (80.0 %) carry the same remark" in alerts
    assert "Burst: many reposts" not in alerts  # only the fired signals on an alert
    assert reverse("sentiment:cascade", args=[cascade.pk]) in alerts and XSS not in alerts


# --- queries and escaping ------------------------------------------------------------------------------------

def _queries(client, name) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert get(client, name).status_code == 200
    return len(queries)


def test_the_incident_and_alert_lists_take_the_same_queries_for_3_and_30_rows(demo, login):
    pr = login(demo.people["pr"])
    counts = {}
    for total in (3, 30):
        while Incident.objects.count() < total:
            n = Incident.objects.count()
            mention = make_mention(demo.brand)
            alert = make_alert(demo.brand, kind=[AlertKind.SPIKE, AlertKind.INFLUENCER][n % 2],
                               mention=mention if n % 2 else None)
            incident = incident_services.incident_open(brand=demo.brand, by=demo.people["pr"], title=f"事件{n}")
            if n % 3 == 0:
                Alert.objects.filter(pk=alert.pk).update(incident=incident)
        counts[total] = (_queries(pr, "incidents"), _queries(pr, "alerts"))
    assert counts[3] == counts[30]


def test_user_text_is_escaped_in_mentions_and_statements(demo, login):
    mention = make_mention(demo.brand, f"坏了{XSS}")
    incident = incident_services.incident_open(brand=demo.brand, by=demo.people["pr"], title=f"事件{XSS}",
                                               mention=mention, summary=XSS)
    incident_services.statement_draft(incident=incident, by=demo.people["pr"], text=f"声明{XSS}{LINK}",
                                      accounts=[demo.accounts["鲜牧乳业"]])
    make_alert(demo.brand, kind=AlertKind.INFLUENCER, mention=mention, title=f"大V{XSS}")
    pr = login(demo.people["pr"])
    for name, args in [("incident", (incident.pk,)), ("incident_report", (incident.pk,)), ("alerts", ()),
                       ("incidents", ()), ("statement_new", (incident.pk,))]:
        page = get(pr, name, *args).content.decode()
        assert XSS not in page, name
        assert "&lt;script&gt;" in page, name


# --- issue 15: words people read, the type form, the statement counter, why the grade -------------------------

def test_an_undetermined_incident_preselects_no_type(demo, login):
    incident = incident_services.incident_open(brand=demo.brand, by=demo.people["pr"], title="断货")
    page = get(login(demo.people["pr"]), "incident", incident.pk).content.decode()
    select = page.split('name="kind"')[1].split("</select>")[0]
    assert '<option value="" selected>Not yet judged</option>' in select
    assert select.count("selected") == 1
    response = post(login(demo.people["pr"]), "incident_type", incident.pk, kind="")
    assert response.status_code == 400 and "Choose the type." in response.content.decode()
    incident.refresh_from_db()
    assert incident.kind == IncidentType.UNKNOWN


def test_the_statement_box_counts_weibo_characters_as_the_composer_does(demo, login):
    incident = incident_services.incident_open(brand=demo.brand, by=demo.people["pr"], title="断货")
    pr = login(demo.people["pr"])
    page = get(pr, "statement_new", incident.pk).content.decode()
    textarea = page.split("<textarea")[1].split(">")[0]
    assert f'hx-post="{reverse("content:check")}"' in textarea and 'hx-target="#statement-checks"' in textarea
    assert 'id="statement-checks"' in page and 'id="statement-form"' in page
    account = demo.accounts["鲜牧乳业"]
    checked = pr.post(reverse("content:check"), {"text": "一二三四五" + LINK, "accounts": [account.pk]},
                      **HTMX).content.decode()
    assert "Text: 16 of 140 Weibo characters" in checked


def test_the_page_and_report_say_which_input_raised_the_grade_in_words(demo, login):
    mention = make_mention(demo.brand, "鲜牧奶粉里有异物，宝宝不敢喝了", followers=30)
    incident = incident_services.incident_open(brand=demo.brand, by=demo.people["pr"], title="奶粉异物",
                                               mention=mention)
    assert incident.grade == "yellow"
    manager = login(demo.people["manager"])
    page = get(manager, "incident", incident.pk).content.decode()
    assert "Raised by</dt><dd class=\"grade-inputs\">serious matter: Food safety (keywords: 异物)</dd>" in page
    assert "legal is told from the first grade" in page
    report = get(manager, "incident_report", incident.pk).content.decode()
    assert 'Raised by: <span class="grade-inputs">serious matter: Food safety (keywords: 异物)</span>' in report
    assert "Blue → Yellow · Raised by: serious matter: Food safety (keywords: 异物)" in report
    timeline = report.split('<ol class="timeline small">')[1].split("</ol>")[0]
    for key in ("· opened", "· steps_added", "· graded", "· escalated", "· policy"):
        assert key not in timeline, key
    assert "· Opened" in timeline and "· Steps added" in timeline and "· Escalated" in timeline


def test_the_audit_log_shows_incident_actions_in_words(demo, login):
    incident_services.incident_open(brand=demo.brand, by=demo.people["pr"], title="断货")
    page = login(demo.people["manager"]).get(reverse("team:audit"), **EN).content.decode()
    row = page.split("<tbody>")[1]
    assert '<span title="incident.open">opened an incident</span>' in row
    assert ">incident.open<" not in row
