"""Raw-HTTP helpers for the sandbox tests: an authorised account and assertions on Weibo's error bodies."""

from __future__ import annotations

import statistics
from datetime import datetime
from itertools import pairwise

import httpx

BRAND, SERVICE, YOGHURT, EAST = 5500000001, 5500000002, 5500000003, 5500000004
OWN = {BRAND: "鲜牧乳业", SERVICE: "鲜牧客服", YOGHURT: "鲜牧酸奶", EAST: "鲜牧华东"}
RIP = "203.0.113.7"
WEIBO_TIME = "%a %b %d %H:%M:%S %z %Y"


def link(path: str = "p/1") -> str:
    return f"https://xianmu.example.com/{path}"


class Account:
    """One own account's access token and a client that sends it the way Weibo apps do."""

    def __init__(self, sandbox, uid: int = BRAND, *, timeout: float = 30):
        self.sandbox = sandbox
        self.uid = uid
        self.token = sandbox.authorize(uid)
        self.http = httpx.Client(
            base_url=sandbox.url, headers={"Authorization": f"OAuth2 {self.token}"}, timeout=timeout, trust_env=False
        )

    def get(self, name: str, **params) -> httpx.Response:
        return self.http.get(f"/2/{name}.json", params=params)

    def post(self, name: str, data: dict | None = None, files: dict | None = None) -> httpx.Response:
        return self.http.post(f"/2/{name}.json", data=data, files=files)

    def biz_get(self, path: str, **params) -> httpx.Response:
        """The business host, c.api.weibo.com, which the sandbox serves under /c.api.weibo.com."""
        return self.http.get(f"/c.api.weibo.com{path}", params=params)

    def biz_post(self, path: str, data: dict | None = None) -> httpx.Response:
        return self.http.post(f"/c.api.weibo.com{path}", data=data)

    def ok(self, response: httpx.Response) -> dict | list:
        assert response.status_code == 200, response.text
        return response.json()

    def share(self, text: str, **extra) -> dict:
        return self.ok(self.post("statuses/share", {"status": text, "rip": RIP, **extra}))

    def timeline_ids(self, **params) -> list[int]:
        return [s["id"] for s in self.ok(self.get("statuses/user_timeline", count=200, **params))["statuses"]]


def assert_error(response: httpx.Response, code: int, status: int = 400, *, path: str | None = None) -> dict:
    """Weibo's error body: request path, the code (a string for 2xxxx content errors), a message."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"request", "error_code", "error"}, body
    assert int(body["error_code"]) == code, body
    content = 20000 <= code < 21000 or code == 21602
    assert isinstance(body["error_code"], str if content else int), body
    assert body["error"], body
    if path is not None:
        assert body["request"] == path
    return body


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, WEIBO_TIME)


def gaps_cv(times: list[float]) -> float:
    gaps = [b - a for a, b in pairwise(sorted(times))]
    return statistics.pstdev(gaps) / statistics.fmean(gaps)


def all_reposts(account: Account, sid: int | str) -> list[dict]:
    """Every repost of ``sid`` through repost_timeline's pages."""
    out, page = [], 1
    while True:
        body = account.ok(account.get("statuses/repost_timeline", id=sid, count=200, page=page))
        out += body["reposts"]
        if len(body["reposts"]) < 200:
            return out
        page += 1


def run(sandbox, name: str, **body) -> dict:
    """Start a scenario at once with a fixed seed (the sandbox tests' way to make traffic)."""
    return sandbox.admin("POST", f"/_sandbox/scenarios/{name}", {"instant": True, "seed": 11, **body})
