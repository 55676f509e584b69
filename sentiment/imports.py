"""File import of third-party monitoring exports: read a CSV or XLSX file into an ``ImportBatch`` (header and
rows), map its columns to our fields (guessed from the usual Chinese and English header names), preview the
first rows with their problems, and on confirmation queue the good rows for the pipeline in one transaction.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from positioning.models import Brand
from team.models import User
from weibo_ops import dates
from weibo_ops.links import weibo_url

from .access import Can, monitoring_require
from .models import ImportBatch, ImportState, MentionSource
from .pipeline import Raw
from .sources import mentions_submit
from .trends import SHANGHAI

MAX_FILE_BYTES = 10 * 1024 * 1024  # an export of a few weeks of mentions; bigger ones are split
MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024  # a zip bomb stops here
MAX_ROWS = 20_000  # rows stored on one batch (JSON on one row of the database)
MAX_COLUMNS = 60  # third-party exports carry 20–40 columns
CELL_MAX_CHARS = 5_000  # Weibo's long posts stop near here
PREVIEW_ROWS = 10
FUTURE_SLACK = timedelta(minutes=5)  # clocks differ a little; more ahead than this is a wrong date

# Our fields, in the order of the mapping form, with the header names third-party exports use for them.
FIELDS: dict[str, tuple] = {
    "text": (gettext_lazy("Text"), ["内容", "正文", "微博内容", "博文内容", "原文", "文本", "评论内容", "text",
                                    "content", "body", "message", "post"]),
    "posted_at": (gettext_lazy("Posted at"), ["发布时间", "发文时间", "时间", "日期", "发布日期", "创建时间",
                                              "date", "time", "posted", "postedat", "createdat", "publishtime",
                                              "datetime", "timestamp"]),
    "author_name": (gettext_lazy("Author"), ["作者", "用户昵称", "昵称", "博主", "用户名", "发布者", "用户",
                                             "author", "user", "username", "screenname", "nickname", "name"]),
    "author_uid": (gettext_lazy("Author's Weibo uid"), ["用户id", "uid", "作者id", "博主id", "userid", "authorid"]),
    "author_followers": (gettext_lazy("Followers"), ["粉丝数", "粉丝", "粉丝量", "followers", "followerscount",
                                                     "fans"]),
    "url": (gettext_lazy("Link"), ["链接", "原文链接", "微博链接", "网址", "地址", "url", "link", "href"]),
    "platform_id": (gettext_lazy("Weibo id"), ["微博id", "mid", "博文id", "id", "statusid", "postid", "weiboid"]),
    "reposts": (gettext_lazy("Reposts"), ["转发数", "转发", "转发量", "reposts", "repostscount", "shares",
                                          "retweets"]),
    "comments": (gettext_lazy("Comments"), ["评论数", "评论", "评论量", "comments", "commentscount", "replies"]),
    "likes": (gettext_lazy("Likes"), ["点赞数", "点赞", "赞", "点赞量", "likes", "attitudes", "likescount"]),
}
COUNT_FIELDS = ("author_followers", "reposts", "comments", "likes")
# A third-party service's sentiment column is not used: our model classifies every mention the same way.
IGNORED_HEADERS = ("情感", "情感倾向", "情绪", "倾向性", "sentiment", "polarity")


@dataclass
class RowCheck:
    line: int  # the row number in the file (the header is line 1)
    cells: dict[str, str]
    raw: Raw | None = None
    problems: list[str] = field(default_factory=list)  # the row is skipped
    warnings: list[str] = field(default_factory=list)  # the row is imported without what is named


# --- reading the file ----------------------------------------------------------------------------

def _csv_table(data: bytes) -> list[list]:
    if data.startswith(codecs.BOM_UTF8):
        text = data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:  # Excel on a Chinese Windows saves CSV in the system code page (GBK, within GB18030)
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise ValidationError({"file": _("The file is neither UTF-8 nor GB18030 text: save it as "
                                                 "“CSV UTF-8” or as .xlsx.")}) from None
    if "\x00" in text:
        raise ValidationError({"file": _("This is not a text file: upload the export as CSV or .xlsx.")})
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count) if any(d in first for d in ",\t;") else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise ValidationError({"file": _("The CSV cannot be read (a quote is not closed?): open it in a "
                                         "spreadsheet and save it again as CSV.")}) from None


def _xlsx_table(data: bytes) -> list[list]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ValidationError({"file": _("The file cannot be read as .xlsx: save it again as .xlsx or as "
                                         "CSV.")}) from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ValidationError({"file": _("The workbook unpacks to more than %(max)d MB: keep only the sheet of "
                                         "mentions or save it as CSV.") % {"max": MAX_XLSX_UNPACKED_BYTES >> 20}})
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        table = []
        for values in book.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True):
            table.append(list(values))
            if len(table) > MAX_ROWS + 1:
                break
        book.close()
    except Exception:  # openpyxl raises many kinds (KeyError, ValueError, ...) on a broken workbook
        raise ValidationError({"file": _("The file cannot be read as .xlsx: save it again as .xlsx or as "
                                         "CSV.")}) from None
    return table


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()[:CELL_MAX_CHARS]


def _filled(values: list) -> bool:
    return any(v is not None and str(v).strip() for v in values)


def file_read(data: bytes, name: str) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of an export; ``ValidationError`` on the file field with what to do."""
    lower = name.lower()
    if not data.strip():
        raise ValidationError({"file": _("The file is empty: export the mentions again.")})
    if data.startswith(b"PK\x03\x04"):
        table = _xlsx_table(data)
    elif lower.endswith((".xls", ".et", ".numbers", ".ods")) or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError({"file": _("This spreadsheet format cannot be read: save it as .xlsx or as CSV.")})
    elif lower.endswith((".pdf", ".doc", ".docx", ".zip", ".png", ".jpg", ".jpeg")) or data.startswith(b"%PDF"):
        raise ValidationError({"file": _("Upload the export as CSV or .xlsx.")})
    else:
        table = _csv_table(data)
    rows = [r for r in table if _filled(r)]
    if not rows:
        raise ValidationError({"file": _("The file holds no rows: export the mentions again.")})
    first = list(rows[0][:MAX_COLUMNS])
    while first and not _cell(first[-1]):  # a sheet read to its widest row: the header's empty tail
        first.pop()
    header = [_cell(v)[:100] or _("(column %(n)d)") % {"n": i + 1} for i, v in enumerate(first)]
    if not _looks_like_header(header):
        raise ValidationError({"file": _("The first row must name the columns (内容, 发布时间, 作者, …), each "
                                         "once: add a header row.")})
    body = rows[1:]
    if len(body) > MAX_ROWS:
        raise ValidationError({"file": _("The file has more than %(max)s rows: split it into smaller files.")
                               % {"max": f"{MAX_ROWS:,}"}})
    if not body:
        raise ValidationError({"file": _("The file has a header but no rows of mentions.")})
    width = len(header)
    return header, [[_cell(v) for v in (list(r) + [None] * width)[:width]] for r in body]


def _looks_like_header(header: list[str]) -> bool:
    """Names, each once; a first row of data (a long text, a date, a number) is no header."""
    if len(set(header)) != len(header):
        return False
    if mapping_guess(header):
        return True
    return not any(len(h) > 40 or parse_time(h) or (h and parse_count(h) is not None) for h in header)


def _header_key(value: str) -> str:
    text = re.sub(r"[（(].*?[)）]", "", value or "")
    return re.sub(r"[\s*_\-：:.\ufeff]", "", text).casefold()


def mapping_guess(columns: list[str]) -> dict[str, str]:
    """Our field → the file's column, from the usual header names (an exact name first, then a prefix)."""
    keys = {_header_key(c): c for c in columns if c}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for exact in (True, False):
        for name, (_label, aliases) in FIELDS.items():
            if name in mapping:
                continue
            for alias in aliases:
                hit = next((col for key, col in keys.items() if col not in used and not key.startswith(IGNORED_HEADERS)
                            and (key == alias if exact else key.startswith(alias))), None)
                if hit:
                    mapping[name] = hit
                    used.add(hit)
                    break
    return mapping


@transaction.atomic
def import_read(*, brand: Brand, by: User, upload: UploadedFile) -> ImportBatch:
    """Read an uploaded export into a batch waiting for its mapping."""
    monitoring_require(by, brand, Can.RULES)
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        raise ValidationError({"file": _("The file is %(size).1f MB; import files of up to %(max)d MB.")
                               % {"size": upload.size / 1024 / 1024, "max": MAX_FILE_BYTES >> 20}})
    upload.seek(0)
    data = upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError({"file": _("The file is larger than %(max)d MB; split it into smaller files.")
                               % {"max": MAX_FILE_BYTES >> 20}})
    name = (upload.name or "export").rsplit("/", 1)[-1][:200]
    columns, rows = file_read(data, name)
    return ImportBatch.objects.create(brand=brand, filename=name, uploaded_by=by, columns=columns, rows=rows,
                                      mapping=mapping_guess(columns), rows_total=len(rows))


# --- checking rows -------------------------------------------------------------------------------

DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d",
                "%Y/%m/%d", "%Y.%m.%d %H:%M", "%Y.%m.%d", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
                "%Y年%m月%d日%H:%M", "%Y年%m月%d日", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M",
                "%a %b %d %H:%M:%S %z %Y")  # the last: Weibo's own API format


def parse_time(value: str) -> datetime | None:
    """A time as exports write it; a time without a zone is Shanghai time. None when unreadable."""
    text = value.strip()
    if not text:
        return None
    if re.fullmatch(r"[0-9]{10}(\.[0-9]+)?|[0-9]{13}", text):  # a Unix timestamp in seconds or milliseconds
        seconds = float(text) / (1000 if len(text) == 13 else 1)
        return datetime.fromtimestamp(seconds, tz=SHANGHAI)
    text = text.replace("Z", "+0000") if text.endswith("Z") else text
    for form in DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, form)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)


def parse_count(value: str) -> int | None:
    """A count as exports write it: 1234, 1,234, 1.2万, 3w, 2k. None when it is not a number."""
    text = value.strip().replace(",", "").replace("，", "").lower()
    if not text:
        return 0
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*(万|w|亿|k|千)?\+?", text)
    if not match:
        return None
    factor = {"万": 10_000, "w": 10_000, "亿": 100_000_000, "k": 1_000, "千": 1_000}.get(match.group(2) or "", 1)
    number = float(match.group(1)) * factor
    return int(number) if number < 2**62 else None


def _row_check(line: int, cells: dict[str, str], batch: ImportBatch, now: datetime) -> RowCheck:
    check = RowCheck(line=line, cells=cells)
    text = cells.get("text", "").strip()
    if not text:
        check.problems.append(_("Row %(line)d has no text: fill it in or delete the row.") % {"line": line})
    posted = cells.get("posted_at", "").strip()
    at = parse_time(posted) if posted else None
    if posted and at is None:
        check.problems.append(_("Row %(line)d: “%(value)s” is not a date and time we can read; write it like "
                                "2024-05-01 12:30.") % {"line": line, "value": posted[:40]})
    elif at is not None and not dates.date_in_range(at):  # 0001-01-01 would overflow in UTC downstream
        check.problems.append(_("Row %(line)d: %(problem)s") % {"line": line, "problem": dates.range_message()})
    elif at is not None and at > now + FUTURE_SLACK:
        check.problems.append(_("Row %(line)d: %(value)s is in the future; check the date.")
                              % {"line": line, "value": posted[:40]})
    counts = {}
    for name in COUNT_FIELDS:
        value = cells.get(name, "")
        number = parse_count(value)
        if number is None:
            check.problems.append(_("Row %(line)d: %(field)s “%(value)s” is not a number; write digits only "
                                    "(1234 or 1.2万).") % {"line": line, "field": FIELDS[name][0],
                                                          "value": value[:30]})
        counts[name] = number or 0
    if check.problems:
        return check
    pid = re.sub(r"\s", "", cells.get("platform_id", ""))[:64]
    link = cells.get("url", "").strip()
    url = weibo_url(link)[:500] if len(link) <= 500 else ""
    if link and not url:
        check.warnings.append(_("Row %(line)d: the link “%(value)s” is not an http(s) link to Weibo (weibo.com, "
                                "weibo.cn, t.cn); the mention is imported without it.")
                              % {"line": line, "value": link[:60]})
    check.raw = Raw(text=text, platform_id=pid, url=url,
                    author_uid=cells.get("author_uid", "").strip()[:20],
                    author_name=cells.get("author_name", "").strip()[:200],
                    posted_at=at.isoformat() if at else "", import_batch=batch.pk, **counts)
    return check


def mapping_clean(batch: ImportBatch, mapping: dict[str, str]) -> dict[str, str]:
    """Only our fields, only the file's columns, each column once; ``text`` is required."""
    cleaned = {k: v for k, v in (mapping or {}).items() if k in FIELDS and v in batch.columns}
    if "text" not in cleaned:
        raise ValidationError({"text": _("Choose the column that holds the mention's text.")})
    twice = [col for col in set(cleaned.values()) if list(cleaned.values()).count(col) > 1]
    if twice:
        raise ValidationError({"__all__": _("Each column can fill one field only: “%(column)s” is chosen twice.")
                               % {"column": twice[0]}})
    return cleaned


def rows_check(batch: ImportBatch, mapping: dict[str, str], *, limit: int | None = None) -> list[RowCheck]:
    """The rows (the first ``limit``) read through ``mapping``, each with its problems."""
    index = {name: batch.columns.index(column) for name, column in mapping.items()}
    now = timezone.now()
    checks = []
    for number, row in enumerate(batch.rows[:limit] if limit else batch.rows, start=2):
        cells = {name: (row[i] if i < len(row) else "") for name, i in index.items()}
        checks.append(_row_check(number, cells, batch, now))
    return checks


def import_preview(*, batch: ImportBatch, mapping: dict[str, str]) -> list[RowCheck]:
    return rows_check(batch, mapping_clean(batch, mapping), limit=PREVIEW_ROWS)


@transaction.atomic
def import_confirm(*, batch: ImportBatch, by: User, mapping: dict[str, str]) -> ImportBatch:
    """Queue the good rows for the pipeline and list the others as problems; all in one transaction, once
    (a second confirmation, e.g. a double click, finds the batch no longer waiting and changes nothing)."""
    monitoring_require(by, batch.brand, Can.RULES)
    mapping = mapping_clean(batch, mapping)
    if not ImportBatch.objects.filter(pk=batch.pk, state=ImportState.MAPPING).update(state=ImportState.QUEUED):
        raise ValidationError(_("This file has already been imported."))
    checks = rows_check(batch, mapping)
    raws = [c.raw for c in checks if c.raw is not None]
    problems = [{"row": c.line, "message": " ".join(c.problems)} for c in checks if c.raw is None]
    problems += [{"row": c.line, "message": " ".join(c.warnings), "warning": True} for c in checks
                 if c.raw is not None and c.warnings]  # imported, but without what the warning names
    queued = mentions_submit(brand_id=batch.brand_id, source=MentionSource.IMPORT, raws=raws)
    batch.mapping, batch.rows_queued, batch.problems = mapping, queued, problems
    batch.rows, batch.state = [], ImportState.DONE  # the rows now wait in the pipeline; the file is not kept
    batch.save(update_fields=["mapping", "rows_queued", "problems", "rows", "state"])
    return batch
