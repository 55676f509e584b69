"""The opinion monitoring API: keyword groups, mentions, corrections, reports and batches from outside systems,
trends and the word cloud, alerts, incidents and cascades, with the same rules as the pages, spoken in JSON."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from positioning.models import Brand
from sentiment.models import (
    Alert,
    AlertKind,
    Cascade,
    Inbound,
    Incident,
    IncidentState,
    IncidentType,
    Mention,
    MentionSource,
    Repost,
    RuleGroup,
    Sentiment,
    SentimentCorrection,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/sentiment"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

LANGUAGE = "en"  # the people these tests sign in have chosen English: the tests read its words


_numbers = count(1)
LINK = "https://xianmu.example.com/notice"  # statuses/share wants a link on the app's safe domain


def mention(brand, *, text="鲜牧的牛奶喝出了怪味", sentiment=Sentiment.NEGATIVE, minutes_ago=None, **extra) -> Mention:
    n = next(_numbers)
    at = timezone.now() - timedelta(minutes=n if minutes_ago is None else minutes_ago)
    fields = {"source": MentionSource.SEARCH, "platform_id": str(480000 + n), "author_name": f"网友{n}",
              "author_uid": str(660000 + n), "keywords": ["牛奶", "怪味"]} | extra
    return Mention.objects.create(brand=brand, text=text, text_key=f"k{n}", posted_at=at, sentiment=sentiment,
                                  **fields)


def alert(brand, **extra) -> Alert:
    n = next(_numbers)
    return Alert.objects.create(brand=brand, kind=AlertKind.SPIKE, title=f"负面激增 {n}", dedupe_key=f"spike:{n}",
                                count=12, baseline=2.0, **extra)


@pytest.fixture
def other(db) -> Brand:
    """A brand nobody but managers and PR sees."""
    return Brand.objects.create(name="别家乳业")


def group(brand, name="鲜牧", **extra) -> RuleGroup:
    return RuleGroup.objects.create(brand=brand, name=name, include_terms=["鲜牧"], **extra)


# --- keyword groups ------------------------------------------------------------------------------

def test_groups_are_listed_per_visible_brand_and_another_brands_are_404(demo, api, other):
    mine = group(demo.brand, exclude_terms=["鲜牧场"], context_terms=["牛奶"])
    theirs = group(other, name="别家")
    reviewer = api(demo.people["reviewer"])
    answer = reviewer.get(f"{API}/groups/")
    assert answer.status_code == 200
    assert [g["id"] for g in answer.data["results"]] == [mine.pk]
    listed = answer.data["results"][0]
    assert {k: listed[k] for k in ("brand", "name", "kind", "include_terms", "exclude_terms", "context_terms",
                                   "search_enabled", "is_active", "searched_at", "search_problem")} == {
        "brand": demo.brand.pk, "name": "鲜牧", "kind": "brand", "include_terms": ["鲜牧"],
        "exclude_terms": ["鲜牧场"], "context_terms": ["牛奶"], "search_enabled": True, "is_active": True,
        "searched_at": None, "search_problem": ""}
    assert reviewer.get(f"{API}/groups/{theirs.pk}/").status_code == 404
    assert api(demo.people["manager"]).get(f"{API}/groups/{theirs.pk}/").status_code == 200
    assert api(demo.people["logistics"]).get(f"{API}/groups/").data["results"] == []
    assert api().get(f"{API}/groups/").status_code == 401


def test_a_viewer_may_not_write_groups_and_learns_nothing_from_field_errors(demo, api):
    mine = group(demo.brand)
    reviewer = api(demo.people["reviewer"])
    refused = reviewer.post(f"{API}/groups/", {}, format="json", **EN)
    assert refused.status_code == 403
    assert refused.data["detail"].startswith("Only PR, managers and those who manage one of")
    assert reviewer.patch(f"{API}/groups/{mine.pk}/", {"name": "x"}, format="json").status_code == 403
    assert reviewer.delete(f"{API}/groups/{mine.pk}/").status_code == 403
    mine.refresh_from_db()
    assert mine.name == "鲜牧"


def test_pr_creates_changes_and_deletes_a_group(demo, api):
    pr = api(demo.people["pr"])
    created = pr.post(f"{API}/groups/", {"brand": demo.brand.pk, "name": "酸奶", "kind": "product",
                                         "include_terms": [" 鲜牧酸奶 ", "鲜牧酸奶", ""],
                                         "context_terms": ["好喝"]}, format="json")
    assert created.status_code == 201, created.data
    made = RuleGroup.objects.get(pk=created.data["id"])
    assert (made.brand, made.kind, made.include_terms, made.exclude_terms, made.context_terms) == (
        demo.brand, "product", ["鲜牧酸奶"], [], ["好喝"])
    assert created.data["include_terms"] == ["鲜牧酸奶"]
    changed = pr.patch(f"{API}/groups/{made.pk}/", {"exclude_terms": ["广告"], "is_active": False}, format="json")
    assert changed.status_code == 200, changed.data
    assert (changed.data["exclude_terms"], changed.data["is_active"], changed.data["include_terms"]) == (
        ["广告"], False, ["鲜牧酸奶"])
    assert pr.delete(f"{API}/groups/{made.pk}/").status_code == 204
    assert not RuleGroup.objects.filter(pk=made.pk).exists()


def test_bad_groups_are_400_with_field_errors_and_nothing_stored(demo, api):
    group(demo.brand, name="品牌")
    pr = api(demo.people["pr"])

    def errors(body):
        answer = pr.post(f"{API}/groups/", {"brand": demo.brand.pk, "name": "新组", **body}, format="json", **EN)
        assert answer.status_code == 400
        return answer.data

    assert set(errors({"include_terms": []})) == {"include_terms"}
    assert set(errors({"include_terms": ["  ", ""]})) == {"include_terms"}
    both = errors({"include_terms": ["鲜牧"], "exclude_terms": ["鲜牧"]})
    assert set(both) == {"exclude_terms"} and "both included and excluded" in str(both["exclude_terms"][0])
    assert set(errors({"name": "品牌", "include_terms": ["鲜牧"]})) == {"name"}
    assert set(errors({"include_terms": ["鲜牧"], "kind": "rumour"})) == {"kind"}
    assert set(errors({"include_terms": "鲜牧"})) == {"include_terms"}
    assert list(RuleGroup.objects.values_list("name", flat=True)) == ["品牌"]


def test_a_group_cannot_be_created_for_a_brand_one_cannot_see(demo, api, other):
    operator = api(demo.people["operator"])
    answer = operator.post(f"{API}/groups/", {"brand": other.pk, "name": "别家", "include_terms": ["别家"]},
                           format="json")
    assert answer.status_code == 400 and set(answer.data) == {"brand"}
    assert not RuleGroup.objects.filter(brand=other).exists()


# --- mentions ------------------------------------------------------------------------------------

def test_mentions_list_filters_and_the_detail(demo, api, other):
    g = group(demo.brand)
    loud = mention(demo.brand, author_followers=500_000, author_name="大V")
    loud.groups.add(g)
    kind = mention(demo.brand, text="鲜牧酸奶真好喝", sentiment=Sentiment.POSITIVE, source=MentionSource.REPORT)
    fixed = mention(demo.brand, text="还行吧", sentiment=Sentiment.NEUTRAL, corrected=True)
    theirs = mention(other)
    client = api(demo.people["reviewer"])

    def ids(**query):
        answer = client.get(f"{API}/mentions/", query)
        assert answer.status_code == 200, answer.data
        return [m["id"] for m in answer.data["results"]]

    assert ids() == [loud.pk, kind.pk, fixed.pk]
    assert ids(group=g.pk) == ids(min_followers=100_000) == ids(q="大V") == [loud.pk]
    assert ids(sentiment="positive") == ids(source="report") == ids(q="酸奶") == [kind.pk]
    assert ids(corrected="true") == [fixed.pk]
    assert ids(corrected="false") == [loud.pk, kind.pk]
    assert ids(brand=other.pk) == []
    assert ids(since=(timezone.now() - timedelta(minutes=loud_minutes(loud))).isoformat()) == [loud.pk]
    assert ids(until=kind.posted_at.isoformat()) == [fixed.pk]
    bad = client.get(f"{API}/mentions/", {"sentiment": "angry", "page_size": 500, "cursor": "x", "min_followers": -1})
    assert bad.status_code == 400
    assert set(bad.data) == {"sentiment", "page_size", "cursor", "min_followers"}
    listed = client.get(f"{API}/mentions/").data["results"][0]
    assert listed["groups"] == [{"id": g.pk, "name": "鲜牧", "kind": "brand"}]
    assert (listed["text"], listed["sentiment"], listed["author_followers"], listed["keywords"]) == (
        "鲜牧的牛奶喝出了怪味", "negative", 500_000, ["牛奶", "怪味"])
    detail = client.get(f"{API}/mentions/{loud.pk}/")
    assert detail.status_code == 200
    assert (detail.data["corrections"], detail.data["incidents"], detail.data["reported_by"]) == ([], [], None)
    assert client.get(f"{API}/mentions/{theirs.pk}/").status_code == 404
    assert api(demo.people["manager"]).get(f"{API}/mentions/{theirs.pk}/").status_code == 200


def loud_minutes(m: Mention) -> float:
    """Minutes since ``m`` was posted, plus a little: a ``since`` that takes it and nothing older."""
    return (timezone.now() - m.posted_at).total_seconds() / 60 + 0.2


def test_keyset_pages_follow_next_to_the_end(demo, api):
    made = [mention(demo.brand, minutes_ago=i) for i in range(7)]
    client = api(demo.people["reviewer"])
    answer = client.get(f"{API}/mentions/", {"page_size": 3})
    seen = []
    while True:
        assert answer.status_code == 200
        seen += [m["id"] for m in answer.data["results"]]
        if answer.data["next"] is None:
            break
        assert answer.data["next"].startswith("http://testserver/api/v1/sentiment/mentions/?")
        answer = client.get(answer.data["next"])
    assert seen == [m.pk for m in made]


def _queries(client, path) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(path, {"page_size": 200})
    assert answer.status_code == 200
    return len(queries), len(answer.data["results"])


def test_the_mention_and_alert_lists_cost_the_same_at_3_and_30_rows(demo, api):
    g = group(demo.brand)
    client = api(demo.people["reviewer"])

    def add(n):
        for _ in range(n):
            m = mention(demo.brand)
            m.groups.add(g)
            alert(demo.brand, group=g, mention=m, acknowledged_by=demo.people["pr"], acknowledged_at=timezone.now())

    add(3)
    few_mentions, _ = _queries(client, f"{API}/mentions/")
    few_alerts, _ = _queries(client, f"{API}/alerts/")
    add(27)
    assert _queries(client, f"{API}/mentions/") == (few_mentions, 30)
    assert _queries(client, f"{API}/alerts/") == (few_alerts, 30)
    assert few_mentions <= 2 + 2 and few_alerts <= 2 + 2  # +2: the session and the person signed in


def test_correcting_a_sentiment_stores_a_correction(demo, api, other):
    m = mention(demo.brand)
    client = api(demo.people["reviewer"])
    answer = client.post(f"{API}/mentions/{m.pk}/sentiment/", {"label": "neutral"}, format="json")
    assert answer.status_code == 200, answer.data
    assert (answer.data["sentiment"], answer.data["corrected"]) == ("neutral", True)
    assert [(c["label"], c["was"], c["created_by"]["username"]) for c in answer.data["corrections"]] == [
        ("neutral", "negative", "reviewer")]
    correction = SentimentCorrection.objects.get()
    assert (correction.mention, correction.brand, correction.text) == (m, demo.brand, m.text)
    bad = client.post(f"{API}/mentions/{m.pk}/sentiment/", {"label": "angry"}, format="json")
    assert bad.status_code == 400 and set(bad.data) == {"label"}
    theirs = mention(other)
    assert client.post(f"{API}/mentions/{theirs.pk}/sentiment/", {"label": "neutral"},
                       format="json").status_code == 404
    assert SentimentCorrection.objects.count() == 1


def test_a_reported_post_is_queued_for_the_pipeline(demo, api, other):
    client = api(demo.people["reviewer"])
    answer = client.post(f"{API}/mentions/report/", {"brand": demo.brand.pk, "text": "鲜牧的奶有问题",
                                                      "note": "粉丝私信提醒"}, format="json")
    assert answer.status_code == 202, answer.data
    assert answer.data == {"queued": 1}
    row = Inbound.objects.get()
    assert (row.brand, row.source, row.payload["text"], row.payload["report_note"], row.payload["reported_by"]) == (
        demo.brand, "report", "鲜牧的奶有问题", "粉丝私信提醒", demo.people["reviewer"].pk)
    neither = client.post(f"{API}/mentions/report/", {"brand": demo.brand.pk}, format="json")
    assert neither.status_code == 400 and set(neither.data) == {"link"}
    not_weibo = client.post(f"{API}/mentions/report/", {"brand": demo.brand.pk, "link": "https://example.com/a/b"},
                            format="json")
    assert not_weibo.status_code == 400 and set(not_weibo.data) == {"link"}
    theirs = client.post(f"{API}/mentions/report/", {"brand": other.pk, "text": "x"}, format="json")
    assert theirs.status_code == 400 and set(theirs.data) == {"brand"}
    assert Inbound.objects.count() == 1


def test_outside_systems_submit_batches_of_raw_items(demo, api):
    pr = api(demo.people["pr"])
    body = {"brand": demo.brand.pk, "items": [
        {"text": "鲜牧牛奶不错", "platform_id": "4900001", "author_followers": 12, "posted_at": "2026-11-30T08:00:00Z"},
        {"text": "鲜牧酸奶一般"}]}
    answer = pr.post(f"{API}/mentions/submit/", body, format="json")
    assert answer.status_code == 202, answer.data
    assert answer.data == {"queued": 2}
    payloads = [row.payload for row in Inbound.objects.order_by("id")]
    assert [(p["text"], p["platform_id"], p["author_followers"]) for p in payloads] == [
        ("鲜牧牛奶不错", "4900001", 12), ("鲜牧酸奶一般", "", 0)]
    assert payloads[0]["posted_at"].startswith("2026-11-30T") and payloads[1]["posted_at"] == ""
    assert {row.source for row in Inbound.objects.all()} == {"import"}


def test_a_bad_batch_is_400_per_item_and_nothing_is_queued(demo, api):
    pr = api(demo.people["pr"])
    bad = pr.post(f"{API}/mentions/submit/", {"brand": demo.brand.pk, "items": [
        {"text": "好"}, {"text": ""}, {"text": "还行", "author_followers": -1, "posted_at": "yesterday"}]},
        format="json")
    assert bad.status_code == 400
    errors = bad.json()["items"]  # by the item's position, for the items in error only
    assert {k: sorted(v) for k, v in errors.items()} == {"1": ["text"], "2": ["author_followers", "posted_at"]}
    source = pr.post(f"{API}/mentions/submit/", {"brand": demo.brand.pk, "source": "search",
                                                 "items": [{"text": "x"}]}, format="json")
    assert source.status_code == 400 and set(source.data) == {"source"}
    many = pr.post(f"{API}/mentions/submit/", {"brand": demo.brand.pk, "items": [{"text": "x"}] * 1001},
                   format="json")
    assert many.status_code == 400 and set(many.data) == {"items"}
    empty = pr.post(f"{API}/mentions/submit/", {"brand": demo.brand.pk, "items": []}, format="json")
    assert empty.status_code == 400 and set(empty.data) == {"items"}
    assert not Inbound.objects.exists()
    refused = api(demo.people["reviewer"]).post(f"{API}/mentions/submit/", {}, format="json")
    assert refused.status_code == 403


# --- trends and the word cloud -------------------------------------------------------------------

def test_the_trend_counts_mentions_by_sentiment(demo, api, other):
    g = group(demo.brand)
    mention(demo.brand, minutes_ago=0).groups.add(g)
    mention(demo.brand, minutes_ago=0, sentiment=Sentiment.POSITIVE)
    client = api(demo.people["reviewer"])
    hourly = client.get(f"{API}/trends/", {"brand": demo.brand.pk})
    assert hourly.status_code == 200, hourly.data
    assert (hourly.data["brand"], hourly.data["step"], len(hourly.data["points"])) == (demo.brand.pk, "hour", 24)
    last = hourly.data["points"][-1]
    assert (last["negative"], last["neutral"], last["positive"], last["total"]) == (1, 0, 1, 2)
    assert sum(p["total"] for p in hourly.data["points"]) == 2
    daily = client.get(f"{API}/trends/", {"brand": demo.brand.pk, "days": 7, "group": g.pk})
    assert (daily.data["step"], len(daily.data["points"]), daily.data["points"][-1]["total"]) == ("day", 7, 1)
    bad = client.get(f"{API}/trends/", {"brand": demo.brand.pk, "days": 7, "hours": 3})
    assert bad.status_code == 400 and set(bad.data) == {"days"}
    assert client.get(f"{API}/trends/").status_code == 400
    assert client.get(f"{API}/trends/", {"brand": other.pk}).status_code == 404
    assert client.get(f"{API}/trends/", {"brand": demo.brand.pk, "group": group(other).pk}).status_code == 404


def test_the_word_cloud(demo, api, other):
    mention(demo.brand, keywords=["怪味", "牛奶"])
    mention(demo.brand, keywords=["怪味"], sentiment=Sentiment.POSITIVE)
    client = api(demo.people["reviewer"])
    answer = client.get(f"{API}/wordcloud/", {"brand": demo.brand.pk})
    assert answer.status_code == 200, answer.data
    assert answer.data == {"brand": demo.brand.pk, "words": [{"text": "怪味", "count": 2, "size": 5},
                                                             {"text": "牛奶", "count": 1, "size": 1}]}
    negative = client.get(f"{API}/wordcloud/", {"brand": demo.brand.pk, "sentiment": "positive", "hours": 2})
    assert negative.data["words"] == [{"text": "怪味", "count": 1, "size": 1}]
    assert client.get(f"{API}/wordcloud/", {"brand": other.pk}).status_code == 404


# --- alerts --------------------------------------------------------------------------------------

def test_alerts_are_listed_per_brand_and_acknowledged(demo, api, other):
    m = mention(demo.brand)
    mine = alert(demo.brand, mention=m)
    theirs = alert(other)
    client = api(demo.people["reviewer"])
    answer = client.get(f"{API}/alerts/")
    assert [a["id"] for a in answer.data["results"]] == [mine.pk]
    listed = answer.data["results"][0]
    assert (listed["kind"], listed["count"], listed["mention"]["id"], listed["acknowledged_by"]) == (
        "spike", 12, m.pk, None)
    assert client.get(f"{API}/alerts/", {"acknowledged": "false"}).data["count"] == 1
    assert client.get(f"{API}/alerts/{theirs.pk}/").status_code == 404
    assert client.post(f"{API}/alerts/{theirs.pk}/acknowledge/").status_code == 404
    refused = client.post(f"{API}/alerts/{mine.pk}/acknowledge/", **EN)
    assert refused.status_code == 403
    assert refused.data["detail"] == "Only PR people and managers handle 鲜牧乳业's incidents."
    done = api(demo.people["pr"]).post(f"{API}/alerts/{mine.pk}/acknowledge/")
    assert done.status_code == 200, done.data
    assert done.data["acknowledged_by"]["username"] == "pr" and done.data["acknowledged_at"] is not None
    assert client.get(f"{API}/alerts/", {"acknowledged": "true"}).data["count"] == 1
    again = api(demo.people["manager"]).post(f"{API}/alerts/{mine.pk}/acknowledge/")
    assert again.status_code == 200 and again.data["acknowledged_by"]["username"] == "pr"  # the first one stays


# --- incidents -----------------------------------------------------------------------------------

def _open(client, brand, **body):
    return client.post(f"{API}/incidents/", {"brand": brand.pk, "title": "牛奶怪味", **body}, format="json")


def test_pr_opens_an_incident_on_an_alert_and_handles_it(demo, api):
    a = alert(demo.brand, mention=mention(demo.brand))
    pr = api(demo.people["pr"])
    opened = _open(pr, demo.brand, alert=a.pk, summary="多名网友反映")
    assert opened.status_code == 201, opened.data
    pk = opened.data["id"]
    assert (opened.data["state"], opened.data["kind"], opened.data["summary"], opened.data["alerts"]) == (
        "open", "unknown", "多名网友反映", [a.pk])
    assert opened.data["tasks"] and opened.data["events"][0]["kind"] == "policy"
    a.refresh_from_db()
    assert a.incident_id == pk and a.acknowledged_by == demo.people["pr"]
    typed = pr.post(f"{API}/incidents/{pk}/type/", {"kind": "our_fault"}, format="json")
    assert typed.status_code == 200, typed.data
    assert typed.data["kind"] == "our_fault"
    graded = pr.post(f"{API}/incidents/{pk}/grade/", {"grade": "orange", "reason": "大V转发"}, format="json")
    assert graded.status_code == 200 and graded.data["grade"] == "orange"
    note = pr.post(f"{API}/incidents/{pk}/notes/", {"text": "已联系客户"}, format="json")
    assert note.status_code == 201
    assert (note.data["kind"], note.data["text"], note.data["actor"]["username"]) == ("note", "已联系客户", "pr")
    task = opened.data["tasks"][0]
    ticked = pr.post(f"{API}/incidents/{pk}/tasks/{task['id']}/done/")
    assert ticked.status_code == 200 and ticked.data["done_by"]["username"] == "pr"
    assert pr.post(f"{API}/incidents/{pk}/tasks/999999/done/").status_code == 404
    closed = pr.post(f"{API}/incidents/{pk}/close/", {"lessons": "质检要更早"}, format="json")
    assert closed.status_code == 200 and closed.data["state"] == "closed"
    again = pr.post(f"{API}/incidents/{pk}/close/", {"lessons": "再次"}, format="json", **EN)
    assert again.status_code == 400 and again.data == {"non_field_errors": ["The incident is already closed."]}
    reopened = pr.post(f"{API}/incidents/{pk}/reopen/", {"reason": "又有人发帖"}, format="json")
    assert reopened.status_code == 200 and reopened.data["state"] == "open"


def test_bad_incident_input_is_400_with_field_errors(demo, api, other):
    pr = api(demo.people["pr"])
    theirs = alert(other)
    mixed = _open(pr, demo.brand, alert=theirs.pk)
    assert mixed.status_code == 400 and set(mixed.data) == {"alert"}
    assert set(_open(pr, demo.brand, title="", kind="rumour").data) == {"title", "kind"}
    incident = Incident.objects.create(brand=demo.brand, title="x")
    assert set(pr.post(f"{API}/incidents/{incident.pk}/type/", {"kind": "x"}, format="json").data) == {"kind"}
    assert set(pr.post(f"{API}/incidents/{incident.pk}/grade/", {"grade": "red"}, format="json").data) == {"reason"}
    assert set(pr.post(f"{API}/incidents/{incident.pk}/close/", {"lessons": " "}, format="json").data) == {"lessons"}
    assert set(pr.post(f"{API}/incidents/{incident.pk}/statements/", {"text": "x", "accounts": []},
                       format="json").data) == {"accounts"}
    assert Incident.objects.count() == 1


def test_a_viewer_may_not_handle_incidents_and_another_brands_are_404(demo, api, other):
    reviewer = api(demo.people["reviewer"])
    assert _open(reviewer, demo.brand).status_code == 403
    mine = Incident.objects.create(brand=demo.brand, title="鲜牧", state=IncidentState.OPEN)
    theirs = Incident.objects.create(brand=other, title="别家")
    assert [i["id"] for i in reviewer.get(f"{API}/incidents/").data["results"]] == [mine.pk]
    assert reviewer.get(f"{API}/incidents/{mine.pk}/").status_code == 200
    for verb in ("type", "grade", "close", "notes", "statements"):
        assert reviewer.post(f"{API}/incidents/{mine.pk}/{verb}/", {}, format="json").status_code == 403, verb
        assert reviewer.post(f"{API}/incidents/{theirs.pk}/{verb}/", {}, format="json").status_code == 404, verb
    assert reviewer.get(f"{API}/incidents/{theirs.pk}/").status_code == 404
    pr = api(demo.people["pr"])
    assert _open(pr, other).status_code == 201  # PR handles every brand's incidents
    assert Incident.objects.filter(kind=IncidentType.UNKNOWN).count() == 3


def test_a_statement_is_drafted_fast_tracked_by_a_manager_and_published(demo, api):
    incident = Incident.objects.create(brand=demo.brand, title="牛奶怪味")
    account = demo.accounts["鲜牧乳业"]
    pr = api(demo.people["pr"])
    text = f"关于部分批次牛奶异味的说明：我们已暂停该批次销售。详情 {LINK}"
    drafted = pr.post(f"{API}/incidents/{incident.pk}/statements/", {"text": text, "accounts": [account.pk]},
                      format="json")
    assert drafted.status_code == 201, drafted.data
    assert (drafted.data["incident"], drafted.data["accounts"], drafted.data["urgent"]) == (
        incident.pk, [account.pk], False)
    sid = drafted.data["id"]
    refused = pr.post(f"{API}/incidents/{incident.pk}/statements/{sid}/fast-track/", {"reason": "紧急"},
                      format="json", **EN)
    assert refused.status_code == 403
    manager = api(demo.people["manager"])
    assert set(manager.post(f"{API}/incidents/{incident.pk}/statements/{sid}/fast-track/", {},
                            format="json").data) == {"reason"}
    fast = manager.post(f"{API}/incidents/{incident.pk}/statements/{sid}/fast-track/", {"reason": "紧急"},
                        format="json")
    assert fast.status_code == 200, fast.data
    assert (fast.data["post_state"], fast.data["urgent"]) == ("approved", True)
    other_incident = Incident.objects.create(brand=demo.brand, title="另一件")
    assert manager.post(f"{API}/incidents/{other_incident.pk}/statements/{sid}/publish/").status_code == 404
    published = manager.post(f"{API}/incidents/{incident.pk}/statements/{sid}/publish/")
    assert published.status_code == 200, published.data
    events = [e["kind"] for e in manager.get(f"{API}/incidents/{incident.pk}/").data["events"]]
    assert events[-3:] == ["statement_drafted", "statement_approved", "statement_published"]


def test_the_incident_report(demo, api, other):
    incident = Incident.objects.create(brand=demo.brand, title="牛奶怪味")
    answer = api(demo.people["reviewer"]).get(f"{API}/incidents/{incident.pk}/report/")
    assert answer.status_code == 200, answer.data
    assert (answer.data["title"], answer.data["brand"], answer.data["state"], answer.data["checklist"]) == (
        "牛奶怪味", "鲜牧乳业", "open", [])
    theirs = Incident.objects.create(brand=other, title="别家")
    assert api(demo.people["reviewer"]).get(f"{API}/incidents/{theirs.pk}/report/").status_code == 404


# --- cascades ------------------------------------------------------------------------------------

def _cascade(brand) -> Cascade:
    start = timezone.now() - timedelta(hours=1)
    cascade = Cascade.objects.create(brand=brand, root_id="5000", root_author="吐槽君", root_uid="1",
                                     root_text="鲜牧牛奶有怪味", root_posted_at=start, negative=True,
                                     watch_until=timezone.now() + timedelta(days=1), flagged=True, attack_score=0.4,
                                     stats={"total": 3, "direct": 2, "second_level": 1, "max_depth": 2},
                                     signals=[{"code": "regular", "value": 0.01, "threshold": 0.1,
                                               "baseline": "CED", "fired": True, "evidence": {"minutes": 30}}])
    rows = [("5001", "甲", "转发"), ("5002", "乙", "同感//@甲:转发"), ("5003", "丙", "转")]
    for i, (pid, name, text) in enumerate(rows):
        Repost.objects.create(cascade=cascade, platform_id=pid, uid=f"u{pid}", screen_name=name, text=text,
                              posted_at=start + timedelta(minutes=i + 1), followers=10 * (i + 1))
    return cascade


def test_cascades_with_their_tree_and_key_nodes(demo, api, other):
    mine = _cascade(demo.brand)
    theirs = _cascade(other)
    client = api(demo.people["reviewer"])
    listed = client.get(f"{API}/cascades/")
    assert [c["id"] for c in listed.data["results"]] == [mine.pk]
    detail = client.get(f"{API}/cascades/{mine.pk}/").data
    assert (detail["flagged"], detail["attack_score"], detail["stats"]["total"]) == (True, 0.4, 3)
    assert detail["signals"][0]["code"] == "regular" and detail["signals"][0]["evidence"] == {"minutes": 30}
    tree = client.get(f"{API}/cascades/{mine.pk}/tree/")
    assert tree.status_code == 200
    assert (tree.data["mid"], tree.data["downstream"]) == ("5000", 3)
    assert [c["mid"] for c in tree.data["children"]] == ["5001", "5003"]
    assert [c["mid"] for c in tree.data["children"][0]["children"]] == ["5002"]
    small = client.get(f"{API}/cascades/{mine.pk}/tree/", {"limit": 2})
    assert [c["mid"] for c in small.data["children"]] == ["5001"] and small.data["hidden"] == 1
    assert set(client.get(f"{API}/cascades/{mine.pk}/tree/", {"limit": 0}).data) == {"limit"}
    nodes = client.get(f"{API}/cascades/{mine.pk}/key-nodes/")
    assert nodes.status_code == 200
    assert nodes.data == [{"mid": "5001", "screen_name": "甲", "uid": "u5001", "followers": 10, "downstream": 1,
                           "direct": 1, "depth": 1}]
    for path in ("", "tree/", "key-nodes/"):
        assert client.get(f"{API}/cascades/{theirs.pk}/{path}").status_code == 404


# --- schema --------------------------------------------------------------------------------------

def test_every_endpoint_is_in_the_schema(api, demo):
    paths = api(demo.people["manager"]).get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    for path in ("groups/", "groups/{id}/", "mentions/", "mentions/{id}/", "mentions/{id}/sentiment/",
                 "mentions/report/", "mentions/submit/", "trends/", "wordcloud/", "alerts/", "alerts/{id}/",
                 "alerts/{id}/acknowledge/", "incidents/", "incidents/{id}/", "incidents/{id}/type/",
                 "incidents/{id}/grade/", "incidents/{id}/close/", "incidents/{id}/reopen/", "incidents/{id}/notes/",
                 "incidents/{id}/tasks/{task_id}/done/", "incidents/{id}/statements/",
                 "incidents/{id}/statements/{statement_id}/fast-track/",
                 "incidents/{id}/statements/{statement_id}/publish/", "incidents/{id}/report/", "cascades/",
                 "cascades/{id}/", "cascades/{id}/tree/", "cascades/{id}/key-nodes/"):
        assert f"/api/v1/sentiment/{path}" in paths, path
    submit = paths["/api/v1/sentiment/mentions/submit/"]["post"]
    assert submit["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/MentionSubmit")
    assert "202" in submit["responses"]
    page = paths["/api/v1/sentiment/mentions/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert page == {"$ref": "#/components/schemas/MentionPage"}


def test_the_schema_validates_without_warnings(tmp_path):
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_a_token_from_the_api_tokens_page_reads_the_mentions(demo, api):
    from team.services import api_token_create

    m = mention(demo.brand)
    _instance, token = api_token_create(user=demo.people["reviewer"])
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    answer = client.get(f"{API}/mentions/")
    assert answer.status_code == 200
    assert [row["id"] for row in answer.data["results"]] == [m.pk]


def test_a_submitted_link_that_is_not_on_weibo_is_400_and_nothing_is_queued(demo, api):
    pr = api(demo.people["pr"])
    answer = pr.post(f"{API}/mentions/submit/", {"brand": demo.brand.pk, "items": [
        {"text": "鲜牧牛奶", "url": "https://weibo.com/1642634100/NqWkG8yZa"},
        {"text": "鲜牧酸奶", "url": "javascript:alert(1)"},
        {"text": "鲜牧客服", "url": "https://evil.example/weibo.com"}]}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    errors = answer.json()["items"]
    assert sorted(errors) == ["1", "2"] and errors["2"] == {"url": [
        "Give the post's link on Weibo (http or https, on weibo.com, weibo.cn or t.cn), or leave it out."]}


@pytest.mark.parametrize("far", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00", "0001-01-01T00:00:00+14:00"])
def test_far_dates_are_400s_with_field_errors(demo, api, far):
    client = api(demo.people["manager"])
    listed = client.get(f"{API}/mentions/", {"since": far, "until": far}, HTTP_ACCEPT_LANGUAGE="en")
    assert listed.status_code == 400
    assert listed.data == {"since": ["Give a date between 2000-01-01 and 2999-12-31."],
                           "until": ["Give a date between 2000-01-01 and 2999-12-31."]}
    submitted = client.post(f"{API}/mentions/submit/", {"brand": demo.brand.pk, "source": "import", "items": [
        {"text": "鲜牧酸奶真好喝", "posted_at": far, "author_created_at": far}]}, format="json",
        HTTP_ACCEPT_LANGUAGE="en")
    assert submitted.status_code == 400
    assert submitted.data == {"items": {0: {"posted_at": ["Give a date between 2000-01-01 and 2999-12-31."],
                                            "author_created_at": ["Give a date between 2000-01-01 and 2999-12-31."]}}}
    assert not Inbound.objects.exists()
