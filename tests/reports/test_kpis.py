"""Scorecards (issue 17, point 3): every KPI against values computed by hand from a small set of rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Entry
from content.models import Pillar, Post, PostTarget
from fans import selectors as fans_selectors
from fans.ingest import fan_accounts_record
from fans.models import Fan, Interaction
from positioning.models import Account, PlaybookVersion, TargetCircle
from reports.kpis import period_bounds, scorecard
from sentiment.models import Cascade, Incident, IncidentTask, Repost
from team.models import KpiTarget

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]  # embedded: the medians differ on SQLite
LANGUAGE = "en"

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOV_START, NOV_END = date(2026, 11, 1), date(2026, 11, 30)
NOW = datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def _post(demo, account, *, text, original=True, published=None, counts=(0, 0, 0), mid="", variant="",
          author="operator", state="published"):
    pillar, _ = Pillar.objects.get_or_create(brand=demo.brand, name="产品")
    post = Post.objects.create(brand=demo.brand, pillar=pillar, text=text, is_original=original, state="approved",
                               created_by=demo.people[author])
    reposts, comments, likes = counts
    return PostTarget.objects.create(post=post, account=account, state=state, published_at=published,
                                     scheduled_at=published or at(11, 20), mid=mid, variant=variant,
                                     reposts=reposts, comments=comments, attitudes=likes)


def _fan(uid, *, influence=0, first_seen=None, description=""):
    fan = Fan.objects.create(uid=uid, screen_name=uid, influence=influence, description=description)
    Fan.objects.filter(pk=fan.pk).update(first_seen_at=first_seen or at(11, 1))
    return fan


def _item(account, fan, n, *, created, kind="comment", answered_after=None, closed_after=None, assignee=None):
    """An inbox item stored as the ingest stores it: with its fan's first interaction with the account kept."""
    item = Interaction.objects.create(
        account=account, kind=kind, source="comments_to_me", object_type="comment", platform_id=f"c{n}", fan=fan,
        created_at=created, thread_key=f"t{n}", needs_answer=kind != "follow", assignee=assignee,
        first_response_at=created + timedelta(minutes=answered_after) if answered_after is not None else None,
        closed_at=created + timedelta(minutes=closed_after) if closed_after is not None else None,
        state="closed" if closed_after is not None else "open")
    fan_accounts_record(items=[item])
    return item


@pytest.fixture
def rows(demo):
    """The account 鲜牧华东 (region 上海、江苏、浙江) in November 2026, with rows just outside the period and on
    another account (鲜牧酸奶) that no figure of 鲜牧华东 may count."""
    east, yoghurt = demo.accounts["鲜牧华东"], demo.accounts["鲜牧酸奶"]
    operator = demo.people["operator"]
    PlaybookVersion.objects.create(account=east, number=1, content_mix=[{"pillar": "产品", "per_day": 1}])
    # Posts published in November on 鲜牧华东: p1 original, names 上海; p2 original; p3 a repost whose variant
    # names 江苏. Not counted: p4 published on 31 October at 23:00 Shanghai time, p5 only scheduled, p6 on 鲜牧酸奶.
    _post(demo, east, text="上海门店新品上市", published=at(11, 3), counts=(10, 5, 15), mid="m1")
    _post(demo, east, text="新品上市", published=at(11, 4), counts=(2, 3, 5), mid="m2")
    _post(demo, east, text="转发", original=False, published=at(11, 5), mid="m3", variant="江苏门店转发",
          author="manager")
    _post(demo, east, text="上海", published=at(10, 31, 23), counts=(100, 0, 0), mid="m4")
    _post(demo, east, text="上海", state="scheduled", mid="")
    _post(demo, yoghurt, text="上海", published=at(11, 6), counts=(50, 50, 50), mid="m6")
    # Repost trees. m1 is a campaign post: depth 2, 2, 3 count; depth 1 does not; its monitoring cascade
    # (5 second-level reposts) is not counted again. m2 has only a cascade: 4 of its 6 reposts repost a repost.
    campaign = Campaign.objects.create(brand=demo.brand, title="新品", kind="repost", lead=demo.people["manager"],
                                       created_by=demo.people["manager"],
                                       starts_at=at(11, 1), ends_at=at(11, 30))
    for n, depth in enumerate([1, 1, 1, 2, 2, 3]):
        Entry.objects.create(campaign=campaign, kind="repost", platform_id=f"e{n}", status_id="m1", depth=depth,
                             uid=f"u{n}", posted_at=at(11, 3, 12))
    for root, parents in (("m1", ["r"] * 5), ("m2", ["", "", "r", "r", "r", "r"]), ("m6", ["r"] * 9)):
        cascade = Cascade.objects.create(brand=demo.brand, root_id=root, watch_until=at(12, 1))
        for n, parent in enumerate(parents):
            Repost.objects.create(cascade=cascade, platform_id=f"{root}-{n}", parent_id=parent, uid=f"v{n}",
                                  posted_at=at(11, 4, 12))
    # Fans: f1 a node fan (influence 80) first seen in November, profile names the circle 华东家庭; f2 a node
    # fan first seen in October; f3 interacted only in October, profile names 健身.
    f1 = _fan("f1", influence=80, first_seen=at(11, 2), description="华东家庭,爱喝奶")
    f2 = _fan("f2", influence=80, first_seen=at(10, 2))
    f3 = _fan("f3", influence=10, first_seen=at(10, 2), description="健身")
    TargetCircle.objects.create(account=east, name="健身")
    TargetCircle.objects.create(account=east, name="学生")
    # Inbox items of November needing an answer: i1 answered after 30 min, closed after 120 (assigned to the
    # operator); i2 answered after 90 min; i3 waiting. Not counted: i4 a new follower, i5 of October, i6 on
    # 鲜牧酸奶.
    _item(east, f1, 1, created=at(11, 10), answered_after=30, closed_after=120, assignee=operator)
    _item(east, f2, 2, created=at(11, 11), answered_after=90)
    _item(east, f1, 3, created=at(11, 12))
    _item(east, f2, 4, created=at(11, 12), kind="follow")
    _item(east, f3, 5, created=at(10, 20), answered_after=1, closed_after=1)
    _item(yoghurt, f3, 6, created=at(11, 20), answered_after=1000)
    # Incidents of the brand opened in November: on time (step done before its deadline), late (done after),
    # late (still open past its deadline, before NOW); one of October is not counted.
    for title, opened, done_after in (("准时", at(11, 5), 30), ("迟了", at(11, 6), 300), ("还开着", at(11, 7), None),
                                      ("十月", at(10, 7), 30)):
        incident = Incident.objects.create(brand=demo.brand, title=title)
        Incident.objects.filter(pk=incident.pk).update(opened_at=opened)
        IncidentTask.objects.create(incident=incident, key="k", title="声明", owner=demo.people["pr"],
                                    due_at=opened + timedelta(minutes=60),
                                    done_at=opened + timedelta(minutes=done_after) if done_after else None)
    return east


def _values(figures) -> dict:
    return {f.code: f.value for f in figures}


def test_every_formula_of_an_account_against_the_hand_computed_values(demo, rows):
    figures = scorecard(brand=demo.brand, account=rows, start=NOV_START, end=NOV_END, now=NOW)
    assert _values(figures) == {
        "originality_rate": 66.7,  # p1, p2 original of p1, p2, p3: 2 / 3 = 66.7 %
        "interactions_per_post": 13.33,  # (10+5+15) + (2+3+5) + 0 = 40 over 3 posts = 13.33
        "interactions_per_kfans": None,  # no follower count of the account is stored: not measured
        "response_rate": 66.7,  # i1, i2 answered of i1, i2, i3: 2 / 3
        "response_time": 60.0,  # median of 30 and 90 minutes
        "resolution_rate": 33.3,  # i1 closed of 3: 1 / 3
        "resolution_time": 120.0,  # the one closed item: 120 minutes
        "second_level_per_post": 2.33,  # m1: 3 from the campaign tree (cascade ignored) + m2: 4 = 7 over 3 posts
        "node_fans_gained": 1.0,  # f1 (influence 80, first seen 2 Nov); f2 was first seen in October
        "active_fan_share": 66.7,  # f1, f2 in November of f1, f2, f3 ever: 2 / 3
        "circles_reached": 33.3,  # circles 华东家庭 (f1's profile), 健身 (f3 only in October), 学生: 1 / 3
        "localisation_share": 66.7,  # p1 names 上海, p3's variant names 江苏, p2 none: 2 / 3
        "plan_attainment": 10.0,  # 1 post a day × 30 days = 30 planned, 3 published: 10 %
    }


def test_the_inbox_figures_group_by_account_and_by_person_in_one_query(demo, rows, django_assert_num_queries):
    since, until = period_bounds(NOV_START, NOV_END)
    ids = [rows.pk, demo.accounts["鲜牧酸奶"].pk]
    with django_assert_num_queries(1):  # PostgreSQL: percentile_cont; SQLite: the durations, medians in Python
        by_account = fans_selectors.kpi_inbox_figures(account_ids=ids, since=since, until=until, group="account")
    assert by_account == {
        rows.pk: {"total": 3, "answered": 2, "resolved": 1, "response_minutes": 60.0, "resolution_minutes": 120.0},
        ids[1]: {"total": 1, "answered": 1, "resolved": 0, "response_minutes": 1000.0, "resolution_minutes": None},
    }
    by_person = fans_selectors.kpi_inbox_figures(account_ids=ids, since=since, until=until, group="person")
    assert by_person[demo.people["operator"].pk] == {"total": 1, "answered": 1, "resolved": 1,
                                                     "response_minutes": 30.0, "resolution_minutes": 120.0}
    assert by_person[None]["total"] == 3  # i2, i3 (鲜牧华东) and i6 (鲜牧酸奶) are assigned to nobody


def test_a_person_counts_their_own_posts_items_and_incident_steps(demo, rows):
    figures = _values(scorecard(brand=demo.brand, person=demo.people["operator"], start=NOV_START, end=NOV_END,
                                now=NOW))
    # The operator wrote p1, p2 (and p6 on 鲜牧酸奶: 50+50+50, not regional) and was assigned i1.
    assert figures["originality_rate"] == 100.0  # p1, p2, p6 all original: 3 / 3
    assert figures["interactions_per_post"] == 63.33  # (30 + 10 + 150) / 3 = 63.33
    assert figures["localisation_share"] == 50.0  # p1 names 上海, p2 none; p6 is not on a regional account: 1 / 2
    assert figures["response_rate"] == 100.0 and figures["response_time"] == 30.0  # i1 only
    assert "node_fans_gained" not in figures  # fans are an account's, not a person's
    pr = _values(scorecard(brand=demo.brand, person=demo.people["pr"], start=NOV_START, end=NOV_END, now=NOW))
    assert pr["incidents_on_time"] == 33.3  # the PR person owns a step of each: 1 on time of 3


def test_the_brand_counts_every_account_once(demo, rows):
    figures = _values(scorecard(brand=demo.brand, start=NOV_START, end=NOV_END, now=NOW))
    assert figures["interactions_per_post"] == 47.5  # (40 + 150) / 4 posts
    # m1: 3 + m2: 4 + m6: 9 cascade reposts of reposts = 16 over 4 posts
    assert figures["second_level_per_post"] == 4.0
    assert figures["response_rate"] == 75.0  # i1, i2, i6 answered of i1, i2, i3, i6: 3 / 4
    assert figures["response_time"] == 90.0  # median of 30, 90, 1000
    assert figures["active_fan_share"] == 100.0  # f1, f2, f3 (i6 on 鲜牧酸奶 in November) of the same 3
    assert figures["incidents_on_time"] == 33.3  # 1 of the 3 November incidents


def test_the_active_fan_share_knows_the_fans_up_to_the_periods_end_only(demo, rows):
    # f4 first interacts with 鲜牧华东 in December: not known in November; f3 (October only) is.
    _item(rows, _fan("f4"), 7, created=at(12, 2))
    since, until = period_bounds(NOV_START, NOV_END)
    assert fans_selectors.kpi_fan_figures(account_ids=[rows.pk], since=since, until=until) == {
        "known": 3, "active": 2, "node_gained": 1}
    since, until = period_bounds(NOV_START, date(2026, 12, 5))
    assert fans_selectors.kpi_fan_figures(account_ids=[rows.pk], since=since, until=until)["known"] == 4


def test_targets_give_attainment_both_ways(demo, rows):
    KpiTarget.objects.create(kpi="originality_rate", brand=demo.brand, account=rows, start=NOV_START, end=NOV_END,
                             value=Decimal("50"))
    KpiTarget.objects.create(kpi="response_time", brand=demo.brand, account=rows, start=NOV_START, end=NOV_END,
                             value=Decimal("45"))
    by_code = {f.code: f for f in scorecard(brand=demo.brand, account=rows, start=NOV_START, end=NOV_END, now=NOW)}
    assert by_code["originality_rate"].attainment == 133.4  # 66.7 % shown ÷ 50 % = 133.4 %
    assert by_code["response_time"].attainment == 75.0  # lower is better: 45 / 60 = 75 %
    assert by_code["response_rate"].target is None and by_code["response_rate"].attainment is None


# --- the page and the API ------------------------------------------------------------------------------------

def test_the_page_shows_the_figures_linked_to_their_rows(demo, rows, login):
    page = login(demo.people["manager"]).get(reverse("reports:scorecard"), {
        "account": rows.pk, "start": "2026-11-01", "end": "2026-11-30"})
    assert page.status_code == 200
    by_code = {f.code: f for f in page.context["figures"]}
    assert by_code["response_rate"].url == f"/fans/?state=all&account={rows.pk}"
    assert by_code["plan_attainment"].url == f"/content/?view=month&start=2026-11-01&account={rows.pk}"
    html = page.content.decode()
    assert f'href="/fans/?state=all&amp;account={rows.pk}"' in html
    assert "66.7 %" in html and "2 / 3" in html


def test_the_page_speaks_chinese_by_default(demo, login):
    page = login(demo.people["manager"], language="zh-hans").get(reverse("reports:scorecard"))
    assert page.status_code == 200
    assert '<html lang="zh-hans"' in page.content.decode()


def test_people_see_their_own_and_their_accounts_scorecards_only(demo, login):
    operator = demo.people["operator"]
    client = login(operator)
    assert client.get(reverse("reports:scorecard")).context["account"] == demo.accounts["鲜牧乳业"]
    assert client.get(reverse("reports:scorecard"), {"account": demo.accounts["鲜牧酸奶"].pk}).status_code == 200
    assert client.get(reverse("reports:scorecard"), {"person": operator.pk}).status_code == 200
    # 鲜牧华东 and the manager are not among the operator's choices: refused on the form, no figures shown.
    for choice in ({"account": demo.accounts["鲜牧华东"].pk}, {"person": demo.people["manager"].pk}):
        page = client.get(reverse("reports:scorecard"), choice)
        assert page.context["figures"] is None
        assert list(page.context["form"].errors) == list(choice)
        assert "Correct the choices above to see a scorecard." in page.content.decode()
    # The brand is offered (its accounts are theirs), but the whole brand's card is the managers'.
    assert client.get(reverse("reports:scorecard"), {"brand": demo.brand.pk}).status_code == 403


def test_targets_are_set_inline_by_those_allowed(demo, login):
    today = timezone.localdate()
    start, end = today.replace(day=1), today.replace(day=1) + timedelta(days=27)
    query = f"?account={demo.accounts['鲜牧酸奶'].pk}&start={start}&end={end}"
    operator = login(demo.people["operator"])
    assert operator.post(reverse("reports:scorecard") + query, {"kpi": "originality_rate", "value": "80"}).status_code \
        == 302
    target = KpiTarget.objects.get()
    assert (target.account, target.start, target.end, target.value) == (demo.accounts["鲜牧酸奶"], start, end,
                                                                        Decimal("80"))
    page = operator.get(reverse("reports:scorecard") + query)
    assert {f.code: f.target for f in page.context["figures"]}["originality_rate"] == Decimal("80")
    refused = operator.post(reverse("reports:scorecard") + query, {"kpi": "originality_rate", "value": "180"},
                            follow=True)
    assert "Give a value from 0 to 100 (%)." in [str(m) for m in refused.context["messages"]]
    assert KpiTarget.objects.get().value == Decimal("80")
    reviewer = login(demo.people["reviewer"])  # sees 鲜牧酸奶, may not manage it
    page = reviewer.get(reverse("reports:scorecard") + query)
    assert page.status_code == 200 and not page.context["can_set"]
    reviewer.post(reverse("reports:scorecard") + query, {"kpi": "originality_rate", "value": "10"})
    assert KpiTarget.objects.get().value == Decimal("80")


def _accounts(demo, n: int) -> None:
    fan, _ = Fan.objects.get_or_create(uid="many", screen_name="many")
    for i in range(n):
        account = Account.objects.create(brand=demo.brand, name=f"网点{i:02d}", purpose="region", region=f"城{i}")
        PlaybookVersion.objects.create(account=account, number=1, content_mix=[{"pillar": "产品", "per_day": 2}])
        TargetCircle.objects.create(account=account, name=f"圈{i}")
        _post(demo, account, text=f"城{i}", published=timezone.now(), counts=(1, 2, 3), mid=f"x{i}")
        _item(account, fan, 1000 + i, created=timezone.now(), answered_after=5)


def test_the_scorecard_makes_as_many_queries_for_40_accounts_as_for_4(demo, login, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(demo.people["manager"])
    _accounts(demo, 0)
    with CaptureQueriesContext(connection) as four:
        assert client.get(reverse("reports:scorecard")).status_code == 200
    assert len(demo.accounts) == 4
    _accounts(demo, 36)
    with django_assert_num_queries(len(four.captured_queries)):
        page = client.get(reverse("reports:scorecard"))
    assert {f.code: f.value for f in page.context["figures"]}["interactions_per_post"] == 6.0  # (1+2+3) each


def test_the_api_scorecard_is_the_page_figures(demo, rows, api, login):
    query = {"account": rows.pk, "start": "2026-11-01", "end": "2026-11-30"}
    body = api(demo.people["manager"]).get("/api/v1/reports/scorecard/", query).json()
    page = login(demo.people["manager"]).get(reverse("reports:scorecard"), query)
    assert [(f["code"], f["value"]) for f in body["figures"]] == [(f.code, f.value) for f in page.context["figures"]]
    assert body["figures"][0]["url"] == f"http://testserver/content/?view=month&start=2026-11-01&account={rows.pk}"
    hidden = api(demo.people["agent"]).get("/api/v1/reports/scorecard/", query)  # 鲜牧华东 is not the agent's
    assert hidden.status_code == 400 and list(hidden.json()) == ["account"]
    assert api(demo.people["agent"]).get("/api/v1/reports/scorecard/", {"brand": demo.brand.pk}).status_code == 403
    bad = api(demo.people["manager"]).get("/api/v1/reports/scorecard/", dict(query, end="2026-10-01"))
    assert bad.status_code == 400 and list(bad.json()) == ["end"]


def test_the_demo_sets_this_months_targets_once(demo, login):
    from django.core.management import call_command

    call_command("seed_demo_kpis")
    call_command("seed_demo_kpis")  # again: nothing more
    # The brand: 13 KPIs with a demo target (not interactions per thousand fans); each of the 4 accounts: the
    # same but incidents (12); each of the 4 people with a grant (agent, operator, pr, reviewer): the 9 per-person
    # KPIs with a target. 13 + 4 × 12 + 4 × 9 = 97.
    assert KpiTarget.objects.count() == 97
    page = login(demo.people["manager"]).get(reverse("reports:scorecard"))
    assert {f.code: f.target for f in page.context["figures"]}["response_rate"] == Decimal("95")
