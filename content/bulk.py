"""Bulk import of posts into the calendar from CSV/XLSX, and export of the calendar with metrics.

Import is three steps: ``import_parse`` reads a file into plain rows (file-level problems raise a
``ValidationError``), ``import_check`` resolves and validates every row (per-row messages, nothing
written), and ``posts_import`` validates again and writes, all or nothing. Between the preview and
the confirmation, the rows travel signed (``import_sign`` / ``import_load``) so the person cannot
change what they saw, and the world is checked again on confirmation because it may have changed.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import secrets
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from positioning.access import Action, account_require, accounts_for, actions_on
from positioning.models import Account, PlaybookVersion
from team.models import User
from team.services import audit_record
from weibo_ops import dates

from .models import Pillar, Post, PostTarget, TargetState
from .selectors import target_list
from .services import SCHEDULE_GRACE, post_create, post_problems, post_schedule

MAX_FILE_BYTES = 5 * 1024 * 1024  # an upload larger than this is not a calendar, and parsing it costs memory
MAX_XLSX_UNPACKED_BYTES = 50 * 1024 * 1024  # a 5 MB zip can unpack to gigabytes (a "zip bomb")
# Rows of posts per file: a month of a four-account matrix. The import is one transaction at about
# 40 ms a row (post_create + post_schedule); on SQLite it holds the write lock throughout, and the
# publishing worker gives up after the 20 s busy timeout, so a file must import well within that.
MAX_ROWS = 300
MAX_COLUMNS = 30  # columns read from a sheet; the import has six
MAX_SHEET_ROWS = 100_000  # rows walked through in a sheet, empty ones included (formatting can reach far)
CELL_MAX_CHARS = 1000  # a post has at most 140 Weibo characters; longer cells are refused anyway
PAYLOAD_MAX_AGE = 60 * 60  # seconds a preview may be confirmed after the upload
PAYLOAD_SALT = "content.bulk.import"
SLOT_REACH = timedelta(minutes=30)  # a post within this of a playbook slot fills it (as on the calendar)
EXPORT_MAX_DAYS = 92  # a quarter
EXPORT_MAX_ROWS = 50_000  # beyond this a spreadsheet is no longer read by a person
EXPORT_CHUNK = 2000  # rows fetched from the database at a time while streaming

# Header names a file may use for each column, compared after ``_header_key``.
COLUMNS = {
    "account": ["账号", "帐号", "微博账号", "微博帐号", "account", "weiboname", "weiboaccount"],
    "date": ["日期", "发布日期", "date"],
    "time": ["时间", "发布时间", "time"],
    "pillar": ["内容支柱", "支柱", "pillar", "contentpillar"],
    "text": ["正文", "内容", "微博正文", "text", "posttext"],
    "original": ["原创", "是否原创", "original"],
}
REQUIRED = ["account", "date", "pillar", "text"]
TEMPLATE_HEADERS = {
    "zh": ["账号", "日期", "时间", "内容支柱", "正文", "原创"],
    "en": ["account", "date", "time", "pillar", "text", "original"],
}
YES = {"是", "y", "yes", "1", "true", "t", "原创", "√", "✓", "✔", "对"}
NO = {"否", "n", "no", "0", "false", "f", "非原创", "转发", "×", "✗", "✘", "不是"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # spreadsheet programs run cells starting with these

DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                     r"(?:[ T]+(\d{1,2})[:：](\d{2})(?:[:：]\d{2}(?:\.\d+)?)?)?$")
TIME_RE = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(?:\.\d+)?)?$")


# --- reading a file ----------------------------------------------------------------------------

@dataclass(frozen=True)
class RawRow:
    """One line of the file as written, every cell as text (dates as YYYY-MM-DD, times as HH:MM)."""

    line: int  # the row number in the file (the header is row 1), so the person can find it
    account: str
    date: str
    time: str
    pillar: str
    text: str
    original: str


@dataclass
class ImportFile:
    name: str
    encoding: str  # how it was read: "XLSX", "UTF-8", "UTF-8 (BOM)", "GB18030", ...
    rows: list[RawRow]
    ignored: list[str] = field(default_factory=list)  # header names of columns not used
    batch: str = field(default_factory=lambda: secrets.token_hex(8))  # one import per preview


def import_parse(*, upload: UploadedFile) -> ImportFile:
    """The rows of an uploaded CSV or XLSX file. Raises ``ValidationError`` with what to do when the
    file as a whole cannot be read (too big, wrong type, no header, missing columns, too many rows)."""
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        raise ValidationError(_("The file is %(size).1f MB; import files of up to %(max)s MB.")
                              % {"size": upload.size / 1024 / 1024, "max": MAX_FILE_BYTES // 1024 // 1024})
    upload.seek(0)
    data = upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(_("The file is larger than %(max)s MB; split it into smaller files.")
                              % {"max": MAX_FILE_BYTES // 1024 // 1024})
    name = (upload.name or "").rsplit("/", 1)[-1][:100]
    lower = name.lower()
    if data.startswith(b"PK\x03\x04"):
        table, encoding = _xlsx_cells(data)
    elif lower.endswith((".xls", ".et", ".numbers", ".ods")) or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(_("This spreadsheet format cannot be read: save it as .xlsx or as CSV."))
    elif not data.strip():
        raise ValidationError(_("The file is empty."))
    else:
        table, encoding = _csv_cells(data)
    rows, ignored = _rows(table)
    return ImportFile(name=name, encoding=encoding, rows=rows, ignored=ignored)


def _csv_cells(data: bytes) -> tuple[Iterable[tuple[int, list]], str]:
    try:
        if data.startswith(codecs.BOM_UTF8):
            text, encoding = data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "UTF-8 (BOM)"
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
            text, encoding = data.decode("utf-16"), "UTF-16"
        else:
            try:
                text, encoding = data.decode("utf-8"), "UTF-8"
            except UnicodeDecodeError:  # Excel on a Chinese Windows saves CSV in the system code page (GBK)
                text, encoding = data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError:  # also after a byte-order mark that the bytes behind it do not follow
        raise ValidationError(
            _("The file is neither UTF-8 nor GB18030 text: save it as “CSV UTF-8” or as .xlsx.")
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count) if any(d in first for d in ",\t;") else ","
    return _csv_rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)), encoding


def _csv_rows(reader) -> Iterable[tuple[int, list]]:
    """The reader's rows with their numbers; a row it cannot read (an unclosed quote runs past the
    csv module's field limit) refuses the file instead of failing the request."""
    try:
        yield from enumerate(reader, start=1)
    except csv.Error:
        raise ValidationError(_("The CSV cannot be read (a quote is not closed?): open it in a spreadsheet and "
                                "save it again as CSV.")) from None


def _xlsx_cells(data: bytes) -> tuple[list[tuple[int, tuple]], str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ValidationError(_("The file cannot be read as .xlsx: save it again as .xlsx or as CSV.")) from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ValidationError(_("The workbook unpacks to more than %(max)s MB; keep only the calendar sheet "
                                "or save it as CSV.") % {"max": MAX_XLSX_UNPACKED_BYTES // 1024 // 1024})
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        # Read here, so that a broken workbook fails now: the rows that hold something, with their
        # numbers, and one more than the cap at most (``_rows`` refuses it with the cap's message).
        table = []
        for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
            if number > MAX_SHEET_ROWS:
                raise ValidationError(_("The sheet has more than %(max)s rows; keep only the posts to import.")
                                      % {"max": f"{MAX_SHEET_ROWS:,}"})
            if _filled_row(values):
                table.append((number, values))
                if len(table) > MAX_ROWS + 1:  # the header and the rows
                    break
        book.close()
    except ValidationError:
        raise
    except Exception:  # openpyxl raises many kinds (KeyError, ValueError, ...) on a broken workbook
        raise ValidationError(_("The file cannot be read as .xlsx: save it again as .xlsx or as CSV.")) from None
    return table, "XLSX"


def _header_key(value: object) -> str:
    text = re.sub(r"[（(].*?[)）]", "", str(value or ""))  # "时间（可选）", "date (YYYY-MM-DD)"
    return re.sub(r"[\s*_\-：:﻿]", "", text).casefold()


def _cell(value: object, column: str) -> str:
    """A cell as the text the checks read: Excel dates and times become YYYY-MM-DD and HH:MM."""
    if value is None:
        return ""
    if column == "date" and isinstance(value, int | float) and not isinstance(value, bool) and 1 < value < 2958466:
        value = from_excel(value)  # a date cell without a date format: Excel's serial day number
    if column == "time" and isinstance(value, float) and 0 <= value < 1:
        value = (datetime.min + timedelta(days=value) + timedelta(seconds=0.5)).time()  # fraction of a day
    if isinstance(value, datetime | date | time | timedelta):
        return _temporal(value, column)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    return text[:CELL_MAX_CHARS]


def _temporal(value: datetime | date | time | timedelta, column: str) -> str:
    if isinstance(value, timedelta):  # openpyxl reads some duration-formatted times this way
        minutes = int(value.total_seconds() // 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if not isinstance(value, datetime):
        return value.isoformat()
    if column == "time":
        return value.strftime("%H:%M")
    return value.strftime("%Y-%m-%d %H:%M") if value.time() != time.min else value.strftime("%Y-%m-%d")


def _filled_row(values) -> bool:
    return any(v is not None and str(v).strip() for v in values or ())


def _rows(table: Iterable[tuple[int, Iterable]]) -> tuple[list[RawRow], list[str]]:
    """RawRows from (row number, cells) pairs: the first row that holds something names the columns."""
    header: dict[str, int] | None = None
    ignored: list[str] = []
    rows: list[RawRow] = []
    for number, cells_in in table:
        values = list(cells_in or [])
        if not _filled_row(values):
            continue
        if header is None:
            header, ignored = _header(values)
            continue
        if len(rows) >= MAX_ROWS:
            raise ValidationError(_("The file has more than %(max)s rows of posts; split it into smaller files.")
                                  % {"max": f"{MAX_ROWS:,}"})
        cells = {name: _cell(values[i] if i < len(values) else None, name) for name, i in header.items()}
        rows.append(RawRow(line=number, **{name: cells.get(name, "") for name in COLUMNS}))
    if header is None:
        raise ValidationError(_("The file is empty: its first row names the columns (download the template)."))
    if not rows:
        raise ValidationError(_("The file has a header row but no posts under it."))
    return rows, ignored


def _header(values: list) -> tuple[dict[str, int], list[str]]:
    aliases = {_header_key(alias): name for name, names in COLUMNS.items() for alias in names}
    header: dict[str, int] = {}
    ignored: list[str] = []
    for index, value in enumerate(values):
        name = aliases.get(_header_key(value))
        if name and name not in header:
            header[name] = index
        elif str(value or "").strip():
            ignored.append(str(value).strip()[:40])
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ValidationError(
            _("The first row must name the columns; missing: %(columns)s. Download the template to see them.")
            % {"columns": "、".join(f"{COLUMNS[m][0]} / {TEMPLATE_HEADERS['en'][list(COLUMNS).index(m)]}"
                                   for m in missing)})
    return header, ignored


# --- carrying the rows from the preview to the confirmation ---------------------------------

class _CompactJSON:
    """JSON without \\u escapes: Chinese text stays three bytes a character before compression."""

    def dumps(self, obj) -> bytes:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def loads(self, data: bytes):
        return json.loads(data.decode("utf-8"))


def _payload_max_chars() -> int:
    # The token comes back in a form field: it must fit under Django's limit on a request body.
    return int((settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440) * 0.9)


def import_sign(file: ImportFile, *, by: User) -> str:
    """The file's rows, signed for ``by``: what the confirmation imports, whatever the browser sends."""
    data = {"v": 1, "u": by.pk, "b": file.batch, "n": file.name, "e": file.encoding, "i": file.ignored,
            "r": [[r.line, r.account, r.date, r.time, r.pillar, r.text, r.original] for r in file.rows]}
    token = signing.dumps(data, salt=PAYLOAD_SALT, serializer=_CompactJSON, compress=True)
    if len(token) > _payload_max_chars():
        raise ValidationError(_("The file holds too much text to preview at once; split it into smaller files."))
    return token


def import_load(token: str, *, by: User) -> ImportFile:
    """The rows signed by ``import_sign``; refuses a token that was changed, is too old or is not theirs."""
    try:
        data = signing.loads(token, salt=PAYLOAD_SALT, serializer=_CompactJSON, max_age=PAYLOAD_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError(_("The preview is more than an hour old: upload the file again."),
                              code="expired") from None
    except (signing.BadSignature, ValueError):
        raise ValidationError(_("The preview was changed or is incomplete: upload the file again."),
                              code="tampered") from None
    if not isinstance(data, dict) or data.get("v") != 1 or data.get("u") != by.pk:
        raise ValidationError(_("This preview belongs to another session: upload the file again."), code="other")
    return ImportFile(name=data["n"], encoding=data["e"], ignored=data["i"], batch=data["b"],
                      rows=[RawRow(*row) for row in data["r"]])


# --- checking rows -----------------------------------------------------------------------------

@dataclass
class ImportRow:
    raw: RawRow
    account: Account | None = None
    pillar: Pillar | None = None
    at: datetime | None = None  # aware
    text: str = ""
    is_original: bool = True
    from_playbook: bool = False  # no time in the file: the playbook's next free slot
    errors: list[str] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.raw.line

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def local_at(self) -> datetime | None:
        return timezone.localtime(self.at, timezone.get_default_timezone()) if self.at else None


def _parse_date(value: str) -> tuple[date, time | None] | None:
    """The day (and time, if the cell holds one) of a date cell; None when unreadable or out of range."""
    parsed = _date_read(value)
    # Out of range (9999-12-31): a day later, or in UTC, is past the end of Python's calendar.
    return parsed if parsed is not None and dates.date_in_range(parsed[0]) else None


def _date_read(value: str) -> tuple[date, time | None] | None:
    match = DATE_RE.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute = match.groups()
    try:
        day_value = date(int(year), int(month), int(day))
        at = time(int(hour), int(minute)) if hour is not None else None
    except ValueError:
        return None
    return day_value, (at if at != time.min else None)


def _parse_time(value: str) -> time | None:
    match = TIME_RE.match(value.strip())
    if not match:
        return None
    try:
        return time(int(match.group(1)), int(match.group(2)))
    except ValueError:
        return None


def import_check(*, rows: list[RawRow], by: User, now: datetime | None = None) -> list[ImportRow]:
    """Every row resolved (account, pillar, time) with what stops it from being imported. Writes
    nothing. A row without a time takes its account's next free playbook slot that day."""
    now = now or timezone.now()
    tz = timezone.get_default_timezone()
    names = {r.account for r in rows if r.account}
    accounts: dict[str, list[Account]] = defaultdict(list)
    for account in Account.objects.filter(name__in=names).select_related("brand").order_by("pk"):
        accounts[account.name].append(account)
    brand_ids = {a.brand_id for found in accounts.values() for a in found}
    pillars: dict[int, dict[str, Pillar]] = defaultdict(dict)
    for pillar in Pillar.objects.filter(brand_id__in=brand_ids, is_active=True).select_related("brand"):
        pillars[pillar.brand_id][pillar.name.casefold()] = pillar

    checked = [_check_row(raw, by=by, accounts=accounts, pillars=pillars, now=now, tz=tz) for raw in rows]
    _fill_slots(checked, now=now, tz=tz)
    seen: dict[tuple[int, str], int] = {}
    for row in checked:
        if row.account is None or not row.text:
            continue
        key = (row.account.pk, " ".join(row.text.split()))
        if key in seen:
            row.errors.append(_("Same account and text as row %(line)s: Weibo refuses a repeated post.")
                              % {"line": seen[key]})
        else:
            seen[key] = row.line
    return checked


def _account_for(raw: RawRow, by: User, accounts: dict[str, list[Account]], row: ImportRow) -> Account | None:
    if not raw.account:
        row.errors.append(_("Give the account."))
        return None
    found = accounts.get(raw.account, [])
    if len(found) > 1:  # names are unique per brand: prefer the brand the person works on
        found = [a for a in found if Action.DRAFT in actions_on(by, a)] or found
    if not found:
        row.errors.append(_("Unknown account “%(name)s”: write its name as in the account matrix.")
                          % {"name": raw.account})
        return None
    if len(found) > 1:
        row.errors.append(_("Several brands have an account named “%(name)s”; import it from the account's "
                            "page instead.") % {"name": raw.account})
        return None
    account = found[0]
    if not account.is_active:
        row.errors.append(_("The account %(name)s is inactive.") % {"name": account.name})
        return None
    try:
        account_require(by, account, Action.DRAFT)
        account_require(by, account, Action.PUBLISH)
    except PermissionDenied as denied:
        row.errors.append(str(denied))
        return None
    return account


def _check_row(raw: RawRow, *, by: User, accounts, pillars, now: datetime, tz) -> ImportRow:
    row = ImportRow(raw=raw, text=raw.text.strip())
    row.account = _account_for(raw, by, accounts, row)
    if row.account is not None:
        row.pillar = _pillar_for(raw, row.account, pillars, row)
    _time_for(raw, row, now=now, tz=tz)
    original = raw.original.strip().casefold()
    if original in NO:
        row.is_original = False
    elif original and original not in YES:
        row.errors.append(_("“%(value)s” in the original column is neither yes nor no: write 是 or 否.")
                          % {"value": raw.original})
    # Without a known account the text is still checked against Weibo's rules (not a playbook's).
    for messages in post_problems(text=row.text, accounts=[row.account] if row.account else []).values():
        row.errors.extend(messages)
    return row


def _pillar_for(raw: RawRow, account: Account, pillars: dict[int, dict[str, Pillar]], row: ImportRow) -> Pillar | None:
    if not raw.pillar:
        row.errors.append(_("Give the content pillar."))
        return None
    pillar = pillars[account.brand_id].get(raw.pillar.casefold())
    if pillar is None:
        known = "、".join(p.name for p in pillars[account.brand_id].values()) or "—"
        row.errors.append(_("Unknown content pillar “%(name)s” for %(brand)s; its pillars are: %(known)s.")
                          % {"name": raw.pillar, "brand": account.brand.name, "known": known})
    return pillar


def _time_for(raw: RawRow, row: ImportRow, *, now: datetime, tz) -> None:
    """Sets ``row.at`` from the date and time columns (a row without a time waits for ``_fill_slots``)."""
    day = _parse_date(raw.date) if raw.date else None
    if not raw.date:
        row.errors.append(_("Give the date (YYYY-MM-DD)."))
    elif day is None and _date_read(raw.date) is not None:
        row.errors.append(f"“{raw.date}”: {dates.range_message()}")
    elif day is None:
        row.errors.append(_("“%(value)s” is not a date: write it as YYYY-MM-DD.") % {"value": raw.date})
    at_time = _parse_time(raw.time) if raw.time else (day[1] if day else None)
    if raw.time and at_time is None:
        row.errors.append(_("“%(value)s” is not a time: write it as HH:MM (Beijing time).") % {"value": raw.time})
    if day is not None and at_time is not None:
        row.at = datetime.combine(day[0], at_time, tzinfo=tz)
        if row.at < now - SCHEDULE_GRACE:
            row.errors.append(_("%(when)s has passed: pick a time from now on.")
                              % {"when": row.at.strftime("%Y-%m-%d %H:%M")})


def _fill_slots(rows: list[ImportRow], *, now: datetime, tz) -> None:
    """Rows without a time take the first playbook slot of their day that nothing fills yet, in the
    order of the file; posts already on the calendar and rows with a time fill slots first."""
    waiting = [r for r in rows if r.account is not None and r.at is None and not r.raw.time
               and (parsed := _parse_date(r.raw.date)) is not None and parsed[1] is None]
    if not waiting:
        return
    accounts = {r.account.pk for r in waiting}
    days = [_parse_date(r.raw.date)[0] for r in waiting]
    begin = datetime.combine(min(days), time.min, tzinfo=tz) - SLOT_REACH
    end = datetime.combine(max(days) + timedelta(days=1), time.min, tzinfo=tz) + SLOT_REACH
    taken: dict[int, list[datetime]] = defaultdict(list)
    for account_id, at in (PostTarget.objects.filter(account_id__in=accounts, scheduled_at__gte=begin,
                                                     scheduled_at__lt=end)
                           .exclude(state=TargetState.CANCELLED).values_list("account_id", "scheduled_at")):
        taken[account_id].append(at)
    for row in rows:
        if row.account is not None and row.at is not None:
            taken[row.account.pk].append(row.at)
    slots: dict[int, list[time]] = {}
    for playbook in PlaybookVersion.objects.filter(account_id__in=accounts).order_by("account_id", "-number"):
        slots.setdefault(playbook.account_id, sorted(time.fromisoformat(s) for s in playbook.time_slots))
    for row in waiting:
        day = _parse_date(row.raw.date)[0]
        times = slots.get(row.account.pk) or []
        if not times:
            row.errors.append(_("No time given, and %(account)s's playbook names no posting slots: give a time.")
                              % {"account": row.account.name})
            continue
        free = [at for at in (datetime.combine(day, t, tzinfo=tz) for t in times)
                if at >= now - SCHEDULE_GRACE and not _filled(at, times, day, tz, taken[row.account.pk])]
        if not free:
            row.errors.append(_("No time given, and every slot of %(account)s's playbook on %(day)s is taken or "
                                "past: give a time.") % {"account": row.account.name, "day": day.isoformat()})
            continue
        row.at, row.from_playbook = free[0], True
        taken[row.account.pk].append(free[0])


def _filled(slot: datetime, times: list[time], day: date, tz, taken: list[datetime]) -> bool:
    """Whether a post already sits in ``slot``: each post fills the slot nearest to it within
    ``SLOT_REACH``, as the calendar draws it."""
    day_slots = [datetime.combine(day, t, tzinfo=tz) for t in times]
    for at in taken:
        nearest = min(day_slots, key=lambda s: abs(s - at))
        if nearest == slot and abs(nearest - at) <= SLOT_REACH:
            return True
    return False


# --- importing ---------------------------------------------------------------------------------

@dataclass
class ImportResult:
    rows: list[ImportRow]  # as checked at the moment of import
    posts: list[Post]  # created; empty when refused
    refused: bool  # "all" asked but some row has errors now, or no row is valid: nothing written
    waiting: int = 0  # of the posts created, those waiting for approval before they go out

    @property
    def valid(self) -> int:
        return sum(1 for r in self.rows if r.ok)


def posts_import(*, file: ImportFile, by: User, ip: str | None, only_valid: bool,
                 now: datetime | None = None) -> ImportResult:
    """Create and schedule a post per row, in one transaction: every row (``only_valid=False``,
    refused unless all are valid) or the valid ones. Checked again here, since the accounts,
    pillars, permissions and the clock may have changed since the preview. A preview is imported
    at most once."""
    once = f"content-import:{file.batch}"
    if not cache.add(once, by.pk, PAYLOAD_MAX_AGE):
        raise ValidationError(_("This file has been imported already; the posts are on the calendar."),
                              code="done")
    try:
        with transaction.atomic():
            rows = import_check(rows=file.rows, by=by, now=now)
            chosen = [r for r in rows if r.ok]
            if not chosen or (not only_valid and len(chosen) != len(rows)):
                cache.delete(once)
                return ImportResult(rows, [], refused=True)
            posts = [_import_row(row, by=by, ip=ip) for row in chosen]
            audit_record(actor=by, action="post.import", target=posts[0].brand, ip=ip, changes={
                "count": [None, len(posts)], "file": [None, file.name],
                "posts": [None, [p.pk for p in posts]]})
    except Exception:
        cache.delete(once)
        raise
    waiting = PostTarget.objects.filter(post__in=posts, state=TargetState.WAITING).count()
    return ImportResult(rows, posts, refused=False, waiting=waiting)


def _import_row(row: ImportRow, *, by: User, ip: str | None) -> Post:
    try:
        post = post_create(by=by, pillar=row.pillar, text=row.text, accounts=[row.account],
                           is_original=row.is_original)
        return post_schedule(post=post, at=row.at, by=by, ip=ip)
    except (ValidationError, PermissionDenied) as error:
        # The checks above make this a race with someone else's change: the whole import rolls back.
        messages = error.messages if isinstance(error, ValidationError) else [str(error)]
        raise ValidationError(_("Row %(line)s: %(message)s Nothing was imported.")
                              % {"line": row.line, "message": " ".join(messages)}) from error


# --- export ------------------------------------------------------------------------------------

def cell_safe(value):
    """A text cell that a spreadsheet program shows as text instead of running it as a formula."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(FORMULA_START):
            return "'" + value
    return value


@dataclass
class ExportTable:
    start: date
    end: date
    header: list[str]
    count: int
    rows: Iterator[list]  # values: str, int, date, time, datetime (Asia/Shanghai, naive) or None

    @property
    def filename_stem(self) -> str:
        return f"content-{self.start.isoformat()}_{self.end.isoformat()}"


EXPORT_FIELDS = ["account__name", "scheduled_at", "post__pillar__name", "state", "variant", "post__text",
                 "post__is_original", "url", "mid", "published_at", "reposts", "comments", "attitudes",
                 "metrics_at"]


def calendar_export(*, user: User, start: date, end: date, account: Account | None = None) -> ExportTable:
    """The posts on the calendar from ``start`` to ``end`` (inclusive, Asia/Shanghai) on the accounts
    the person can see, with their latest counts. Two queries whatever the number of rows; the
    rows are read lazily, so a response can stream them."""
    if end < start:
        raise ValidationError({"end": _("The end date is before the start date.")})
    if (end - start).days + 1 > EXPORT_MAX_DAYS:
        raise ValidationError({"end": _("Export at most %(days)s days at a time.") % {"days": EXPORT_MAX_DAYS}})
    tz = timezone.get_default_timezone()
    targets = (target_list(user=user)
               .filter(scheduled_at__gte=datetime.combine(start, time.min, tzinfo=tz),
                       scheduled_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz))
               .exclude(state=TargetState.CANCELLED))
    if account is not None:
        targets = targets.filter(account=account)
    count = targets.count()
    if count > EXPORT_MAX_ROWS:
        raise ValidationError(_("%(count)s posts are in that range; export at most %(max)s at a time: choose "
                                "fewer days or one account.") % {"count": f"{count:,}", "max": f"{EXPORT_MAX_ROWS:,}"})
    header = [_("Account"), _("Date"), _("Time"), _("Content pillar"), _("State"), _("Text"), _("Original"),
              _("Link"), _("Weibo id"), _("Published at"), _("Reposts"), _("Comments"), _("Likes"),
              _("Counted at")]
    states = {value: str(label) for value, label in TargetState.choices}
    yes, no = _("Yes"), _("No")

    def local(at: datetime | None) -> datetime | None:
        return timezone.localtime(at, tz).replace(tzinfo=None) if at else None

    def rows() -> Iterator[list]:
        values = (targets.order_by("scheduled_at", "account__name", "pk").values_list(*EXPORT_FIELDS)
                  .iterator(chunk_size=EXPORT_CHUNK))
        for (name, scheduled, pillar, state, variant, text, original, url, mid, published, reposts, comments,
             likes, counted) in values:
            at = local(scheduled)
            yield [name, at.date(), at.time().replace(second=0, microsecond=0), pillar, states.get(state, state),
                   variant or text, yes if original else no, url, mid, local(published), reposts, comments, likes,
                   local(counted)]

    return ExportTable(start=start, end=end, header=header, count=count, rows=rows())


class _Line:
    """A file-like object that hands back what the csv writer writes, for streaming."""

    def write(self, value: str) -> str:
        return value


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(cell_safe(value))


def export_csv(table: ExportTable) -> Iterator[str]:
    """The table as CSV lines, UTF-8 with a BOM so that Excel reads the Chinese right."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([cell_safe(h) for h in table.header])
    for row in table.rows:
        yield writer.writerow([_csv_value(v) for v in row])


XLSX_FORMATS = {date: "yyyy-mm-dd", time: "hh:mm", datetime: "yyyy-mm-dd hh:mm"}
XLSX_WIDTHS = [14, 12, 8, 12, 16, 60, 8, 36, 18, 17, 9, 9, 9, 17]  # characters, column by column


def export_xlsx(table: ExportTable) -> bytes:
    """The table as a workbook, dates and times as real cells, every text cell kept as text."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=table.filename_stem[:31])
    for index, width in enumerate(XLSX_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_cell(sheet, h) for h in table.header])
    for row in table.rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(sheet, value):
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=cell_safe(value))
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    for kind in (datetime, date, time):  # datetime first: it is also a date
        if isinstance(value, kind):
            cell.number_format = XLSX_FORMATS[kind]
            break
    return cell


# --- the template ------------------------------------------------------------------------------

def import_template(*, by: User, language: str, today: date | None = None) -> str:
    """A CSV (with BOM) naming the columns, with one example row on an account the person may use."""
    headers = TEMPLATE_HEADERS["zh" if language.lower().startswith("zh") else "en"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    account = (accounts_for(by, Action.PUBLISH).filter(pk__in=accounts_for(by, Action.DRAFT).values("pk"),
                                                       is_active=True)
               .order_by("brand__name", "name").first())
    pillar = (Pillar.objects.filter(brand_id=account.brand_id, is_active=True).order_by("name").first()
              if account else None)
    if account and pillar:
        day = (today or timezone.localdate()) + timedelta(days=1)
        example = _("Write the post here; links go to %(domain)s:") % {"domain": settings.WEIBO_SAFE_DOMAIN}
        writer.writerow([account.name, day.isoformat(), "10:00", pillar.name,
                         f"{example} https://{settings.WEIBO_SAFE_DOMAIN}/",
                         "是" if headers[0] == "账号" else "yes"])
    return "\ufeff" + out.getvalue()
