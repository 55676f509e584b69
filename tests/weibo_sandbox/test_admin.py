"""The /_sandbox/ admin endpoints: health, own accounts, config overrides, and what reset restores."""

from __future__ import annotations

import httpx
import pytest

from .weibo import BRAND, OWN, RIP, Account, assert_error, link


def test_health_counts(fresh_sandbox):
    health = fresh_sandbox.admin("GET", "/_sandbox/health")
    assert health["ok"] is True and health["own_accounts"] == 4 and health["seed"] == 7
    assert health["statuses"] > 100 and health["comments"] > 100 and health["users"] > 300


def test_register_own_accounts(fresh_sandbox):
    same = fresh_sandbox.admin("POST", "/_sandbox/accounts", {"screen_name": "鲜牧乳业", "uid": str(BRAND)})
    assert same == {"uid": BRAND, "screen_name": "鲜牧乳业"}
    new = fresh_sandbox.admin("POST", "/_sandbox/accounts", {"screen_name": "鲜牧华南"})
    assert new["uid"] not in OWN
    assert fresh_sandbox.admin("POST", "/_sandbox/accounts", {"screen_name": "鲜牧华南"}) == new  # idempotent
    chosen = fresh_sandbox.admin("POST", "/_sandbox/accounts", {"screen_name": "鲜牧西北", "uid": 5500000777})
    assert chosen["uid"] == 5500000777
    clash = fresh_sandbox.http.post("/_sandbox/accounts", json={"screen_name": "鲜牧乳业", "uid": 5500000002})
    assert clash.status_code == 400 and "already belongs" in clash.json()["error"]
    listed = fresh_sandbox.admin("GET", "/_sandbox/accounts")["accounts"]
    assert [a["screen_name"] for a in listed][-2:] == ["鲜牧华南", "鲜牧西北"]
    account = Account(fresh_sandbox, new["uid"])  # it can be authorised and post
    assert account.share(f"华南首发 {link('south')}")["user"]["verified"] is True
    page = httpx.get(
        f"{fresh_sandbox.url}/oauth2/authorize",
        params={"client_id": fresh_sandbox.app_key, "redirect_uri": "http://x/cb"},
    )
    assert "鲜牧华南" in page.text
    fresh_sandbox.reset()
    assert len(fresh_sandbox.admin("GET", "/_sandbox/accounts")["accounts"]) == 4


def test_config_overrides_and_reset(fresh_sandbox):
    config = fresh_sandbox.admin("POST", "/_sandbox/config", {"safe_domain": "other.example.org", "token_lifetime": 60})
    assert config["safe_domain"] == "other.example.org" and config["token_lifetime"] == 60
    account = Account(fresh_sandbox)
    assert_error(account.post("statuses/share", {"status": f"旧域名 {link()}", "rip": RIP}), 20018)
    assert account.share("新域名 https://other.example.org/x")["id"]
    info = httpx.post(f"{fresh_sandbox.url}/oauth2/get_token_info", data={"access_token": account.token}).json()
    assert 0 < info["expire_in"] <= 60
    fresh_sandbox.admin("POST", "/_sandbox/config", {"app_key": "k2", "app_secret": "s2"})
    assert (
        httpx.post(
            f"{fresh_sandbox.url}/oauth2/authorize",
            data={"client_id": fresh_sandbox.app_key, "redirect_uri": "http://x/cb", "uid": BRAND},
        ).status_code
        == 400
    )
    for bad in ({"token_lifetime": "soon"}, {"push_url": "ftp://x"}, {"colour": "red"}, {"safe_domain": " "}):
        assert fresh_sandbox.http.post("/_sandbox/config", json=bad).status_code == 400, bad
    fresh_sandbox.reset()
    config = fresh_sandbox.admin("GET", "/_sandbox/config")
    assert (config["safe_domain"], config["app_key"], config["token_lifetime"]) == (
        "xianmu.example.com",
        "sandbox-app-key",
        604800,
    )


def test_traffic_endpoint_validates(fresh_sandbox):
    assert fresh_sandbox.http.post("/_sandbox/traffic", json={"per_minute": -1}).status_code == 400
    assert fresh_sandbox.admin("GET", "/_sandbox/traffic") == {"per_minute": 0, "running": False}


def test_unknown_admin_paths_and_bodies(fresh_sandbox):
    missing = fresh_sandbox.http.get("/_sandbox/nothing")
    assert missing.status_code == 404 and "error" in missing.json()
    assert fresh_sandbox.http.post("/_sandbox/tokens/burn", json={"uid": BRAND}).status_code == 404
    assert fresh_sandbox.http.post("/_sandbox/messages", content=b"{not json").status_code == 400
    assert fresh_sandbox.http.post("/_sandbox/messages", json={"to_uid": 42, "text": "x"}).status_code == 400
    assert fresh_sandbox.http.post("/_sandbox/follow", json={"to_uid": BRAND, "from_uid": 1}).status_code == 400


def test_requests_log(fresh_sandbox):
    account = Account(fresh_sandbox)
    account.get("users/show", uid=BRAND)
    account.get("users/show", uid=1)
    first, second = fresh_sandbox.admin("GET", "/_sandbox/requests?limit=2")
    assert (first["path"], first["status"], first["uid"]) == ("/2/users/show.json", 200, BRAND)
    assert (second["status"], second["error_code"]) == (400, 20003)
    assert set(first) >= {"at", "method", "path", "uid", "rip", "status", "error_code"}


ASSUMPTIONS = {
    "post_burst_limit": 5,
    "post_burst_window": 60,
    "near_duplicate_jaccard": 0.9,
    "pending_seconds": 2.0,
}


def test_the_sandbox_assumptions_are_configuration_with_the_old_defaults(fresh_sandbox):
    config = fresh_sandbox.admin("GET", "/_sandbox/config")
    assert {name: config[name] for name in ASSUMPTIONS} == ASSUMPTIONS
    assert "代购" in config["advertising_words"] and "办假证" in config["forbidden_words"]


def test_the_sandbox_assumptions_can_be_changed_and_reset(fresh_sandbox):
    fresh_sandbox.admin("POST", "/_sandbox/config", {
        "post_burst_limit": 2, "forbidden_words": ["违禁词甲"], "advertising_words": ["VX号"],
        "near_duplicate_jaccard": 0.5, "pending_seconds": 0.5})
    account = Account(fresh_sandbox)
    assert_error(account.post("statuses/share", {"status": f"含有违禁词甲 {link('f')}", "rip": RIP}), 21602)
    assert_error(account.post("statuses/share", {"status": f"加我vx号 {link('a')}", "rip": RIP}), 20020)
    account.share(f"办假证 不再是违禁词 {link('1')}")  # the default list no longer applies
    # 0.69 of their 3-grams are shared: a near duplicate at 0.5, not at the default 0.9
    assert_error(account.post("statuses/share", {"status": f"办假证 已经不再是违禁词了 {link('1')}", "rip": RIP}),
                 20111)
    account.share(f"第二条完全不同的内容 {link('2')}")
    assert_error(account.post("statuses/share", {"status": f"第三条又是新的 {link('3')}", "rip": RIP}), 20016)
    fresh_sandbox.reset()
    config = fresh_sandbox.admin("GET", "/_sandbox/config")
    assert {name: config[name] for name in ASSUMPTIONS} == ASSUMPTIONS and "办假证" in config["forbidden_words"]


@pytest.mark.parametrize("bad", [
    {"post_burst_limit": 0}, {"post_burst_window": "60"}, {"near_duplicate_jaccard": 1.5},
    {"near_duplicate_jaccard": 0}, {"pending_seconds": -1}, {"forbidden_words": ["ok", ""]},
    {"advertising_words": "加微信"},
])
def test_bad_assumptions_are_refused_and_change_nothing(fresh_sandbox, bad):
    response = fresh_sandbox.http.post("/_sandbox/config", json={"post_burst_limit": 3, **bad})
    assert response.status_code == 400, bad
    assert fresh_sandbox.admin("GET", "/_sandbox/config")["post_burst_limit"] == 5
