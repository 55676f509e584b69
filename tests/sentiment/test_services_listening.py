"""Writes and reads behind the listening pages: keyword groups, corrections, reports, word of mouth, imports,
settings, and the trend, word cloud and mention pages."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook

from sentiment import imports, services, trends
from sentiment.models import (
    ImportState,
    Inbound,
    Mention,
    MentionSource,
    MonitoringSettings,
    RuleGroup,
    Sentiment,
    SentimentCorrection,
)
from team.models import User

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]  # embedded: imports in one transaction, queued searches
SHANGHAI = ZoneInfo("Asia/Shanghai")
_ids = count(1)


@pytest.fixture(autouse=True)
def _english_and_no_worker(monkeypatch):
    """Messages are compared in English; the pipeline worker is not woken (nothing commits in a test anyway)."""
    from types import SimpleNamespace

    from django.utils import translation

    from sentiment import tasks

    monkeypatch.setattr(tasks, "pipeline_run", SimpleNamespace(delay=lambda *a, **k: None), raising=False)
    with translation.override("en"):
        yield


def mention_make(brand, *, text="鲜牧牛奶很好喝", sentiment=Sentiment.POSITIVE, posted_at=None, **fields) -> Mention:
    n = next(_ids)
    return Mention.objects.create(
        brand=brand, source=fields.pop("source", MentionSource.SEARCH), text=text, text_key=f"{n:040d}",
        posted_at=posted_at or timezone.now() - timedelta(minutes=n), sentiment=sentiment,
        score=fields.pop("score", 0.9), keywords=fields.pop("keywords", ["牛奶"]), **fields)


# --- keyword groups ------------------------------------------------------------------------------

def test_group_terms_are_trimmed_deduplicated_and_checked(demo):
    pr = demo.people["pr"]
    group = services.group_create(brand=demo.brand, by=pr, name="品牌", include_terms=[" 鲜牧 ", "鲜牧", "", "ＸＭ",
                                                                                      "xm"],
                                  exclude_terms=["鲜牧村"], context_terms=["牛奶", "牛奶 "])
    assert group.include_terms == ["鲜牧", "ＸＭ"]
    assert group.context_terms == ["牛奶"]

    with pytest.raises(ValidationError) as error:
        services.group_create(brand=demo.brand, by=pr, name="竞品", include_terms=["蒙牛", "伊利"],
                              exclude_terms=["伊利 "])
    assert error.value.message_dict["exclude_terms"] == [
        "A term cannot be both included and excluded: 伊利. Remove it from one of the lists."]
    with pytest.raises(ValidationError) as error:
        services.group_create(brand=demo.brand, by=pr, name="品牌", include_terms=["x" * 31])
    assert set(error.value.message_dict) == {"name", "include_terms"}
    assert error.value.message_dict["include_terms"][0].startswith("Terms are at most 30 characters")
    with pytest.raises(ValidationError) as error:
        services.group_create(brand=demo.brand, by=pr, name="太多", include_terms=[f"词{i}" for i in range(10_001)])
    assert "At most 10,000 terms" in error.value.message_dict["include_terms"][0]
    with pytest.raises(ValidationError) as error:
        services.group_create(brand=demo.brand, by=pr, name="空", include_terms=[" ", ""])
    assert error.value.message_dict["include_terms"] == ["Give at least one term to listen for."]
    assert RuleGroup.objects.count() == 1


def test_group_update_resets_the_search_window_for_new_terms_and_outsiders_are_refused(demo):
    pr = demo.people["pr"]
    group = services.group_create(brand=demo.brand, by=pr, name="品牌", include_terms=["鲜牧"])
    RuleGroup.objects.filter(pk=group.pk).update(searched_until=timezone.now(), search_problem="budget")
    group.refresh_from_db()
    services.group_update(group=group, by=pr, include_terms=["鲜牧", "鲜牧酸奶"])
    group.refresh_from_db()
    assert (group.include_terms, group.searched_until, group.search_problem) == (["鲜牧", "鲜牧酸奶"], None, "")
    with pytest.raises(PermissionDenied):
        services.group_update(group=group, by=demo.people["reviewer"], name="改名")
    with pytest.raises(PermissionDenied):
        services.group_delete(group=group, by=demo.people["logistics"])
    services.group_delete(group=group, by=pr)
    assert not RuleGroup.objects.exists()


# --- corrections, reports ------------------------------------------------------------------------

def test_a_correction_changes_the_mention_and_is_kept_for_training(demo):
    mention = mention_make(demo.brand, text="包装破了，牛奶洒了一地", sentiment=Sentiment.POSITIVE)
    services.mention_correct(mention=mention, by=demo.people["pr"], label=Sentiment.NEGATIVE)
    mention.refresh_from_db()
    assert (mention.sentiment, mention.corrected) == ("negative", True)
    correction = SentimentCorrection.objects.get()
    assert (correction.text, correction.label, correction.was, correction.brand_id, correction.created_by) == (
        "包装破了，牛奶洒了一地", "negative", "positive", demo.brand.pk, demo.people["pr"])
    with pytest.raises(ValidationError):
        services.mention_correct(mention=mention, by=demo.people["pr"], label="angry")
    with pytest.raises(PermissionDenied):
        services.mention_correct(mention=mention, by=demo.people["logistics"], label="neutral")
    assert SentimentCorrection.objects.count() == 1


def _id_to_mid(pid: str) -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    parts, end = [], len(pid)
    while end > 0:
        start = max(0, end - 7)
        number, chars = int(pid[start:end]), ""
        while number:
            number, rest = divmod(number, 62)
            chars = alphabet[rest] + chars
        parts.append(chars.rjust(4, "0") if start else chars)
        end = start
    return "".join(reversed(parts))


@pytest.mark.parametrize(("link", "pid"), [
    ("https://weibo.com/1234567890/4990123456789012", "4990123456789012"),
    ("https://m.weibo.cn/status/4990123456789012?sourceType=weixin", "4990123456789012"),
    ("m.weibo.cn/detail/4990123456789012", "4990123456789012"),
    (f"https://weibo.com/1234567890/{_id_to_mid('4990123456789012')}", "4990123456789012"),
])
def test_weibo_links_are_parsed_into_the_status_id(link, pid):
    assert services.link_parse(link)[0] == pid


def test_other_links_are_refused():
    for link in ("https://example.com/1234567/4990123456789012", "https://weibo.com/u/1234567890",
                 "javascript:alert(1)"):
        with pytest.raises(ValidationError) as error:
            services.link_parse(link)
        assert "not a link to a Weibo post" in error.value.message_dict["link"][0]


def test_a_report_queues_an_inbound_item_with_the_reporter(demo):
    agent = demo.people["agent"]
    queued = services.mention_report(brand=demo.brand, by=agent, link="https://m.weibo.cn/detail/4990123456789012",
                                     text="", note="粉丝私信告诉我的")
    assert queued == 1
    item = Inbound.objects.get()
    assert (item.source, item.brand_id) == ("report", demo.brand.pk)
    assert item.payload["platform_id"] == "4990123456789012"
    assert (item.payload["reported_by"], item.payload["report_note"]) == (agent.pk, "粉丝私信告诉我的")
    assert item.payload["text"]  # the pipeline never gets an empty text
    with pytest.raises(ValidationError) as error:
        services.mention_report(brand=demo.brand, by=agent, link="", text="  ", note="")
    assert error.value.message_dict == {"text": ["Paste the post's link or its text (or both)."]}
    with pytest.raises(PermissionDenied):
        services.mention_report(brand=demo.brand, by=demo.people["logistics"], text="差评")
    assert Inbound.objects.count() == 1


def test_a_report_by_link_reads_the_post_from_weibo(demo, weibo, live_server):
    from positioning.management.commands.weibo_sandbox import connect_through_sandbox

    connect_through_sandbox(demo.accounts["鲜牧乳业"], uid="5500000001", app_url=live_server.url)
    posted = weibo.admin("POST", "/_sandbox/fan_posts",
                         {"to_uid": 5500000001, "text": "鲜牧纯牛奶喝出了一股怪味，太失望了", "kind": "mention"})
    status = posted["status"]
    queued = services.mention_report(brand=demo.brand, by=demo.people["agent"], text="", note="店员转来的",
                                     link=f"https://m.weibo.cn/detail/{status['id']}")
    assert queued == 1
    payload = Inbound.objects.get().payload
    assert payload["text"] == status["text"] and payload["author_uid"] == str(status["user"]["id"])
    assert (payload["platform_id"], payload["report_note"]) == (str(status["id"]), "店员转来的")


# --- word of mouth -------------------------------------------------------------------------------

def test_quote_repost_and_thank_make_drafts_within_weibos_rules(demo, settings):
    from weibo_ops.weibo.text import weibo_length

    operator, account = demo.people["operator"], demo.accounts["鲜牧乳业"]
    mention = mention_make(demo.brand, text="#早餐# 鲜牧的酸奶真的好喝 https://t.cn/abc " + "超级推荐！" * 40,
                           author_name="爱喝酸奶的小王")
    quote = services.mention_quote(mention=mention, by=operator, account=account)
    repost = services.mention_repost(mention=mention, by=operator, account=account)
    thank = services.mention_thank(mention=mention, by=operator, account=account)
    assert (quote.is_original, repost.is_original, thank.is_original) == (False, False, True)
    assert quote.state == "draft"
    assert quote.text.startswith("谢谢你的喜欢！//@爱喝酸奶的小王:早餐 鲜牧的酸奶真的好喝 超级推荐！")
    assert repost.text.startswith("转发 @爱喝酸奶的小王：早餐 鲜牧的酸奶")
    assert "@爱喝酸奶的小王" in thank.text
    for post in (quote, repost, thank):
        assert weibo_length(post.text) <= 140
        assert post.text.endswith(f"https://{settings.WEIBO_SAFE_DOMAIN}/")
        assert [t.account for t in post.targets.all()] == [account]
    assert "…" in quote.text and "t.cn" not in quote.text and "#" not in quote.text


def test_word_of_mouth_needs_the_right_to_draft_on_the_account(demo):
    mention = mention_make(demo.brand, author_name="小王")
    with pytest.raises(PermissionDenied):
        services.mention_thank(mention=mention, by=demo.people["reviewer"], account=demo.accounts["鲜牧乳业"])


# --- settings ------------------------------------------------------------------------------------

def test_settings_keep_the_secret_when_blank_and_check_the_grades(demo):
    pr = demo.people["pr"]
    grades = {"yellow": {"people": 10, "reach": 50_000}, "orange": {"people": 50, "reach": 500_000},
              "red": {"people": 200, "reach": 5_000_000}}
    row = services.settings_update(brand=demo.brand, by=pr, bucket_minutes=5, spike_min_count=8, spike_factor=2.5,
                                   influential_followers=50_000, webhook_url="https://hooks.example.com/x",
                                   email_alerts=False, grades=grades, webhook_secret="s3cret")
    assert (row.bucket_minutes, row.webhook_secret, services.grades_of(row)["orange"]) == (
        5, "s3cret", {"people": 50, "reach": 500_000})
    row = services.settings_update(brand=demo.brand, by=pr, webhook_secret=None, bucket_minutes=15)
    assert (row.bucket_minutes, row.webhook_secret) == (15, "s3cret")
    bad = {**grades, "orange": {"people": 5, "reach": 500_000}}
    with pytest.raises(ValidationError) as error:
        services.settings_update(brand=demo.brand, by=pr, grades=bad)
    assert error.value.message_dict["orange_people"] == [
        "Yellow < orange < red: each grade needs more than the one below."]
    with pytest.raises(PermissionDenied):
        services.settings_update(brand=demo.brand, by=demo.people["reviewer"], bucket_minutes=1)


def test_only_pr_and_managers_change_the_settings_not_who_manages_one_account(demo):
    operator = demo.people["operator"]  # owns 鲜牧酸奶: may edit the brand's keyword groups, not its settings
    services.group_create(brand=demo.brand, by=operator, name="酸奶", include_terms=["鲜牧酸奶"])
    with pytest.raises(PermissionDenied) as error:
        services.settings_update(brand=demo.brand, by=operator, webhook_url="https://8.8.8.8/hook")
    assert str(error.value) == "Only PR people and managers change 鲜牧乳业's monitoring settings."
    assert MonitoringSettings.objects.filter(brand=demo.brand, webhook_url__gt="").count() == 0
    for username in ("pr", "manager"):
        row = services.settings_update(brand=demo.brand, by=demo.people[username], bucket_minutes=12)
        assert row.bucket_minutes == 12


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://localhost/", "http://169.254.169.254/",
                                 "http://10.0.0.1/", "http://[::1]/", "http://[::ffff:127.0.0.1]/"])
def test_a_webhook_to_a_private_address_is_refused_when_saved(demo, url):
    with pytest.raises(ValidationError) as error:
        services.settings_update(brand=demo.brand, by=demo.people["pr"], webhook_url=url, webhook_secret="s3cret")
    [message] = error.value.message_dict["webhook_url"]
    assert message.startswith("The webhook must be a service on the internet: ")
    assert not MonitoringSettings.objects.filter(brand=demo.brand, webhook_url=url).exists()


# --- imports -------------------------------------------------------------------------------------

def _csv(text: str, *, bom=True, encoding="utf-8") -> SimpleUploadedFile:
    data = text.encode(encoding)
    return SimpleUploadedFile("export.csv", (b"\xef\xbb\xbf" if bom else b"") + data, content_type="text/csv")


def test_the_header_names_are_guessed():
    header = ["微博内容", "发布时间", "用户昵称", "粉丝数", "原文链接", "转发数", "评论数", "点赞数", "情感倾向"]
    assert imports.mapping_guess(header) == {
        "text": "微博内容", "posted_at": "发布时间", "author_name": "用户昵称", "author_followers": "粉丝数",
        "url": "原文链接", "reposts": "转发数", "comments": "评论数", "likes": "点赞数"}
    assert imports.mapping_guess(["Content", "Date", "Author", "Followers", "URL"]) == {
        "text": "Content", "posted_at": "Date", "author_name": "Author", "author_followers": "Followers",
        "url": "URL"}


def test_files_that_cannot_be_imported_say_why(demo):
    pr = demo.people["pr"]
    cases = [
        (SimpleUploadedFile("a.csv", b""), "The file is empty"),
        (SimpleUploadedFile("a.xls", b"\xd0\xcf\x11\xe0rest"), "cannot be read: save it as .xlsx"),
        (SimpleUploadedFile("a.csv", "内容,时间\n".encode()), "a header but no rows"),
        (SimpleUploadedFile("a.csv", "鲜牧的牛奶太难喝了，再也不买了，大家别上当,2024-05-01 12:00\n".encode()),
         "The first row must name the columns"),
        (SimpleUploadedFile("a.xlsx", b"PK\x03\x04broken"), "cannot be read as .xlsx"),
    ]
    for upload, message in cases:
        with pytest.raises(ValidationError) as error:
            imports.import_read(brand=demo.brand, by=pr, upload=upload)
        assert message in error.value.message_dict["file"][0], message


def test_gb18030_csv_is_read(demo):
    upload = _csv("内容,作者\n牛奶不错,小李\n", bom=False, encoding="gb18030")
    batch = imports.import_read(brand=demo.brand, by=demo.people["pr"], upload=upload)
    assert (batch.columns, batch.rows, batch.mapping) == (["内容", "作者"], [["牛奶不错", "小李"]],
                                                          {"text": "内容", "author_name": "作者"})


def test_a_csv_import_queues_the_good_rows_once(demo, django_capture_on_commit_callbacks):
    pr = demo.people["pr"]
    upload = _csv("微博内容,发布时间,作者,粉丝数,转发数\n"
                  "鲜牧的酸奶很好喝,2024-05-01 12:30,小王,1.2万,3\n"
                  "包装漏了,昨天下午,小李,10,0\n"
                  "送货很快,2024/05/02 08:00:00,小张,abc,1\n"
                  "牛奶新鲜,2024年5月3日 09:15,小赵,\"1,024\",2\n")
    batch = imports.import_read(brand=demo.brand, by=pr, upload=upload)
    assert batch.state == ImportState.MAPPING and batch.rows_total == 4
    preview = imports.import_preview(batch=batch, mapping=batch.mapping)
    assert [row.line for row in preview if row.problems] == [3, 4]
    assert preview[1].problems == ["Row 3: “昨天下午” is not a date and time we can read; write it like "
                                   "2024-05-01 12:30."]
    assert preview[2].problems[0].startswith("Row 4: Followers “abc” is not a number")
    imports.import_confirm(batch=batch, by=pr, mapping=batch.mapping)
    batch.refresh_from_db()
    assert (batch.state, batch.rows_queued, batch.rows) == (ImportState.DONE, 2, [])
    assert [p["row"] for p in batch.problems] == [3, 4]
    items = list(Inbound.objects.order_by("id"))
    assert [i.payload["text"] for i in items] == ["鲜牧的酸奶很好喝", "牛奶新鲜"]
    assert {i.payload["import_batch"] for i in items} == {batch.pk} and {i.source for i in items} == {"import"}
    assert items[0].payload["author_followers"] == 12_000 and items[1].payload["author_followers"] == 1024
    assert datetime.fromisoformat(items[0].payload["posted_at"]) == datetime(2024, 5, 1, 12, 30, tzinfo=SHANGHAI)
    with pytest.raises(ValidationError):  # a second confirmation (a double click) imports nothing more
        imports.import_confirm(batch=batch, by=pr, mapping=batch.mapping)
    assert Inbound.objects.count() == 2


def test_an_xlsx_import(demo):
    book = Workbook()
    sheet = book.active
    sheet.append(["正文", "时间", "昵称", "点赞数"])
    sheet.append(["鲜牧牛奶好评", datetime(2024, 5, 1, 9, 0), "阿明", 12])
    sheet.append(["鲜牧客服回复很快", datetime(2024, 5, 2, 10, 30), "阿红", 3.0])
    data = io.BytesIO()
    book.save(data)
    upload = SimpleUploadedFile("export.xlsx", data.getvalue())
    batch = imports.import_read(brand=demo.brand, by=demo.people["pr"], upload=upload)
    assert batch.mapping == {"text": "正文", "posted_at": "时间", "author_name": "昵称", "likes": "点赞数"}
    assert batch.rows[1] == ["鲜牧客服回复很快", "2024-05-02 10:30:00", "阿红", "3"]
    imports.import_confirm(batch=batch, by=demo.people["pr"], mapping=batch.mapping)
    assert sorted(i.payload["likes"] for i in Inbound.objects.all()) == [3, 12]


# --- reads ---------------------------------------------------------------------------------------

def test_keyset_paging_returns_each_mention_once(demo):
    same = timezone.now() - timedelta(hours=1)
    made = {mention_make(demo.brand, posted_at=same if i % 3 == 0 else None).pk for i in range(23)}
    seen, cursor, pages = [], "", 0
    while True:
        page = trends.mention_page(demo.people["pr"], demo.brand, trends.MentionFilters(), cursor, limit=5)
        seen += [m.pk for m in page.items]
        pages += 1
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen)) == 23
    assert pages == 5


def test_mention_filters(demo):
    group = services.group_create(brand=demo.brand, by=demo.people["pr"], name="酸奶", include_terms=["酸奶"])
    big = mention_make(demo.brand, text="酸奶很棒", author_followers=500_000, copies=3)
    big.groups.add(group)
    mention_make(demo.brand, text="配送太慢", sentiment=Sentiment.NEGATIVE, source=MentionSource.REPORT,
                 corrected=True)

    def pks(**filters):
        page = trends.mention_page(demo.people["pr"], demo.brand, trends.MentionFilters(**filters))
        return [m.pk for m in page.items]

    assert pks(group=group.pk) == pks(min_followers=100_000) == pks(has_copies=True) == pks(q="酸奶") == [big.pk]
    assert len(pks(sentiment="negative")) == len(pks(source="report")) == len(pks(corrected="yes")) == 1
    assert pks(since=timezone.localdate() + timedelta(days=1)) == []


def test_trend_series_counts_per_shanghai_hour_and_day(demo):
    now = datetime(2024, 5, 10, 15, 20, tzinfo=SHANGHAI)
    made = [(5, "negative"), (10, "negative"), (15, "positive"), (70, "neutral"), (60 * 30, "positive")]
    for minutes, sentiment in made:
        mention_make(demo.brand, posted_at=now - timedelta(minutes=minutes), sentiment=sentiment)
    hours = trends.trend_series(demo.brand, hours=24, now=now)
    assert len(hours.buckets) == 24
    last = hours.buckets[-1]
    assert (last.start, last.negative, last.positive, last.neutral) == (datetime(2024, 5, 10, 15, tzinfo=SHANGHAI),
                                                                        2, 1, 0)
    assert hours.buckets[-2].neutral == 1 and hours.total == 4
    days = trends.trend_series(demo.brand, days=7, now=now)
    assert [b.total for b in days.buckets][-2:] == [1, 4]
    assert days.buckets[-1].start == datetime(2024, 5, 10, tzinfo=SHANGHAI)


def test_word_cloud_counts_keywords_of_recent_mentions(demo):
    mention_make(demo.brand, keywords=["漏奶", "包装"], sentiment=Sentiment.NEGATIVE)
    mention_make(demo.brand, keywords=["漏奶"], sentiment=Sentiment.NEGATIVE)
    mention_make(demo.brand, keywords=["好喝"])
    mention_make(demo.brand, keywords=["过期"], posted_at=timezone.now() - timedelta(days=30))
    since = timezone.now() - timedelta(days=7)
    words = trends.word_cloud(demo.brand, since=since, sentiment="negative")
    assert [(w.text, w.count, w.size) for w in words] == [("漏奶", 2, 5), ("包装", 1, 1)]
    assert {w.text for w in trends.word_cloud(demo.brand, since=since)} == {"漏奶", "包装", "好喝"}


def test_positive_board_is_sorted_by_reach(demo):
    small = mention_make(demo.brand, author_followers=10, reposts=100)
    big = mention_make(demo.brand, author_followers=1_000_000)
    mid = mention_make(demo.brand, author_followers=10, reposts=500)
    mention_make(demo.brand, sentiment=Sentiment.NEGATIVE, author_followers=9_000_000)
    assert [m.pk for m in trends.positive_board(demo.brand)] == [big.pk, mid.pk, small.pk]


def test_the_mention_page_costs_the_same_for_3_and_30_mentions(demo):
    group = services.group_create(brand=demo.brand, by=demo.people["pr"], name="品牌", include_terms=["鲜牧"])

    def queries() -> int:
        manager = User.objects.get(username="manager")  # a fresh object: nothing cached from the last call
        with CaptureQueriesContext(connection) as captured:
            trends.mention_page(manager, demo.brand, trends.MentionFilters())
        return len(captured)

    for _ in range(3):
        mention_make(demo.brand).groups.add(group)
    few = queries()
    for _ in range(27):
        mention_make(demo.brand).groups.add(group)
    assert queries() == few <= 3


def test_an_import_keeps_only_weibo_links_and_warns_for_each_row_without_refusing_the_file(demo):
    pr = demo.people["pr"]
    upload = _csv("内容,原文链接\n"
                  "鲜牧牛奶很好喝,https://weibo.com/1642634100/NqWkG8yZa\n"
                  "鲜牧酸奶坏了,javascript:alert(1)\n"
                  "鲜牧客服很快, JaVaScRiPt:alert(document.cookie)\n"
                  "鲜牧新品,https://evil.example/weibo.com/1\n"
                  "鲜牧门店,\n")
    batch = imports.import_read(brand=demo.brand, by=pr, upload=upload)
    preview = imports.import_preview(batch=batch, mapping=batch.mapping)
    assert [row.problems for row in preview] == [[], [], [], [], []]
    assert preview[1].warnings == ["Row 3: the link “javascript:alert(1)” is not an http(s) link to Weibo "
                                   "(weibo.com, weibo.cn, t.cn); the mention is imported without it."]
    assert [bool(row.warnings) for row in preview] == [False, True, True, True, False]
    imports.import_confirm(batch=batch, by=pr, mapping=batch.mapping)
    batch.refresh_from_db()
    assert batch.rows_queued == 5
    assert [(p["row"], p.get("warning")) for p in batch.problems] == [(3, True), (4, True), (5, True)]
    assert [i.payload["url"] for i in Inbound.objects.order_by("id")] == [
        "https://weibo.com/1642634100/NqWkG8yZa", "", "", "", ""]
