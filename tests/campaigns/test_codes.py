"""Code hunts: unique, easy-to-type codes per channel; redemption once, idempotent by redemption id; the CSV and
XLSX import of a shop system's redemptions; the printer's export."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from campaigns import codes, services
from campaigns.models import CampaignState, Code
from team.models import AuditEvent

from .helpers_cc import campaign_make

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]
LANGUAGE = "en"


@pytest.fixture(autouse=True)
def _english(english):
    yield


@pytest.fixture
def campaign(demo):
    return campaign_make(demo)


def test_generate_makes_unique_unambiguous_codes_per_channel_and_audits(demo, campaign):
    made = codes.codes_generate(campaign=campaign, by=demo.people["manager"], channel="瓶盖", count=3000)
    assert made == 3000
    values = list(Code.objects.filter(campaign=campaign, channel="瓶盖").values_list("code", flat=True))
    assert len(values) == len(set(values)) == 3000
    assert all(re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{10}", v) for v in values)
    assert not any(c in "".join(values) for c in "0O1IL")
    event = AuditEvent.objects.get(action="codes.generate")
    assert event.changes == {"channel": [None, "瓶盖"], "codes": [None, 3000]}


def test_generate_refuses_bad_input_and_outsiders(demo, campaign):
    with pytest.raises(ValidationError) as error:
        codes.codes_generate(campaign=campaign, by=demo.people["manager"], channel=" ", count=0)
    assert set(error.value.message_dict) == {"channel", "count"}
    with pytest.raises(PermissionDenied):
        codes.codes_generate(campaign=campaign, by=demo.people["logistics"], channel="海报", count=1)
    assert not Code.objects.exists()


def _one(campaign, value="ABCDEFGHJK", channel="瓶盖"):
    return Code.objects.create(campaign=campaign, channel=channel, code=value)


def test_redeem_is_idempotent_by_redemption_id(campaign):
    _one(campaign)
    at = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
    first = codes.code_redeem(code="abcde-fghjk", redemption_id="POS-1", where="静安店", at=at)
    again = codes.code_redeem(code="ABCDEFGHJK", redemption_id="POS-1", where="别处", at=datetime.now(UTC))
    assert (first.pk, first.redeemed_at, first.redeemed_where) == (again.pk, at, "静安店")
    assert again.redemption_id == "POS-1"


def test_redeem_refuses_a_used_code_saying_when_and_where(campaign):
    _one(campaign)
    codes.code_redeem(code="ABCDEFGHJK", redemption_id="POS-1", where="静安店",
                      at=datetime(2026, 12, 1, 6, 30, tzinfo=UTC))
    with pytest.raises(ValidationError) as error:
        codes.code_redeem(code="ABCDEFGHJK", redemption_id="POS-2", where="徐汇店")
    assert error.value.message_dict == {
        "code": ["Code ABCDE-FGHJK was already redeemed on 2026-12-01 14:30 at 静安店."]}
    assert Code.objects.get().redemption_id == "POS-1"


def test_redeem_refuses_unknown_codes_and_reused_ids(campaign):
    _one(campaign)
    _one(campaign, "BBBBBBBBBB")
    with pytest.raises(ValidationError) as error:
        codes.code_redeem(code="ABCDEFGHJX", redemption_id="POS-1")
    assert error.value.message_dict == {
        "code": ["No such code: ABCDE-FGHJX. Check it letter by letter (codes have no 0, O, 1, I or L)."]}
    codes.code_redeem(code="ABCDEFGHJK", redemption_id="POS-1")
    with pytest.raises(ValidationError) as error:
        codes.code_redeem(code="BBBBBBBBBB", redemption_id="POS-1")
    assert error.value.message_dict == {
        "redemption_id": ["Redemption id POS-1 was already used for code ABCDE-FGHJK; give each redemption its "
                          "own id."]}
    assert Code.objects.get(code="BBBBBBBBBB").redeemed_at is None


@pytest.mark.parametrize("state", [CampaignState.CLOSED, CampaignState.CANCELLED])
def test_redeem_refuses_codes_of_a_closed_or_cancelled_campaign(campaign, state):
    _one(campaign)
    campaign.state = state
    campaign.save(update_fields=["state"])
    with pytest.raises(ValidationError) as error:
        codes.code_redeem(code="ABCDEFGHJK", redemption_id="POS-1")
    assert error.value.message_dict == {
        "code": [f"Code ABCDE-FGHJK belongs to “扫码赢好礼”, which is {state.label}: it can no longer be redeemed."]}
    assert Code.objects.get().redeemed_at is None


def test_redeem_hides_codes_of_campaigns_the_caller_cannot_see(demo, campaign):
    _one(campaign)
    with pytest.raises(ValidationError) as error:
        codes.code_redeem(code="ABCDEFGHJK", redemption_id="POS-1", by=demo.people["logistics"])
    assert list(error.value.message_dict) == ["code"]
    assert "No such code" in error.value.message_dict["code"][0]


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("redemptions.csv", text.encode("utf-8-sig"), content_type="text/csv")


def test_import_gives_each_rows_outcome_and_is_idempotent(demo, campaign):
    _one(campaign)
    _one(campaign, "CCCCCCCCCC")
    text = ("兑换码,核销单号,门店,核销时间\n"
            "ABCDE-FGHJK,R1,静安店,2026-12-01 14:30\n"
            "ZZZZZZZZZZ,R2,静安店,\n"
            "CCCCCCCCCC,,徐汇店,\n")
    result = codes.codes_import(campaign=campaign, by=demo.people["manager"], file=_csv(text))
    assert [(r.line, r.ok) for r in result.rows] == [(2, True), (3, False), (4, True)]
    assert result.rows[1].message.startswith("No such code: ZZZZZ-ZZZZZ.")
    assert result.rows[0].message == "redeemed on 2026-12-01 14:30"
    again = codes.codes_import(campaign=campaign, by=demo.people["manager"], file=_csv(text))
    assert [(r.line, r.ok) for r in again.rows] == [(2, True), (3, False), (4, True)]
    assert Code.objects.filter(redeemed_at__isnull=False).count() == 2
    assert Code.objects.get(code="CCCCCCCCCC").redemption_id == "import:CCCCCCCCCC"


def test_import_of_a_bad_file_writes_nothing_and_lists_the_lines(demo, campaign):
    _one(campaign)
    text = "code,redemption_id,at\nABCDEFGHJK,R1,\n,R2,\nABCDEFGHJK,R3,tomorrow\n"
    with pytest.raises(ValidationError) as error:
        codes.codes_import(campaign=campaign, by=demo.people["manager"], file=_csv(text))
    assert error.value.messages == ["Line 3: the code is missing.",
                                    "Line 4: “tomorrow” is not a time; write it as 2026-05-01 14:30."]
    assert Code.objects.get().redeemed_at is None
    for data, message in [(b"", "The file is empty."),
                          (b"PK\x03\x04garbage", "The file cannot be read as .xlsx: save it again as .xlsx or as CSV."),
                          ("名字\n张三\n".encode(), "Line 1 must name the columns: code (兑换码), and optionally "
                                                   "redemption_id (核销单号), where (门店) and at (核销时间).")]:
        with pytest.raises(ValidationError) as error:
            codes.codes_import(campaign=campaign, by=demo.people["manager"], file=io.BytesIO(data))
        assert error.value.messages == [message]


def test_import_reads_xlsx(demo, campaign):
    _one(campaign)
    book = Workbook()
    book.active.append(["code", "redemption_id", "where"])
    book.active.append(["ABCDEFGHJK", "X1", "门店 7"])
    out = io.BytesIO()
    book.save(out)
    result = codes.codes_import(campaign=campaign, by=demo.people["manager"],
                                file=SimpleUploadedFile("r.xlsx", out.getvalue()))
    assert [(r.line, r.ok) for r in result.rows] == [(2, True)]
    assert Code.objects.get().redeemed_where == "门店 7"


def test_export_is_the_channels_codes_for_the_printer(demo, campaign):
    codes.codes_generate(campaign=campaign, by=demo.people["manager"], channel="瓶盖", count=5)
    codes.codes_generate(campaign=campaign, by=demo.people["manager"], channel="海报", count=2)
    text = codes.codes_export(campaign=campaign, by=demo.people["manager"], channel="瓶盖")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == "code,channel,campaign"
    stored = [codes.code_display(c) for c in Code.objects.filter(channel="瓶盖").order_by("id")
              .values_list("code", flat=True)]
    assert [line.split(",")[0] for line in lines[1:]] == stored
    assert all(line.endswith(",瓶盖,扫码赢好礼") for line in lines[1:])
    with pytest.raises(PermissionDenied):
        codes.codes_export(campaign=campaign, by=demo.people["logistics"], channel="瓶盖")


def test_generate_refused_on_a_cancelled_campaign(demo, campaign):
    services.campaign_cancel(campaign=campaign, by=demo.people["manager"])
    with pytest.raises(ValidationError) as error:
        codes.codes_generate(campaign=campaign, by=demo.people["manager"], channel="瓶盖", count=1)
    assert error.value.messages == ["The campaign is Cancelled: it takes no new codes."]
