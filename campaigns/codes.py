"""Code hunts (扫码/集码活动): unique codes printed on packaging or ads, one batch per channel, redeemed once.

A code is 10 characters from an alphabet without the look-alikes 0/O, 1/I/L (31 symbols: about 50 bits, so
nobody guesses a valid one), made with ``secrets``. A shop or POS redeems through the REST API, idempotent by
its redemption id: the same id again returns the same code unchanged (a retried request after a lost answer),
never a second redemption. A CSV or XLSX of redemptions from a shop system goes through the same
``code_redeem``, row by row, inside one transaction: a file that cannot be read is refused whole.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import secrets
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from team.models import User
from team.services import audit_record

from .access import campaign_manage_require, campaigns_for
from .models import Campaign, CampaignState, Code

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read off a bottle cap and typed without doubt
CODE_LENGTH = 10  # 31 ** 10 ≈ 8 × 10^14: guessing one valid code among a million takes ~10^9 tries
MAX_CODES = 200_000  # per call: a print run; larger runs are made in several batches
CREATE_BATCH = 5000  # rows per INSERT
MAX_IMPORT_BYTES = 5 * 1024 * 1024  # a shop's day of redemptions is far smaller
MAX_IMPORT_ROWS = 20_000  # one transaction: beyond this, split the file
CLOSED_STATES = {CampaignState.CLOSED, CampaignState.CANCELLED}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # spreadsheet programs run cells starting with these

COLUMNS = {
    "code": {"code", "码", "兑换码", "券码"},
    "redemption_id": {"redemptionid", "id", "单号", "流水号", "核销单号", "订单号"},
    "where": {"where", "store", "shop", "门店", "地点", "核销门店"},
    "at": {"at", "time", "redeemedat", "时间", "核销时间"},
}


def code_normalise(text: str) -> str:
    """What a person typed, as stored: upper case, without spaces and dashes (codes are printed in groups)."""
    return re.sub(r"[\s\-_]", "", text or "").upper()


def code_display(code: str) -> str:
    """Printed in two groups of five, easier to read off and type: ``ABCDE-FGHJK``."""
    return f"{code[:5]}-{code[5:]}" if len(code) == CODE_LENGTH else code


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _i in range(CODE_LENGTH))


def _when(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else "—"


@transaction.atomic
def codes_generate(*, campaign: Campaign, by: User, channel: str, count: int, ip: str | None = None) -> int:
    """Makes ``count`` new codes for ``channel`` (a print run: packaging, a poster, a shop); returns how many."""
    campaign_manage_require(by, campaign)
    channel = (channel or "").strip()
    errors = {}
    if not channel:
        errors["channel"] = _("Name the channel the codes are printed for (packaging, a poster, a shop).")
    elif len(channel) > Code._meta.get_field("channel").max_length:
        errors["channel"] = _("Keep the channel's name within %(n)s characters.") % {"n": 60}
    if not isinstance(count, int) or not 1 <= count <= MAX_CODES:
        errors["count"] = _("Make between 1 and %(max)s codes at a time.") % {"max": f"{MAX_CODES:,}"}
    if errors:
        raise ValidationError(errors)
    if campaign.state in CLOSED_STATES:
        raise ValidationError(_("The campaign is %(state)s: it takes no new codes.")
                              % {"state": campaign.get_state_display()})
    made = 0
    while made < count:
        wanted = min(CREATE_BATCH, count - made)
        batch: set[str] = set()
        while len(batch) < wanted:
            batch.add(_new_code())
        taken = set(Code.objects.filter(code__in=batch).values_list("code", flat=True))
        fresh = batch - taken  # a collision is astronomically rare; the next round makes up for it
        Code.objects.bulk_create([Code(campaign=campaign, channel=channel, code=c) for c in fresh],
                                 batch_size=CREATE_BATCH)
        made += len(fresh)
    audit_record(actor=by, action="codes.generate", target=campaign, ip=ip,
                 changes={"channel": [None, channel], "codes": [None, made]})
    return made


def _refuse_used(code: Code) -> ValidationError:
    return ValidationError({"code": _("Code %(code)s was already redeemed on %(at)s at %(where)s.")
                            % {"code": code_display(code.code), "at": _when(code.redeemed_at),
                               "where": code.redeemed_where or _("an unnamed place")}})


def code_redeem(*, code: str, redemption_id: str, where: str = "", at: datetime | None = None,
                by: User | None = None, campaign: Campaign | None = None) -> Code:
    """Redeems a code once. The same ``redemption_id`` again returns the same code unchanged (a retry); the
    code with another id, an unknown code and a code of a closed campaign are refused, each saying which.
    ``by``: only codes of campaigns that person sees exist for them; ``campaign``: only that campaign's."""
    value, redemption_id = code_normalise(code), (redemption_id or "").strip()
    where = (where or "").strip()[:Code._meta.get_field("redeemed_where").max_length]
    _redeem_check(value, redemption_id)
    codes = Code.objects.select_related("campaign")
    if by is not None:
        codes = codes.filter(campaign__in=campaigns_for(by).values("pk"))
    if campaign is not None:
        codes = codes.filter(campaign=campaign)
    earlier = codes.filter(redemption_id=redemption_id).first()
    if earlier is not None:
        if earlier.code == value:
            return earlier  # the same request again: the same answer
        raise ValidationError({"redemption_id": _("Redemption id %(id)s was already used for code %(code)s; "
                                                  "give each redemption its own id.")
                               % {"id": redemption_id, "code": code_display(earlier.code)}})
    found = codes.filter(code=value).first()
    if found is None:
        raise ValidationError({"code": _("No such code: %(code)s. Check it letter by letter (codes have no 0, "
                                         "O, 1, I or L).") % {"code": code_display(value)}})
    if found.campaign.state in CLOSED_STATES:
        raise ValidationError({"code": _("Code %(code)s belongs to “%(campaign)s”, which is %(state)s: it can no "
                                         "longer be redeemed.")
                               % {"code": code_display(value), "campaign": found.campaign.title,
                                  "state": found.campaign.get_state_display()}})
    if found.redeemed_at is not None:
        raise _refuse_used(found)
    return _claim(found, redemption_id=redemption_id, where=where, at=at or timezone.now())


def _redeem_check(value: str, redemption_id: str) -> None:
    errors = {}
    if not value:
        errors["code"] = _("Give the code as printed.")
    if not redemption_id:
        errors["redemption_id"] = _("Give the redemption id (the receipt or transaction number): a retry with "
                                    "the same id is then recorded once.")
    elif len(redemption_id) > Code._meta.get_field("redemption_id").max_length:
        errors["redemption_id"] = _("A redemption id has at most %(n)s characters.") % {"n": 80}
    if errors:
        raise ValidationError(errors)


def _claim(found: Code, *, redemption_id: str, where: str, at: datetime) -> Code:
    """Redeems by a conditional UPDATE, so that two shops scanning the same code at once cannot both win."""
    try:
        with transaction.atomic():
            claimed = Code.objects.filter(pk=found.pk, redeemed_at__isnull=True).update(
                redeemed_at=at, redemption_id=redemption_id, redeemed_where=where)
    except IntegrityError:  # the same id, at the same moment, for another code
        claimed = 0
    found.refresh_from_db()
    if not claimed:
        if found.redemption_id == redemption_id:
            return found  # the same request, sent twice at once: the other one recorded it
        if found.redeemed_at is not None:
            raise _refuse_used(found)
        raise ValidationError({"redemption_id": _("Redemption id %(id)s was already used for another code; "
                                                  "give each redemption its own id.") % {"id": redemption_id}})
    return found


# --- import and export ----------------------------------------------------------------------------------

@dataclass
class RowOutcome:
    line: int
    code: str
    redemption_id: str
    ok: bool
    message: str


@dataclass
class ImportResult:
    rows: list[RowOutcome] = field(default_factory=list)

    @property
    def redeemed(self) -> int:
        return sum(row.ok for row in self.rows)

    @property
    def refused(self) -> int:
        return sum(not row.ok for row in self.rows)


def _header_key(value: object) -> str:
    return re.sub(r"[\s*_\-：:\ufeff]", "", str(value or "")).casefold()


def _table(data: bytes) -> list[tuple[int, list[str]]]:
    """(line number, cells) of a CSV (UTF-8, with or without BOM, or GB18030) or the first sheet of an XLSX."""
    if data.startswith(b"PK\x03\x04"):
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            rows = [(n, ["" if v is None else (v.isoformat() if isinstance(v, datetime) else str(v)) for v in row])
                    for n, row in enumerate(book.worksheets[0].iter_rows(max_col=10, values_only=True), start=1)
                    if n <= MAX_IMPORT_ROWS + 1]
            book.close()
            return rows
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError):
            raise ValidationError(_("The file cannot be read as .xlsx: save it again as .xlsx or as CSV.")) from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")  # Excel on a Chinese Windows saves CSV in the system code page
        except UnicodeDecodeError:
            raise ValidationError(_("The file is neither UTF-8 nor GB18030 text: save it as “CSV UTF-8” or as "
                                    ".xlsx.")) from None
    if "\x00" in text:
        raise ValidationError(_("The file is not a CSV: save it as “CSV UTF-8” or as .xlsx."))
    try:
        return list(enumerate(csv.reader(io.StringIO(text, newline="")), start=1))
    except csv.Error:
        raise ValidationError(_("The CSV cannot be read (a quote is not closed?): open it in a spreadsheet and "
                                "save it again as CSV.")) from None


def _columns(header: list[str], line: int) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        for column, names in COLUMNS.items():
            if _header_key(name) in names and column not in columns:
                columns[column] = index
    if "code" not in columns:
        raise ValidationError(_("Line %(line)s must name the columns: code (兑换码), and optionally redemption_id "
                                "(核销单号), where (门店) and at (核销时间).") % {"line": line})
    return columns


def _time(when: str, line: int, problems: list[str]) -> datetime | None:
    if not when:
        return None
    at = parse_datetime(when.replace(" ", "T", 1) if len(when) > 10 and when[10] == " " else when)
    if at is None:
        problems.append(_("Line %(line)s: “%(value)s” is not a time; write it as 2026-05-01 14:30.")
                        % {"line": line, "value": when[:40]})
        return None
    return timezone.make_aware(at) if timezone.is_naive(at) else at  # naive: the shop's time, Asia/Shanghai


def _parse_rows(data: bytes) -> list[tuple[int, str, str, str, datetime | None]]:
    """(line, code, redemption id, where, at) per filled row; every problem of the file at once, by line."""
    if not data.strip():
        raise ValidationError(_("The file is empty."))
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(_("The file is larger than %(max)s MB; split it.") % {"max": MAX_IMPORT_BYTES >> 20})
    table = [(n, cells) for n, cells in _table(data) if any(str(c).strip() for c in cells)]
    if not table:
        raise ValidationError(_("The file is empty."))
    header_line, header = table[0]
    columns = _columns(header, header_line)
    if len(table) - 1 > MAX_IMPORT_ROWS:
        raise ValidationError(_("The file has more than %(max)s rows; split it.") % {"max": f"{MAX_IMPORT_ROWS:,}"})
    rows, problems = [], []
    for line, cells in table[1:]:
        value, redemption_id, where, when = (
            str(cells[columns[c]]).strip() if c in columns and columns[c] < len(cells) else ""
            for c in ("code", "redemption_id", "where", "at"))
        if not value:
            problems.append(_("Line %(line)s: the code is missing.") % {"line": line})
        at = _time(when, line, problems)
        if len(redemption_id) > 80:
            problems.append(_("Line %(line)s: the redemption id is longer than 80 characters.") % {"line": line})
        rows.append((line, value, redemption_id, where, at))
    if problems:
        raise ValidationError(problems)
    return rows


@transaction.atomic
def codes_import(*, campaign: Campaign, by: User, file, ip: str | None = None) -> ImportResult:
    """Records the redemptions of a CSV or XLSX (columns: code, optionally redemption_id, where, at) and returns
    each row's outcome. A file that cannot be read, or has a row without a code or with a bad time, is refused
    whole with every problem by line; a refused redemption (unknown, used) is that row's outcome. A row
    without a redemption id is given one from its code, so importing the same file twice records it once."""
    campaign_manage_require(by, campaign)
    data = file.read() if hasattr(file, "read") else bytes(file)
    rows = _parse_rows(data)
    result = ImportResult()
    for line, value, given_id, where, at in rows:
        redemption_id = given_id or f"import:{code_normalise(value)}"
        try:
            with transaction.atomic():
                redeemed = code_redeem(code=value, redemption_id=redemption_id, where=where, at=at,
                                       campaign=campaign)
            result.rows.append(RowOutcome(line, code_display(redeemed.code), redemption_id, True,
                                          _("redeemed on %(at)s") % {"at": _when(redeemed.redeemed_at)}))
        except ValidationError as error:
            message = "; ".join(m for messages in error.message_dict.values() for m in messages) \
                if hasattr(error, "error_dict") else "; ".join(error.messages)
            result.rows.append(RowOutcome(line, code_display(code_normalise(value)), redemption_id, False, message))
    audit_record(actor=by, action="codes.import", target=campaign, ip=ip,
                 changes={"redeemed": [None, result.redeemed], "refused": [None, result.refused]})
    return result


def _safe_cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_START) else text


def codes_export(*, campaign: Campaign, by: User, channel: str, ip: str | None = None) -> str:
    """The channel's codes as CSV for the printer (UTF-8 with BOM, so Excel reads the Chinese): code, channel."""
    campaign_manage_require(by, campaign)
    codes = Code.objects.filter(campaign=campaign, channel=channel).order_by("id").values_list("code", flat=True)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["code", "channel", "campaign"])
    count = 0
    for value in codes.iterator(chunk_size=CREATE_BATCH):
        writer.writerow([code_display(value), _safe_cell(channel), _safe_cell(campaign.title)])
        count += 1
    audit_record(actor=by, action="codes.export", target=campaign, ip=ip,
                 changes={"channel": [None, channel], "codes": [None, count]})
    return out.getvalue()
