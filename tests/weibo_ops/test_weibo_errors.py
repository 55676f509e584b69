"""Every error code of WEIBO_API.md maps to what the product does about it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from weibo_ops.weibo.errors import (
    AppRefused,
    Blocked,
    Duplicate,
    Forbidden,
    Invalid,
    NeedsReauthorisation,
    NotFound,
    Outcome,
    Pending,
    Permanent,
    RateLimited,
    RetryLater,
    error_from_body,
)

TABLE = [
    ([10001, 10002, 10003, 10009, 10010, 10011], RetryLater),
    ([10022, 10023, 10024, 20016], RateLimited),
    ([20017, 20019, 20111], Duplicate),
    ([20018, 20020, 20021, 21602], Forbidden),
    ([20008, 20012, 20013], Invalid),
    ([20032], Pending),
    ([*range(20101, 20110), *range(20201, 20205)], NotFound),
    ([21301, 21314, 21315, 21316, 21317, 21318, 21319, 21327, 21332], NeedsReauthorisation),
    ([10004, 20015, 20022], Blocked),
    ([10006, 10013, 10014, 21321], AppRefused),
]


@pytest.mark.parametrize(("codes", "kind"), TABLE, ids=[k.__name__ for _, k in TABLE])
@pytest.mark.parametrize("as_string", [False, True])
def test_each_documented_code_has_its_outcome(codes, kind, as_string):
    for code in codes:
        body = {"request": "/2/x.json", "error_code": str(code) if as_string else code, "error": "msg"}
        error = error_from_body(body, http_status=400, request="/2/x.json", raw="{}")
        assert type(error) is kind, code
        assert error.code == code and error.message == "msg"


def test_an_unknown_code_is_permanent_shows_the_platform_message_and_logs_the_raw_body(caplog):
    raw = '{"error_code": 99999, "error": "平台维护中"}'
    with caplog.at_level(logging.WARNING, logger="weibo_ops.weibo.errors"):
        error = error_from_body({"error_code": 99999, "error": "平台维护中"}, http_status=400, request="/2/a.json",
                                raw=raw)
    assert isinstance(error, Permanent) and error.outcome == Outcome.PERMANENT
    assert "平台维护中" in error.describe()
    assert raw in caplog.text


def test_a_bare_server_error_is_retried_and_a_bare_client_error_is_permanent():
    assert isinstance(error_from_body(None, http_status=502, request="/2/a.json", raw="<html>"), RetryLater)
    assert isinstance(error_from_body(None, http_status=404, request="/2/a.json", raw="nope"), Permanent)


def test_every_outcome_reads_as_a_sentence_for_people():
    for outcome in Outcome:
        error = error_from_body({"error_code": 1, "error": "x"}, http_status=400, request="", raw="")
        error.outcome = outcome
        assert "%(" not in error.describe()


@pytest.mark.parametrize("code", [10006, 10013, 10014, 21321])
def test_an_app_level_code_waits_an_hour_and_says_what_to_do(code):
    before = datetime.now(UTC)
    error = error_from_body({"error_code": code, "error": "msg"}, http_status=403, request="/2/x.json", raw="{}")
    assert error.outcome == Outcome.APP
    assert before + timedelta(minutes=59) < error.retry_at < datetime.now(UTC) + timedelta(minutes=61)
    assert "open.weibo.com" in error.what_to_do() or "WEIBO_APP_KEY" in error.what_to_do()
    assert "%(" not in error.describe()
