"""Bulk import of posts from CSV/XLSX (preview, per-row errors, all or nothing) and export of the
calendar with metrics."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from content import bulk, services
from content.models import Pillar, Post, PostState, PostTarget, TargetState
from team.models import AuditEvent

pytestmark = pytest.mark.embedded  # an import in one transaction, and its preview in the cache

LINK = "https://xianmu.example.com/p/1"
HEADER = ["账号", "日期", "时间", "内容支柱", "正文", "原创"]



@pytest.fixture
def pillar(demo):
    return services.pillar_create(brand=demo.brand, name="产品", by=demo.people["manager"])


@pytest.fixture
def tomorrow():
    return timezone.localdate() + timedelta(days=1)


def csv_upload(rows, *, header=HEADER, name="posts.csv", bom=True, encoding="utf-8"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return SimpleUploadedFile(name, (b"\xef\xbb\xbf" if bom else b"") + data, content_type="text/csv")


def xlsx_upload(rows, *, header=HEADER, name="posts.xlsx"):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def check(demo, rows, by="operator"):
    file = bulk.import_parse(upload=csv_upload(rows))
    with translation.override("en"):
        return file, bulk.import_check(rows=file.rows, by=demo.people[by])


# --- reading files -----------------------------------------------------------------------------

def test_a_csv_with_bom_and_an_xlsx_with_date_cells_read_the_same(demo, tomorrow):
    text = f"鲜牧希腊酸奶上新 {LINK}"
    from_csv = bulk.import_parse(upload=csv_upload([["鲜牧乳业", tomorrow.isoformat(), "10:00", "产品", text, "是"],
                                                    ["鲜牧酸奶", tomorrow.isoformat(), "", "产品", text, ""]]))
    from_xlsx = bulk.import_parse(upload=xlsx_upload([["鲜牧乳业", tomorrow, time(10, 0), "产品", text, "是"],
                                                      ["鲜牧酸奶", datetime.combine(tomorrow, time.min), None, "产品",
                                                       text, None]]))
    assert from_csv.encoding == "UTF-8 (BOM)"
    assert from_xlsx.encoding == "XLSX"
    assert from_csv.rows == from_xlsx.rows == [
        bulk.RawRow(2, "鲜牧乳业", tomorrow.isoformat(), "10:00", "产品", text, "是"),
        bulk.RawRow(3, "鲜牧酸奶", tomorrow.isoformat(), "", "产品", text, ""),
    ]


def test_a_chinese_excel_csv_in_gb18030_with_english_headers_is_read_and_says_so(demo):
    upload = csv_upload([["鲜牧乳业", "2030/1/2", "8:05", "产品", "正文", "否"]], bom=False, encoding="gb18030",
                        header=["Account", "Date", "Time (HH:MM)", "Pillar", "Text", "Original", "备注"])
    file = bulk.import_parse(upload=upload)
    assert file.encoding == "GB18030"
    assert file.rows == [bulk.RawRow(2, "鲜牧乳业", "2030/1/2", "8:05", "产品", "正文", "否")]
    assert file.ignored == ["备注"]


def test_xlsx_row_numbers_match_the_sheet_and_too_many_rows_are_refused(db):
    book = Workbook()
    sheet = book.active
    for column, value in enumerate(HEADER, start=1):
        sheet.cell(row=3, column=column, value=value)  # two empty rows above the header
    for row in (4, 6):
        for column, value in enumerate(["鲜牧乳业", "2030-01-02", "10:00", "产品", f"第{row}行", 1], start=1):
            sheet.cell(row=row, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    file = bulk.import_parse(upload=SimpleUploadedFile("gaps.xlsx", out.getvalue()))
    assert [(r.line, r.text, r.original) for r in file.rows] == [(4, "第4行", "1"), (6, "第6行", "1")]
    too_many = xlsx_upload([["鲜牧乳业", "2030-01-02", "10:00", "产品", "正文", ""]] * (bulk.MAX_ROWS + 1))
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        bulk.import_parse(upload=too_many)
    assert f"more than {bulk.MAX_ROWS:,} rows" in caught.value.messages[0]


@pytest.mark.parametrize(("upload", "message"), [
    (csv_upload([], header=["账号", "日期", "正文"]), "missing: 内容支柱"),
    (csv_upload([["x"] * 6] * (bulk.MAX_ROWS + 1)), f"more than {bulk.MAX_ROWS:,} rows"),
    (SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100), "save it as .xlsx or as CSV"),
    (SimpleUploadedFile("big.csv", b"a" * (bulk.MAX_FILE_BYTES + 1)), "import files of up to 5 MB"),
    (SimpleUploadedFile("broken.xlsx", b"PK\x03\x04 not really a zip"), "cannot be read as .xlsx"),
    (csv_upload([]), "no posts under it"),
])
def test_a_file_that_cannot_be_read_says_what_to_do(db, upload, message):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        bulk.import_parse(upload=upload)
    assert message in " ".join(caught.value.messages)


# --- checking rows -----------------------------------------------------------------------------

def test_every_row_gets_its_own_messages(demo, pillar, tomorrow):
    day = tomorrow.isoformat()
    yesterday = (tomorrow - timedelta(days=2)).isoformat()
    _file, rows = check(demo, [
        ["鲜牧乳业", day, "10:00", "产品", f"鲜牧希腊酸奶上新 {LINK}", "是"],  # 2: fine
        ["鲜牧奶茶", day, "10:00", "产品", f"a {LINK}", ""],  # 3
        ["鲜牧华东", day, "10:00", "产品", f"b {LINK}", ""],  # 4: the operator has no grant there
        ["鲜牧乳业", day, "10:00", "八卦", f"c {LINK}", ""],  # 5
        ["鲜牧乳业", "16/11/2030", "25:00", "产品", f"d {LINK}", ""],  # 6
        ["鲜牧乳业", yesterday, "10:00", "产品", f"e {LINK}", "也许"],  # 7
        ["鲜牧乳业", day, "11:00", "产品", "最好的牛奶，没有链接", ""],  # 8
        ["鲜牧乳业", day, "12:00", "产品", f"鲜牧希腊酸奶上新  {LINK}", ""],  # 9: the same as row 2
    ])
    by_line = {row.line: row.errors for row in rows}
    assert by_line[2] == []
    assert by_line[3] == ["Unknown account “鲜牧奶茶”: write its name as in the account matrix."]
    assert len(by_line[4]) == 1 and "“publish”" not in by_line[4][0]
    assert "permission on the account 鲜牧华东" in by_line[4][0]
    assert by_line[5] == ["Unknown content pillar “八卦” for 鲜牧乳业; its pillars are: 产品."]
    assert by_line[6] == ["“16/11/2030” is not a date: write it as YYYY-MM-DD.",
                          "“25:00” is not a time: write it as HH:MM (Beijing time)."]
    assert by_line[7] == [f"{yesterday} 10:00 has passed: pick a time from now on.",
                          "“也许” in the original column is neither yes nor no: write 是 or 否."]
    assert any("safe domain" in m for m in by_line[8])
    assert "鲜牧乳业's playbook forbids: 最好." in by_line[8]
    assert by_line[9] == ["Same account and text as row 2: Weibo refuses a repeated post."]
    assert [r.line for r in rows if r.ok] == [2]
    first = rows[0]
    assert (first.account, first.pillar, first.is_original) == (demo.accounts["鲜牧乳业"], pillar, True)
    assert timezone.localtime(first.at).replace(tzinfo=None) == datetime.combine(tomorrow, time(10, 0))


def test_a_row_without_a_time_takes_the_playbooks_next_free_slot(demo, pillar, tomorrow):
    day = tomorrow.isoformat()
    _file, rows = check(demo, [
        ["鲜牧乳业", day, "", "产品", f"一 {LINK}", ""],
        ["鲜牧乳业", day, "08:40", "产品", f"二 {LINK}", ""],  # fills the 08:30 slot
        ["鲜牧乳业", day, "", "产品", f"三 {LINK}", ""],
        ["鲜牧酸奶", day, "", "产品", f"四 {LINK}", ""],  # no playbook: no slots
    ])
    assert [timezone.localtime(r.at).strftime("%H:%M") if r.at else None for r in rows] == \
        ["12:00", "08:40", "17:30", None]
    assert [r.from_playbook for r in rows] == [True, False, True, False]
    assert rows[3].errors == ["No time given, and 鲜牧酸奶's playbook names no posting slots: give a time."]


# --- importing ---------------------------------------------------------------------------------

def test_one_bad_row_stops_import_all_and_import_valid_takes_the_rest(demo, pillar, tomorrow):
    day = tomorrow.isoformat()
    file = bulk.import_parse(upload=csv_upload([
        ["鲜牧乳业", day, "10:00", "产品", f"鲜牧希腊酸奶上新 {LINK}", "是"],
        ["鲜牧华东", day, "10:00", "产品", f"华东门店活动 {LINK}", "是"],
        ["鲜牧酸奶", day, "11:00", "产品", f"新口味试吃 {LINK}", "否"],
    ]))
    operator = demo.people["operator"]
    result = bulk.posts_import(file=file, by=operator, ip="203.0.113.9", only_valid=False)
    assert result.refused and result.posts == [] and result.valid == 2
    assert not Post.objects.exists()
    assert not AuditEvent.objects.filter(action="post.import").exists()

    result = bulk.posts_import(file=file, by=operator, ip="203.0.113.9", only_valid=True)
    assert not result.refused
    assert len(result.posts) == 2 and result.waiting == 2
    targets = PostTarget.objects.select_related("post", "account").order_by("account__name")
    assert [(t.account.name, t.state, t.post.state, t.post.is_original) for t in targets] == [
        ("鲜牧乳业", TargetState.WAITING, PostState.IN_REVIEW, True),
        ("鲜牧酸奶", TargetState.WAITING, PostState.IN_REVIEW, False),
    ]
    assert timezone.localtime(targets[0].scheduled_at).replace(tzinfo=None) == datetime.combine(tomorrow, time(10))
    audit = AuditEvent.objects.get(action="post.import")
    assert (audit.actor, audit.ip, audit.changes["count"]) == (operator, "203.0.113.9", [None, 2])


def test_import_all_schedules_posts_that_need_no_approval_and_imports_once(demo, tomorrow):
    customer_care = services.pillar_create(brand=demo.brand, name="服务公告", by=demo.people["manager"])
    file = bulk.import_parse(upload=xlsx_upload([["鲜牧客服", tomorrow, time(9, 0), "服务公告",
                                                  f"春节配送安排 {LINK}", "yes"]]))
    manager = demo.people["manager"]
    result = bulk.posts_import(file=file, by=manager, ip="203.0.113.9", only_valid=False)
    target = PostTarget.objects.get()
    assert (result.refused, result.waiting) == (False, 0)
    assert (target.state, target.post.pillar, target.rip) == (TargetState.SCHEDULED, customer_care, "203.0.113.9")
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        bulk.posts_import(file=file, by=manager, ip="203.0.113.9", only_valid=False)
    assert caught.value.messages == ["This file has been imported already; the posts are on the calendar."]
    assert PostTarget.objects.count() == 1


def test_the_rows_are_checked_again_on_confirmation(demo, pillar, tomorrow):
    file = bulk.import_parse(upload=csv_upload([["鲜牧乳业", tomorrow.isoformat(), "10:00", "产品",
                                                 f"鲜牧希腊酸奶上新 {LINK}", ""]]))
    operator = demo.people["operator"]
    assert all(r.ok for r in bulk.import_check(rows=file.rows, by=operator))
    Pillar.objects.filter(pk=pillar.pk).update(is_active=False)
    with translation.override("en"):
        result = bulk.posts_import(file=file, by=operator, ip=None, only_valid=True)
    assert result.refused
    assert result.rows[0].errors == ["Unknown content pillar “产品” for 鲜牧乳业; its pillars are: —."]
    assert not Post.objects.exists()


def test_the_signed_rows_come_back_unchanged_and_a_tampered_token_is_refused(demo, tomorrow, monkeypatch):
    operator, manager = demo.people["operator"], demo.people["manager"]
    file = bulk.import_parse(upload=csv_upload([["鲜牧乳业", tomorrow.isoformat(), "10:00", "产品", "正文", ""]]))
    token = bulk.import_sign(file, by=operator)
    back = bulk.import_load(token, by=operator)
    assert (back.rows, back.batch, back.name, back.encoding) == (file.rows, file.batch, "posts.csv", "UTF-8 (BOM)")
    payload, signature = token.rsplit(":", 1)
    tampered = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + ":" + signature
    with translation.override("en"):
        for bad, message in [(tampered, "was changed"), ("garbage", "was changed"),
                             (token, "belongs to another session")]:
            with pytest.raises(ValidationError) as caught:
                bulk.import_load(bad, by=manager if bad == token else operator)
            assert message in caught.value.messages[0]
        monkeypatch.setattr(bulk, "PAYLOAD_MAX_AGE", -1)
        with pytest.raises(ValidationError) as caught:
            bulk.import_load(token, by=operator)
        assert "more than an hour old" in caught.value.messages[0]


# --- export ------------------------------------------------------------------------------------

@pytest.fixture
def calendar_posts(demo, pillar):
    """Three posts last Monday: one published with counts, one whose text starts like a formula,
    one on 鲜牧华东 (which the operator cannot see)."""
    tz = timezone.get_default_timezone()
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday() + 7)
    manager = demo.people["manager"]
    made = []
    for name, text, hour in [("鲜牧乳业", f"鲜牧希腊酸奶上新 {LINK}", 8), ("鲜牧酸奶", f"=1+2 {LINK}", 12),
                             ("鲜牧华东", f"华东门店活动 {LINK}", 9)]:
        post = services.post_create(by=manager, pillar=pillar, text=text, accounts=[demo.accounts[name]])
        PostTarget.objects.filter(post=post).update(scheduled_at=datetime.combine(monday, time(hour, 30), tzinfo=tz))
        made.append(post)
    PostTarget.objects.filter(post=made[0]).update(
        state=TargetState.PUBLISHED, mid="5012345678901234", url="https://weibo.com/1/5012345678901234",
        published_at=datetime.combine(monday, time(8, 31), tzinfo=tz), reposts=12, comments=3, attitudes=45,
        metrics_at=datetime.combine(monday, time(20, 0), tzinfo=tz))
    return monday


def test_the_csv_export_has_the_visible_posts_with_metrics_and_no_formulas(demo, calendar_posts):
    monday = calendar_posts
    with translation.override("en"):
        table = bulk.calendar_export(user=demo.people["operator"], start=monday, end=monday + timedelta(days=6))
        body = "".join(bulk.export_csv(table))
    assert body.startswith("\ufeffAccount,Date,Time,Content pillar,State,Text,Original,Link,Weibo id,")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    day = monday.isoformat()
    assert rows[1:] == [
        ["鲜牧乳业", day, "08:30", "产品", "Published", f"鲜牧希腊酸奶上新 {LINK}", "Yes",
         "https://weibo.com/1/5012345678901234", "5012345678901234", f"{day} 08:31", "12", "3", "45", f"{day} 20:00"],
        ["鲜牧酸奶", day, "12:30", "产品", "Waiting for approval", f"'=1+2 {LINK}", "Yes", "", "", "", "0", "0", "0",
         ""],
    ]
    assert table.filename_stem == f"content-{day}_{(monday + timedelta(days=6)).isoformat()}"


def test_the_xlsx_export_has_real_dates_and_keeps_text_as_text(demo, calendar_posts):
    monday = calendar_posts
    table = bulk.calendar_export(user=demo.people["manager"], start=monday, end=monday,
                                 account=demo.accounts["鲜牧酸奶"])
    sheet = load_workbook(io.BytesIO(bulk.export_xlsx(table))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 2
    assert values[1][:3] == ["鲜牧酸奶", datetime.combine(monday, time.min), time(12, 30)]
    assert values[1][5] == f"'=1+2 {LINK}"
    assert sheet.cell(row=2, column=6).data_type == "s"


def test_the_export_costs_the_same_queries_for_one_post_or_many(demo, calendar_posts, django_assert_num_queries):
    monday = calendar_posts
    for end in (monday, monday + timedelta(days=6)):
        with django_assert_num_queries(2):  # the count and the rows
            table = bulk.calendar_export(user=demo.people["manager"], start=monday - timedelta(days=30), end=end)
            list(table.rows)


@pytest.mark.parametrize(("start", "end", "message"), [
    (date(2030, 1, 10), date(2030, 1, 9), "before the start date"),
    (date(2030, 1, 1), date(2030, 4, 3), "at most 92 days")  # 93 days,
])
def test_the_export_range_is_checked(demo, start, end, message):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        bulk.calendar_export(user=demo.people["manager"], start=start, end=end)
    assert message in " ".join(caught.value.messages)


# --- pages -------------------------------------------------------------------------------------

def test_upload_preview_and_import_the_valid_rows_through_the_pages(demo, pillar, tomorrow, login):
    client = login(demo.people["operator"])
    upload = csv_upload([["鲜牧乳业", tomorrow.isoformat(), "10:00", "产品", f"鲜牧希腊酸奶上新 {LINK}", "是"],
                         ["鲜牧华东", tomorrow.isoformat(), "10:00", "产品", f"华东门店活动 {LINK}", "是"]])
    page = client.post("/content/import/", {"file": upload})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="mode" value="valid"' in body and 'value="all"' not in body
    assert "鲜牧华东" in body and "errorlist" in body
    token = page.context["token"]
    assert not Post.objects.exists()

    refused = client.post("/content/import/", {"token": token[:-3] + "xyz", "mode": "valid"})
    assert refused.status_code == 400 and not Post.objects.exists()
    assert 'class="errorlist nonfield"' in refused.content.decode()

    all_rows = client.post("/content/import/", {"token": token, "mode": "all"})
    assert all_rows.status_code == 409 and not Post.objects.exists()

    done = client.post("/content/import/", {"token": token, "mode": "valid"})
    assert done.status_code == 302
    assert done["Location"] == f"/content/?start={tomorrow.isoformat()}"
    assert list(PostTarget.objects.values_list("account__name", flat=True)) == ["鲜牧乳业"]
    again = client.post("/content/import/", {"token": token, "mode": "valid"})
    assert again.status_code == 302 and PostTarget.objects.count() == 1


def test_the_export_and_template_download_through_the_pages(demo, pillar, calendar_posts, login):
    client = login(demo.people["operator"])
    monday = calendar_posts
    end = monday + timedelta(days=6)
    response = client.get("/content/export/", {"start": monday.isoformat(), "end": end.isoformat(), "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="content-{monday}_{end}.xlsx"'
    assert load_workbook(io.BytesIO(response.content)).active.max_row == 3
    csv_response = client.get("/content/export/", {"start": monday.isoformat(), "end": end.isoformat(),
                                                   "format": "csv", "account": demo.accounts["鲜牧乳业"].pk})
    assert b"".join(csv_response.streaming_content).decode().count("\n") == 2
    assert client.get("/content/export/", {"start": "2030-01-01", "end": "2030-12-31"}).status_code == 400
    assert client.get("/content/export/").status_code == 200
    template = client.get("/content/import/", {"template": "1"})
    assert template["Content-Disposition"] == 'attachment; filename="content-import-template.csv"'
    lines = template.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "账号,日期,时间,内容支柱,正文,原创"
    assert lines[1].startswith("鲜牧乳业,")
    file = bulk.import_parse(upload=SimpleUploadedFile("t.csv", template.content))
    assert all(r.ok for r in bulk.import_check(rows=file.rows, by=demo.people["operator"]))


# --- crafted files and dates -------------------------------------------------------------------

FAR_MESSAGE = "Give a date between 2000-01-01 and 2999-12-31."


@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbf" + "账号,日期\n".encode() + b"\xff\xfe\xfa\n",  # a UTF-8 byte-order mark, then no UTF-8
    b"\xff\xfea\x00\x00\xd8,\x00",  # a UTF-16 byte-order mark, then a lone surrogate
], ids=["utf-8-bom", "utf-16-bom"])
def test_an_undecodable_file_is_refused_on_the_page(demo, login, data):
    client = login(demo.people["operator"], language="en")
    page = client.post("/content/import/", {"file": SimpleUploadedFile("posts.csv", data)}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    assert page.context["form"].errors["file"] == [
        "The file is neither UTF-8 nor GB18030 text: save it as “CSV UTF-8” or as .xlsx."]


def test_a_csv_field_past_the_csv_limit_is_refused_on_the_page(demo, login, tomorrow):
    client = login(demo.people["operator"], language="en")
    data = ",".join(HEADER) + f'\n鲜牧乳业,{tomorrow.isoformat()},10:00,产品,"' + "酸" * 200_000 + "\n"
    page = client.post("/content/import/", {"file": SimpleUploadedFile("posts.csv", data.encode())},
                       HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    assert page.context["form"].errors["file"] == [
        "The CSV cannot be read (a quote is not closed?): open it in a spreadsheet and save it again as CSV."]


@pytest.mark.parametrize("far", ["9999-12-31", "0001-01-01"])
def test_a_far_date_in_an_import_is_a_row_error(demo, pillar, far):
    _file, rows = check(demo, [["鲜牧乳业", far, "", "产品", f"鲜牧希腊酸奶上新 {LINK}", "是"],
                               ["鲜牧酸奶", far, "10:00", "产品", f"鲜牧低糖酸奶今日开售 {LINK}", "是"]])
    assert [row.errors for row in rows] == [[f"“{far}”: {FAR_MESSAGE}"], [f"“{far}”: {FAR_MESSAGE}"]]


@pytest.mark.parametrize("far", ["9999-12-31", "0001-01-01"])
def test_a_far_export_range_is_a_form_error(demo, login, far):
    page = login(demo.people["operator"], language="en").get(
        "/content/export/", {"start": far, "end": far, "format": "csv"})
    assert page.status_code == 400
    assert page.context["export_form"].errors == {"start": [FAR_MESSAGE], "end": [FAR_MESSAGE]}
