"""OAuth2 as Weibo speaks it: consent page, code, token, token info, and each error."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from .weibo import BRAND, OWN, Account, assert_error

REDIRECT = "http://127.0.0.1:9/cb?keep=1"


def authorize(sandbox, **form) -> httpx.Response:
    data = {"client_id": sandbox.app_key, "redirect_uri": REDIRECT, "state": "st", "uid": str(BRAND), **form}
    return httpx.post(f"{sandbox.url}/oauth2/authorize", data=data)


def query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith("http://127.0.0.1:9/cb?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(sandbox, code: str, **overrides) -> httpx.Response:
    data = {
        "client_id": sandbox.app_key,
        "client_secret": sandbox.app_secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        **overrides,
    }
    return httpx.post(f"{sandbox.url}/oauth2/access_token", data=data)


def assert_oauth_error(response: httpx.Response, error: str, code: int, path: str = "/oauth2/access_token"):
    body = response.json()
    assert response.status_code in (400, 401)
    assert body["error"] == error and body["error_code"] == code
    assert body["request"] == path and body["error_uri"] == path and body["error_description"]


def test_consent_page_lists_the_own_accounts_and_escapes_what_it_echoes(fresh_sandbox):
    page = httpx.get(
        f"{fresh_sandbox.url}/oauth2/authorize",
        params={
            "client_id": fresh_sandbox.app_key,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "state": '"><script>alert(1)</script>',
        },
    )
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for uid, name in OWN.items():
        assert f'value="{uid}"' in page.text and name in page.text
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert 'action="/oauth2/authorize"' in page.text and 'value="allow"' in page.text and 'value="deny"' in page.text


def test_unknown_client_gets_an_error_page(fresh_sandbox):
    page = httpx.get(
        f"{fresh_sandbox.url}/oauth2/authorize",
        params={"client_id": "nope", "redirect_uri": REDIRECT, "response_type": "code"},
    )
    assert page.status_code == 400 and "21324" in page.text
    assert authorize(fresh_sandbox, client_id="nope").status_code == 400


def test_allow_issues_a_single_use_code_that_buys_a_token(fresh_sandbox):
    back = query(authorize(fresh_sandbox, action="allow"))
    assert back["state"] == "st" and back["keep"] == "1" and back["code"]
    answer = exchange(fresh_sandbox, back["code"])
    body = answer.json()
    assert answer.status_code == 200, body
    assert set(body) >= {"access_token", "remind_in", "expires_in", "uid"}
    assert body["uid"] == str(BRAND) and body["expires_in"] == 604800 and body["remind_in"] == "604800"
    info = httpx.post(f"{fresh_sandbox.url}/oauth2/get_token_info", data={"access_token": body["access_token"]}).json()
    assert info["uid"] == BRAND and info["appkey"] == fresh_sandbox.app_key
    assert 604000 < info["expire_in"] <= 604800 and isinstance(info["create_at"], int) and "scope" in info
    assert_oauth_error(exchange(fresh_sandbox, back["code"]), "invalid_grant", 21325)  # used once already


def test_deny_redirects_with_access_denied(fresh_sandbox):
    back = query(authorize(fresh_sandbox, action="deny"))
    assert back["error"] == "access_denied" and back["error_code"] == "21330" and back["state"] == "st"
    assert "code" not in back


def test_token_errors_of_the_exchange(fresh_sandbox):
    code = query(authorize(fresh_sandbox))["code"]
    assert_oauth_error(exchange(fresh_sandbox, code, client_secret="wrong"), "invalid_client", 21324)
    assert_oauth_error(exchange(fresh_sandbox, code, client_id="other"), "invalid_client", 21324)
    assert_oauth_error(exchange(fresh_sandbox, "never-issued"), "invalid_grant", 21325)
    assert_oauth_error(
        exchange(fresh_sandbox, code, redirect_uri="http://127.0.0.1:9/other"), "redirect_uri_mismatch", 21322
    )
    assert exchange(fresh_sandbox, code).status_code == 200  # the failed attempts did not burn the code


def test_only_own_accounts_can_be_chosen(fresh_sandbox):
    assert authorize(fresh_sandbox, uid="6100000001").status_code == 400
    assert authorize(fresh_sandbox, uid="abc").status_code == 400


@pytest.mark.parametrize(
    ("action", "code", "error"), [("revoke", 21332, "invalid_access_token"), ("expire", 21327, "expired_token")]
)
def test_dead_tokens(fresh_sandbox, action, code, error):
    account = Account(fresh_sandbox)
    assert account.get("users/show", uid=BRAND).status_code == 200
    assert fresh_sandbox.admin("POST", f"/_sandbox/tokens/{action}", {"uid": BRAND})[f"{action}d"] == 1
    assert_error(account.get("users/show", uid=BRAND), code, 401)
    info = httpx.post(f"{fresh_sandbox.url}/oauth2/get_token_info", data={"access_token": account.token})
    assert_oauth_error(info, error, code, "/oauth2/get_token_info")
    assert Account(fresh_sandbox).get("users/show", uid=BRAND).status_code == 200  # re-authorising helps


def test_token_in_query_form_or_header_and_missing(fresh_sandbox):
    account = Account(fresh_sandbox)
    bare = httpx.Client(base_url=fresh_sandbox.url)
    assert bare.get("/2/users/show.json", params={"uid": BRAND, "access_token": account.token}).status_code == 200
    form = {"status": "表单里的令牌 https://xianmu.example.com/t", "rip": "10.0.0.1", "access_token": account.token}
    assert bare.post("/2/statuses/share.json", data=form).status_code == 200
    assert_error(bare.get("/2/users/show.json", params={"uid": BRAND}), 21301, 401)
    assert_error(bare.get("/2/users/show.json", params={"uid": BRAND, "access_token": "2.00bogus"}), 21332, 401)


def test_revoking_a_token_makes_it_answer_as_revoked(fresh_sandbox):
    account = Account(fresh_sandbox)
    revoke = httpx.post(f"{fresh_sandbox.url}/oauth2/revokeoauth2", data={"access_token": account.token})
    assert revoke.status_code == 200 and revoke.json() == {"result": "true"}
    assert_error(account.get("users/show", uid=BRAND), 21332, 401)
    info = httpx.post(f"{fresh_sandbox.url}/oauth2/get_token_info", data={"access_token": account.token})
    assert_oauth_error(info, "invalid_access_token", 21332, "/oauth2/get_token_info")
    again = httpx.post(f"{fresh_sandbox.url}/oauth2/revokeoauth2", data={"access_token": account.token})
    assert_oauth_error(again, "invalid_access_token", 21332, "/oauth2/revokeoauth2")
    assert Account(fresh_sandbox).get("users/show", uid=BRAND).status_code == 200  # other tokens live on
