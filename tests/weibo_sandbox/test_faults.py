"""Fault injection: errors, codes, rate limits, slow answers, pending writes, dropped connections."""

from __future__ import annotations

import time

import httpx
import pytest

from .weibo import BRAND, RIP, Account, assert_error, link


@pytest.fixture
def brand(fresh_sandbox):
    return Account(fresh_sandbox, BRAND)


def faults(sandbox, **body) -> dict:
    return sandbox.admin("POST", "/_sandbox/faults", body)


def test_platform_error_once(brand, fresh_sandbox):
    faults(fresh_sandbox, once=[{"kind": "error"}, {"kind": "error", "code": 10009}])
    first = brand.get("users/show", uid=BRAND)
    assert first.status_code == 500 and first.json()["error_code"] == 10001
    second = brand.get("users/show", uid=BRAND)
    assert second.status_code == 503 and second.json()["error_code"] == 10009
    assert brand.get("users/show", uid=BRAND).status_code == 200


@pytest.mark.parametrize(("code", "status"), [(10004, 403), (20015, 403), (21327, 401), (99999, 400)])
def test_any_code_once(brand, fresh_sandbox, code, status):
    faults(fresh_sandbox, once=[{"kind": "code", "code": code}])
    assert_error(brand.get("users/show", uid=BRAND), code, status)
    assert brand.get("users/show", uid=BRAND).status_code == 200


def test_once_entries_match_their_path_in_order(brand, fresh_sandbox):
    faults(
        fresh_sandbox,
        once=[{"kind": "code", "code": 20015, "path": "/2/statuses/show.json"}, {"kind": "code", "code": 10004}],
    )
    assert_error(brand.get("users/show", uid=BRAND), 10004, 403)  # the first entry waits for its path
    assert fresh_sandbox.admin("GET", "/_sandbox/faults")["once"] == [
        {"kind": "code", "code": 20015, "path": "/2/statuses/show.json"}
    ]
    assert_error(brand.get("statuses/show", id=brand.timeline_ids()[0]), 20015, 403)
    assert fresh_sandbox.admin("GET", "/_sandbox/faults")["once"] == []


def test_rate_limit_fault_spends_the_bucket(brand, fresh_sandbox):
    faults(fresh_sandbox, once=[{"kind": "rate_limit", "code": 10023}])
    assert_error(brand.get("users/show", uid=BRAND), 10023, 403)
    assert_error(brand.get("users/show", uid=BRAND), 10023, 403)  # spent for the rest of the hour
    faults(fresh_sandbox, once=[{"kind": "rate_limit", "code": 10024, "path": "/2/statuses/share.json"}])
    other = Account(fresh_sandbox, 5500000003)
    assert_error(other.post("statuses/share", {"status": f"限流 {link()}", "rip": RIP}), 10024, 403)
    assert_error(other.post("statuses/share", {"status": f"还是限流 {link('2')}", "rip": RIP}), 10024, 403)
    assert other.get("users/show", uid=BRAND).status_code == 200


def test_rates_apply_to_the_listed_paths(brand, fresh_sandbox):
    faults(fresh_sandbox, error_rate=1.0, paths=["/2/users/show.json"])
    assert brand.get("users/show", uid=BRAND).status_code in (500, 503)
    assert brand.get("statuses/user_timeline").status_code == 200
    assert fresh_sandbox.admin("DELETE", "/_sandbox/faults")["error_rate"] == 0
    assert brand.get("users/show", uid=BRAND).status_code == 200


def test_slow(brand, fresh_sandbox):
    faults(fresh_sandbox, slow_seconds=1, once=[{"kind": "slow"}, {"kind": "slow"}])
    impatient = httpx.Client(base_url=fresh_sandbox.url, headers=brand.http.headers, timeout=0.3)
    with pytest.raises(httpx.ReadTimeout):
        impatient.get("/2/users/show.json", params={"uid": BRAND})
    started = time.monotonic()
    assert brand.get("users/show", uid=BRAND).status_code == 200
    assert time.monotonic() - started >= 0.9


def test_drop_stores_the_write_and_cuts_the_connection(brand, fresh_sandbox):
    faults(fresh_sandbox, once=[{"kind": "drop", "path": "/2/statuses/share.json"}])
    text = f"掉线也要找得到 {link('drop')}"
    with pytest.raises(httpx.RemoteProtocolError):
        brand.post("statuses/share", {"status": text, "rip": RIP})
    latest = brand.ok(brand.get("statuses/user_timeline", count=1))["statuses"][0]
    assert latest["text"] == text
    faults(fresh_sandbox, drop_rate=1.0, paths=["/2/users/show.json"])
    with pytest.raises(httpx.RemoteProtocolError):
        brand.get("users/show", uid=BRAND)
    assert brand.get("statuses/show", id=latest["id"]).status_code == 200


def test_pending_hides_the_write_then_shows_it(brand, fresh_sandbox):
    faults(fresh_sandbox, pending_seconds=1, once=[{"kind": "pending", "path": "/2/statuses/share.json"}])
    text = f"服务器慢也发出去了 {link('pending')}"
    assert_error(brand.post("statuses/share", {"status": text, "rip": RIP}), 20032)
    answered = time.monotonic()

    def newest() -> dict:
        return brand.ok(brand.get("statuses/user_timeline", count=1))["statuses"][0]

    assert newest()["text"] != text
    assert brand.ok(brand.biz_get("/2/search/statuses/limited.json", q="服务器慢"))["statuses"] == []
    while newest()["text"] != text and time.monotonic() - answered < 5:
        time.sleep(0.05)
    assert newest()["text"] == text and time.monotonic() - answered >= 0.8
    assert brand.get("statuses/show", id=newest()["id"]).status_code == 200


def test_fault_settings_are_validated(fresh_sandbox):
    for body in (
        {"error_rate": 2},
        {"once": [{"kind": "boom"}]},
        {"once": [{"kind": "rate_limit", "code": 1}]},
        {"paths": "x"},
        {"nonsense": 1},
    ):
        response = fresh_sandbox.http.post("/_sandbox/faults", json=body)
        assert response.status_code == 400, body
    assert fresh_sandbox.admin("GET", "/_sandbox/faults")["once"] == []


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        (10006, 400, "Source paramter (appkey) is missing"),
        (10013, 400, "Invalid weibo user"),
        (10014, 403, "Insufficient app permissions!"),
        (21321, 403, "Applications over the unaudited use restrictions!"),
    ],
)
def test_app_level_codes_as_faults(brand, fresh_sandbox, code, status, message):
    """The codes about the app itself (not the call) come with Weibo's own status and message."""
    before = brand.timeline_ids()
    faults(fresh_sandbox, once=[{"kind": "code", "code": code, "path": "/2/statuses/share.json"}])
    body = assert_error(brand.post("statuses/share", {"status": f"应用级错误 {link()}", "rip": RIP}), code, status)
    assert body["error"] == message
    assert brand.timeline_ids() == before  # nothing was written
    assert fresh_sandbox.admin("GET", "/_sandbox/requests?limit=2")[0]["fault"] == "code"


def test_a_black_holed_request_gets_no_byte_until_the_client_gives_up(fresh_sandbox):
    impatient = Account(fresh_sandbox, BRAND, timeout=0.5)
    before = len(impatient.timeline_ids())
    faults(fresh_sandbox, blackhole=["127.0.0.1"])
    assert fresh_sandbox.admin("GET", "/_sandbox/faults")["blackhole"] == ["127.0.0.1"]
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):  # no status line, no header: a read timeout, not a cut answer
        impatient.post("statuses/share", {"status": f"黑洞 {link('hole')}", "rip": RIP})
    assert 0.5 <= time.monotonic() - started < 5
    with pytest.raises(httpx.ReadTimeout):
        impatient.get("users/show", uid=BRAND)  # every call from that IP, until cleared
    faults(fresh_sandbox, blackhole=[])
    assert len(impatient.timeline_ids()) == before  # the black-holed write was never served


def test_black_holing_the_whole_app_and_once(fresh_sandbox):
    impatient = Account(fresh_sandbox, BRAND, timeout=0.5)
    faults(fresh_sandbox, blackhole=["*"])
    with pytest.raises(httpx.ReadTimeout):
        impatient.get("users/show", uid=BRAND)
    fresh_sandbox.admin("DELETE", "/_sandbox/faults")
    faults(fresh_sandbox, once=[{"kind": "blackhole", "seconds": 30}])
    with pytest.raises(httpx.ReadTimeout):
        impatient.get("users/show", uid=BRAND)
    assert impatient.get("users/show", uid=BRAND).status_code == 200


@pytest.mark.parametrize("bad", [{"blackhole": "127.0.0.1"}, {"blackhole": ["not-an-ip"]}, {"blackhole": [1]}])
def test_blackhole_entries_are_checked(fresh_sandbox, bad):
    response = fresh_sandbox.http.post("/_sandbox/faults", json=bad)
    assert response.status_code == 400 and "blackhole" in response.json()["error"]
    assert fresh_sandbox.admin("GET", "/_sandbox/faults")["blackhole"] == []
