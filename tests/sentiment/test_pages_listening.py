"""The listening pages: overview, mentions with corrections, word of mouth, keyword groups, imports, reports and
settings, for PR and managers, refused to outsiders."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from itertools import count

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from sentiment import imports, services
from sentiment.models import (
    ImportBatch,
    ImportState,
    Inbound,
    Mention,
    MentionSource,
    MonitoringSettings,
    RuleGroup,
    Sentiment,
    SentimentCorrection,
)

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HTMX = {"HTTP_HX_REQUEST": "true", **EN}
_ids = count(1)

LANGUAGE = "en"  # the people these tests sign in have chosen English: the tests read its words


@pytest.fixture(autouse=True)
def _no_worker(monkeypatch):
    """The pipeline worker is not woken (nothing commits in a test anyway)."""
    from types import SimpleNamespace

    from sentiment import tasks

    monkeypatch.setattr(tasks, "pipeline_run", SimpleNamespace(delay=lambda *a, **k: None), raising=False)


def mention_make(brand, *, text="鲜牧牛奶很好喝", sentiment=Sentiment.POSITIVE, **fields) -> Mention:
    n = next(_ids)
    return Mention.objects.create(
        brand=brand, source=fields.pop("source", MentionSource.SEARCH), text=text, text_key=f"{n:040d}",
        posted_at=fields.pop("posted_at", timezone.now() - timedelta(minutes=n)), sentiment=sentiment,
        score=fields.pop("score", 0.87), keywords=fields.pop("keywords", ["牛奶", "好喝"]), **fields)


def _pages(demo) -> list[str]:
    group = services.group_create(brand=demo.brand, by=demo.people["pr"], name="品牌", include_terms=["鲜牧"])
    batch = imports.import_read(brand=demo.brand, by=demo.people["pr"],
                                upload=SimpleUploadedFile("a.csv", "内容\n好喝\n".encode()))
    return [reverse(name) for name in ("sentiment:overview", "sentiment:mentions", "sentiment:board",
                                       "sentiment:rules", "sentiment:rule_create", "sentiment:import_upload",
                                       "sentiment:report", "sentiment:settings")] + [
        reverse("sentiment:rule_edit", args=[group.pk]), reverse("sentiment:rule_delete", args=[group.pk]),
        reverse("sentiment:import_map", args=[batch.pk]), reverse("sentiment:import_detail", args=[batch.pk])]


def test_every_page_renders_for_pr_and_managers_and_is_refused_to_outsiders(demo, login, client):
    mention_make(demo.brand, keywords=["漏奶"], sentiment=Sentiment.NEGATIVE)
    pages = _pages(demo)
    for username in ("pr", "manager"):
        login(demo.people[username])
        for url in pages:
            response = client.get(url, **EN)
            assert response.status_code == 200, (username, url)
            assert "Opinion monitoring" in response.content.decode()  # the sub-navigation
    login(demo.people["logistics"])  # a department contact: no account of the brand
    for url in pages:
        assert client.get(url, **EN).status_code == 403, url
    mention = Mention.objects.get()
    assert client.post(reverse("sentiment:mention_correct", args=[mention.pk]), {"label": "neutral"}).status_code == 403
    assert client.post(reverse("sentiment:report"), {"text": "差评"}).status_code == 403
    assert client.post(reverse("sentiment:board_action", args=[mention.pk, "quote"]), {}).status_code == 403
    assert not Inbound.objects.exists() and not SentimentCorrection.objects.exists()


def test_people_who_see_but_do_not_manage_get_no_rules_or_settings(demo, login):
    client = login(demo.people["reviewer"])
    assert client.get(reverse("sentiment:mentions"), **EN).status_code == 200
    assert client.get(reverse("sentiment:rules"), **EN).status_code == 403
    assert client.post(reverse("sentiment:settings"), {"bucket_minutes": "1"}, **EN).status_code == 403


def test_overview_shows_the_trend_the_clouds_and_today(demo, login):
    for keywords in (["漏奶", "包装"], ["漏奶"], ["漏奶"]):
        mention_make(demo.brand, text="漏奶了", keywords=keywords, sentiment=Sentiment.NEGATIVE)
    mention_make(demo.brand, keywords=["好喝"], source=MentionSource.REPORT)
    page = login(demo.people["pr"]).get(reverse("sentiment:overview"), **EN)
    html = page.content.decode()
    assert page.context["today"].by_sentiment["negative"] == 3
    assert html.count("<svg") == 2 and 'role="img"' in html and "<table class=\"trend-table\">" in html
    assert f'{reverse("sentiment:mentions")}?q=%E6%BC%8F%E5%A5%B6&amp;sentiment=negative' in html
    assert [w.text for w in page.context["cloud_negative"]] == ["漏奶", "包装"]


def test_rule_errors_are_shown_under_their_fields(demo, login):
    client = login(demo.people["pr"])
    response = client.post(reverse("sentiment:rule_create"), {
        "name": "竞品", "kind": "competitor", "include_terms": "蒙牛，伊利\n光明", "exclude_terms": "伊利",
        "search_enabled": "on", "is_active": "on"}, **EN)
    assert response.status_code == 400
    assert response.context["form"].errors["exclude_terms"] == [
        "A term cannot be both included and excluded: 伊利. Remove it from one of the lists."]
    assert "A term cannot be both included and excluded" in response.content.decode()
    assert not RuleGroup.objects.exists()
    response = client.post(reverse("sentiment:rule_create"), {
        "name": "竞品", "kind": "competitor", "include_terms": "蒙牛，伊利\n光明, 蒙牛", "exclude_terms": "伊利股份",
        "context_terms": "", "is_active": "on"}, **EN)
    assert response.status_code == 302
    group = RuleGroup.objects.get()
    assert (group.include_terms, group.exclude_terms, group.search_enabled) == (["蒙牛", "伊利", "光明"], ["伊利股份"],
                                                                               False)
    page = client.get(reverse("sentiment:rules"), **EN).content.decode()
    assert "蒙牛、伊利、光明" in page and "off: only @s, comments, imports and reports are matched" in page
    RuleGroup.objects.filter(pk=group.pk).update(search_enabled=True, search_problem="Rate limited until 12:00")
    assert "Rate limited until 12:00" in client.get(reverse("sentiment:rules"), **EN).content.decode()
    assert client.post(reverse("sentiment:rule_edit", args=[group.pk]), {
        "name": "竞品", "kind": "competitor", "include_terms": "x" * 31}, **EN).status_code == 400
    assert client.post(reverse("sentiment:rule_delete", args=[group.pk])).status_code == 302
    assert not RuleGroup.objects.exists()


def test_a_correction_by_htmx_stores_it_and_swaps_the_row(demo, login):
    mention = mention_make(demo.brand, text="包装破了", sentiment=Sentiment.POSITIVE)
    client = login(demo.people["agent"])
    response = client.post(reverse("sentiment:mention_correct", args=[mention.pk]), {"label": "negative"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<li class="card mention s-negative corrected-now" id="mention-{mention.pk}">')
    assert 'value="negative" class="s-negative" aria-pressed="true"' in html and "by a person" in html
    mention.refresh_from_db()
    assert (mention.sentiment, mention.corrected) == ("negative", True)
    correction = SentimentCorrection.objects.get()
    assert (correction.label, correction.was, correction.created_by) == ("negative", "positive", demo.people["agent"])
    # Without htmx: back to the list.
    response = client.post(reverse("sentiment:mention_correct", args=[mention.pk]), {"label": "neutral"}, **EN)
    assert response.status_code == 302 and SentimentCorrection.objects.count() == 2


def test_the_mention_list_escapes_text_and_shows_the_row(demo, login):
    group = services.group_create(brand=demo.brand, by=demo.people["pr"], name="品牌", include_terms=["鲜牧"])
    mention = mention_make(demo.brand, text="<script>alert('x')</script>鲜牧", author_name="<b>坏人</b>",
                           keywords=["<img src=x>"], copies=4, author_followers=12345,
                           url="https://weibo.com/1/4990123456789012")
    mention.groups.add(group)
    html = login(demo.people["pr"]).get(reverse("sentiment:mentions"), **EN).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;鲜牧" in html
    assert "<b>坏人</b>" not in html and "&lt;b&gt;坏人&lt;/b&gt;" in html and "<img src=x>" not in html
    assert "×4" in html and "12.3K followers" in html and 'title="12,345"' in html
    assert "87%" in html and "Keyword search" in html
    assert 'href="https://weibo.com/1/4990123456789012"' in html and '<span class="tag">品牌</span>' in html


def test_the_mention_list_query_count_is_the_same_for_3_and_30_mentions(demo, login):
    group = services.group_create(brand=demo.brand, by=demo.people["pr"], name="品牌", include_terms=["鲜牧"])
    client = login(demo.people["pr"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("sentiment:mentions"), **EN).status_code == 200
        return len(captured)

    for _ in range(3):
        mention_make(demo.brand).groups.add(group)
    few = queries()
    for _ in range(27):
        mention_make(demo.brand).groups.add(group)
    assert queries() == few


def test_filters_and_keyset_pages_on_the_list(demo, login):
    for i in range(60):
        mention_make(demo.brand, text=f"第{i}条 鲜牧", sentiment=Sentiment.NEGATIVE if i % 2 else Sentiment.POSITIVE)
    client = login(demo.people["pr"])
    first = client.get(reverse("sentiment:mentions"), {"sentiment": "negative"}, **EN)
    assert len(first.context["rows"]) == 30 and not first.context["next_url"]
    page = client.get(reverse("sentiment:mentions"), **EN)
    assert len(page.context["rows"]) == 50 and page.context["next_url"]
    rest = client.get(reverse("sentiment:mentions") + page.context["next_url"], **EN)
    seen = [m.pk for m in page.context["rows"]] + [m.pk for m in rest.context["rows"]]
    assert len(seen) == len(set(seen)) == 60
    bogus = client.get(reverse("sentiment:mentions"), {"sentiment": "angry", "group": "999", "cursor": "x"}, **EN)
    assert bogus.status_code == 200 and len(bogus.context["rows"]) == 50


def test_a_report_by_link_queues_the_post_with_the_reporter(demo, login):
    client = login(demo.people["operator"])
    response = client.post(reverse("sentiment:report"), {
        "link": "https://weibo.com/1234567890/4990123456789012", "text": "", "note": "门店同事看到的"}, **EN)
    assert response.status_code == 302
    item = Inbound.objects.get()
    assert (item.source, item.payload["platform_id"], item.payload["reported_by"], item.payload["report_note"]) == (
        "report", "4990123456789012", demo.people["operator"].pk, "门店同事看到的")
    response = client.post(reverse("sentiment:report"), {"link": "https://example.com/x/y"}, **EN)
    assert response.status_code == 400
    assert "not a link to a Weibo post" in response.context["form"].errors["link"][0]
    response = client.post(reverse("sentiment:report"), {"link": "", "text": ""}, **EN)
    assert response.context["form"].errors["text"] == ["Paste the post's link or its text (or both)."]
    assert Inbound.objects.count() == 1


CSV = ("微博内容,发布时间,用户昵称,粉丝数,转发数,情感倾向\n"
       "鲜牧酸奶真好喝,2024-05-01 12:30,小王,100,3,正面\n"
       "包装漏了,上周三,小李,10,0,负面\n"
       "客服回复很快,2024-05-02 08:00,小张,20,1,正面\n")


def test_a_csv_import_is_mapped_previewed_and_confirmed_once(demo, login):
    client = login(demo.people["pr"])
    upload = SimpleUploadedFile("监测导出.csv", b"\xef\xbb\xbf" + CSV.encode(), content_type="text/csv")
    response = client.post(reverse("sentiment:import_upload"), {"file": upload}, **EN)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("sentiment:import_map", args=[batch.pk])
    page = client.get(response.url, **EN)
    form = page.context["form"]
    assert {name: form[name].value() for name in ("text", "posted_at", "author_name", "author_followers",
                                                  "reposts")} == {
        "text": "微博内容", "posted_at": "发布时间", "author_name": "用户昵称", "author_followers": "粉丝数",
        "reposts": "转发数"}
    html = page.content.decode()
    assert "Row 3: “上周三” is not a date and time we can read" in html
    assert [row.line for row in page.context["preview"] if row.problems] == [3]
    data = {name: form[name].value() or "" for name in imports.FIELDS} | {"confirm": "1"}
    response = client.post(reverse("sentiment:import_map", args=[batch.pk]), data, **EN)
    assert response.status_code == 302 and response.url == reverse("sentiment:import_detail", args=[batch.pk])
    batch.refresh_from_db()
    assert (batch.state, batch.rows_total, batch.rows_queued) == (ImportState.DONE, 3, 2)
    items = Inbound.objects.order_by("id")
    assert [(i.source, i.payload["text"], i.payload["import_batch"]) for i in items] == [
        ("import", "鲜牧酸奶真好喝", batch.pk), ("import", "客服回复很快", batch.pk)]
    detail = client.get(reverse("sentiment:import_detail", args=[batch.pk]), **EN).content.decode()
    assert "Rows skipped" in detail and "上周三" in detail
    # A second confirmation goes to the result and queues nothing more.
    assert client.post(reverse("sentiment:import_map", args=[batch.pk]), data).status_code == 302
    assert Inbound.objects.count() == 2


def test_an_import_without_the_text_column_or_of_a_bad_file_is_refused(demo, login):
    client = login(demo.people["pr"])
    response = client.post(reverse("sentiment:import_upload"),
                           {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4 ...")}, **EN)
    assert response.status_code == 400 and "Upload the export as CSV or .xlsx." in response.content.decode()
    batch = imports.import_read(brand=demo.brand, by=demo.people["pr"],
                                upload=SimpleUploadedFile("a.csv", CSV.encode()))
    response = client.post(reverse("sentiment:import_map", args=[batch.pk]), {"text": "", "confirm": "1"}, **EN)
    assert response.status_code == 400
    assert response.context["form"].errors["text"] == ["Choose the column that holds the mention's text."]
    assert not Inbound.objects.exists()


def test_an_xlsx_upload_is_read(demo, login):
    book = Workbook()
    book.active.append(["content", "date", "author", "likes"])
    book.active.append(["Love the yoghurt", datetime(2024, 5, 1, 9, 0), "Ann", 5])
    data = io.BytesIO()
    book.save(data)
    client = login(demo.people["manager"])
    response = client.post(reverse("sentiment:import_upload"),
                           {"file": SimpleUploadedFile("export.xlsx", data.getvalue())}, **EN)
    assert response.status_code == 302
    page = client.get(response.url, **EN)
    assert [row.cells for row in page.context["preview"]] == [
        {"text": "Love the yoghurt", "posted_at": "2024-05-01 09:00:00", "author_name": "Ann", "likes": "5"}]


def test_word_of_mouth_quote_makes_a_draft_and_opens_it(demo, login):
    mention = mention_make(demo.brand, text="鲜牧酸奶太好喝了，天天都想喝", author_name="小王", author_followers=90_000)
    client = login(demo.people["operator"])
    board = client.get(reverse("sentiment:board"), **EN)
    html = board.content.decode()
    assert [m.pk for m in board.context["rows"]] == [mention.pk]
    assert reverse("sentiment:board_action", args=[mention.pk, "quote"]) in html
    account = demo.accounts["鲜牧乳业"]
    response = client.post(reverse("sentiment:board_action", args=[mention.pk, "quote"]), {"account": account.pk},
                           **EN)
    from content.models import Post

    post = Post.objects.get()
    assert response.status_code == 302 and response.url == reverse("content:post", args=[post.pk])
    assert (post.is_original, post.state, post.text.split(" https://")[0]) == (
        False, "draft", "谢谢你的喜欢！//@小王:鲜牧酸奶太好喝了，天天都想喝")
    # What the account's playbook forbids (advertising-law superlatives) is refused with the reason.
    boast = mention_make(demo.brand, text="鲜牧是最好的牛奶", author_name="小李")
    response = client.post(reverse("sentiment:board_action", args=[boast.pk, "repost"]), {"account": account.pk},
                           follow=True, **EN)
    assert "No draft was made." in response.content.decode() and "playbook forbids: 最好" in response.content.decode()
    # An account the person may not draft on is refused; someone without any sees no buttons.
    other = demo.accounts["鲜牧华东"]
    response = client.post(reverse("sentiment:board_action", args=[mention.pk, "thank"]), {"account": other.pk})
    assert response.status_code == 403 and Post.objects.count() == 1
    html = login(demo.people["reviewer"]).get(reverse("sentiment:board"), **EN).content.decode()
    assert "board_action" not in html and "/quote/" not in html and "You may not draft posts" in html


def test_settings_never_show_the_secret_and_blank_keeps_it(demo, login):
    client = login(demo.people["pr"])
    data = {"bucket_minutes": "5", "spike_min_count": "6", "spike_factor": "2.5", "influential_followers": "80000",
            "yellow_people": "10", "yellow_reach": "10000", "orange_people": "50", "orange_reach": "500000",
            "red_people": "200", "red_reach": "5000000", "webhook_url": "https://hooks.example.com/a",
            "webhook_secret": "top-secret-123", "email_alerts": "on"}
    assert client.post(reverse("sentiment:settings"), data, **EN).status_code == 302
    row = MonitoringSettings.objects.get(brand=demo.brand)
    assert (row.bucket_minutes, row.webhook_secret, row.grades["orange"]) == (5, "top-secret-123",
                                                                              {"people": 50, "reach": 500000})
    page = client.get(reverse("sentiment:settings"), **EN).content.decode()
    assert "top-secret-123" not in page and "A webhook secret is stored." in page
    assert client.post(reverse("sentiment:settings"), data | {"webhook_secret": "", "bucket_minutes": "7"},
                       **EN).status_code == 302
    row.refresh_from_db()
    assert (row.bucket_minutes, row.webhook_secret) == (7, "top-secret-123")
    response = client.post(reverse("sentiment:settings"), data | {"orange_people": "5"}, **EN)
    assert response.status_code == 400
    assert response.context["form"].errors["orange_people"] == [
        "Yellow < orange < red: each grade needs more than the one below."]


def test_an_imported_javascript_link_is_never_rendered_as_a_link(demo, login):
    from sentiment.sources import inbound_process

    client = login(demo.people["pr"])
    upload = SimpleUploadedFile("export.csv", "内容,链接\n鲜牧牛奶太难喝了,javascript:alert(1)\n"
                                "鲜牧酸奶不错,https://weibo.com/1642634100/NqWkG8yZa\n".encode())
    response = client.post(reverse("sentiment:import_upload"), {"file": upload}, **EN)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    response = client.post(reverse("sentiment:import_map", args=[batch.pk]),
                           {"text": "内容", "url": "链接", "confirm": "1"}, **EN)
    assert response.status_code == 302
    detail_url = response.url
    inbound_process()  # the pipeline worker's turn
    for name in ("sentiment:mentions", "sentiment:board"):
        html = client.get(reverse(name), **EN).content.decode().lower()
        assert "javascript:" not in html, name
        assert 'href="https://weibo.com/1642634100/nqwkg8yza"' in html, name
    assert list(Mention.objects.order_by("text").values_list("text", "url")) == [
        ("鲜牧牛奶太难喝了", ""), ("鲜牧酸奶不错", "https://weibo.com/1642634100/NqWkG8yZa")]
    detail = client.get(detail_url, **EN).content.decode()
    assert "Rows imported with a warning" in detail and "is not an http(s) link to Weibo" in detail
    # A link stored before this check (or by any other way in) is not rendered either.
    mention_make(demo.brand, text="鲜牧牛奶送货慢", url=" JaVaScRiPt:alert(1)")
    for name in ("sentiment:mentions", "sentiment:board"):
        html = client.get(reverse(name), **EN).content.decode().lower()
        assert "javascript:" not in html and "鲜牧牛奶送货慢" in html, name


def test_the_settings_are_refused_to_someone_who_manages_one_account(demo, login):
    client = login(demo.people["operator"])  # owns 鲜牧酸奶: may see monitoring and edit keyword groups
    assert client.get(reverse("sentiment:rules"), **EN).status_code == 200
    assert client.get(reverse("sentiment:settings"), **EN).status_code == 403
    response = client.post(reverse("sentiment:settings"), {"webhook_url": "https://8.8.8.8/"}, **EN)
    assert response.status_code == 403
    assert "Only PR people and managers change the monitoring settings." in response.content.decode()
    assert not MonitoringSettings.objects.filter(webhook_url__gt="").exists()
    nav = client.get(reverse("sentiment:mentions"), **EN).content.decode()
    assert reverse("sentiment:rules") in nav and reverse("sentiment:settings") not in nav
    for username in ("pr", "manager"):
        client = login(demo.people[username])
        assert client.get(reverse("sentiment:settings"), **EN).status_code == 200
        assert reverse("sentiment:settings") in client.get(reverse("sentiment:mentions"), **EN).content.decode()


def test_a_webhook_to_the_metadata_address_is_a_form_error(demo, login):
    client = login(demo.people["pr"])
    data = {"bucket_minutes": "5", "spike_min_count": "6", "spike_factor": "2.5", "influential_followers": "80000",
            "yellow_people": "10", "yellow_reach": "10000", "orange_people": "50", "orange_reach": "500000",
            "red_people": "200", "red_reach": "5000000", "webhook_url": "http://169.254.169.254/latest/meta-data/",
            "webhook_secret": "top-secret-123"}
    response = client.post(reverse("sentiment:settings"), data, **EN)
    assert response.status_code == 400
    assert response.context["form"].errors["webhook_url"] == [
        "The webhook must be a service on the internet: 169.254.169.254 is a private, loopback or link-local "
        "address (169.254.169.254), which the server does not call."]
    assert not MonitoringSettings.objects.filter(webhook_url__gt="").exists()


@pytest.mark.parametrize("far", ["9999-12-31", "0001-01-01"])
def test_far_dates_in_the_mention_filters_are_a_form_error(demo, login, far):
    response = login(demo.people["pr"]).get(reverse("sentiment:mentions"), {"since": far, "until": far}, **EN)
    assert response.status_code == 200
    assert response.context["form"].errors["until"] == ["Give a date between 2000-01-01 and 2999-12-31."]
    assert "Give a date between 2000-01-01 and 2999-12-31." in response.content.decode()


def test_an_import_row_dated_far_away_is_a_problem_not_a_queued_mention(demo, login):
    client = login(demo.people["pr"])
    data = "微博内容,发布时间\n鲜牧酸奶真好喝,0001-01-01 00:00\n包装漏了,9999-12-31 23:59\n好喝,2024-05-01 12:30\n"
    upload = SimpleUploadedFile("far.csv", data.encode(), content_type="text/csv")
    client.post(reverse("sentiment:import_upload"), {"file": upload}, **EN)
    batch = ImportBatch.objects.get()
    page = client.get(reverse("sentiment:import_map", args=[batch.pk]), **EN)
    assert [(row.line, row.problems) for row in page.context["preview"] if row.problems] == [
        (2, ["Row 2: Give a date between 2000-01-01 and 2999-12-31."]),
        (3, ["Row 3: Give a date between 2000-01-01 and 2999-12-31."])]
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in imports.FIELDS} | {"confirm": "1"}
    assert client.post(reverse("sentiment:import_map", args=[batch.pk]), data, **EN).status_code == 302
    assert [i.payload["text"] for i in Inbound.objects.all()] == ["好喝"]


def test_follower_counts_read_as_people_read_them(demo, login):
    mention_make(demo.brand, author_name="大V", author_followers=6565860, reposts=12345)
    client = login(demo.people["pr"], language="zh-hans")
    zh = client.get(reverse("sentiment:board")).content.decode()
    assert "656.6万" in zh and "1.2万" in zh and "6565860" not in zh.replace('title="6,565,860"', "")
    assert 'title="6,565,860"' in zh
    client = login(demo.people["pr"], language="en")
    en = client.get(reverse("sentiment:mentions")).content.decode()
    assert "6.6M followers" in en and "6565860" not in en


def test_chart_labels_sit_in_their_own_cells_under_the_bars(demo, login):
    """The SVG stretches to the card (1280 px or 390 px alike), so labels inside it stretched into each other:
    they are an HTML row of equal cells, one per labelled stretch of bars."""
    mention_make(demo.brand)
    page = login(demo.people["pr"]).get(reverse("sentiment:overview"), **EN)
    html = page.content.decode()
    assert "<text" not in html
    week, day = page.context["week"], page.context["day"]
    assert len(week["labels"]) == 7 and week["labels"] == [b.label for b in week["bars"]]
    assert len(day["labels"]) == 6 and day["labels"] == [b.label for b in day["bars"][::4]]
    axis = html.split('class="chart-axis"')[2].split("</ol>")[0]
    assert axis.count("<li>") == 7 and all(len(label) == 5 for label in week["labels"])  # "12-07"
