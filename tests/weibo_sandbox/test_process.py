"""The sandbox as a process: command-line errors, state persisted across a restart, a corrupt state file, the
message command, and malformed requests answered with Weibo's error bodies."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from tests.sandbox_fixture import ROOT, SandboxProcess

from .weibo import BRAND, RIP, Account, assert_error, link


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "weibo_sandbox", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--port", "99999"], "port must be between"),
        (["--limits", "calls=abc"], "limit calls must be a whole number"),
        (["--limits", "tweets=3"], "unknown limit 'tweets'"),
        (["--traffic-per-minute", "-1"], "must be zero or more"),
        (["--push-url", "ftp://x"], "expected an http(s) URL"),
        (["--data-dir", "/nonexistent/dir"], "does not exist"),
        (["--token-lifetime", "0"], "must be positive"),
        (["--near-duplicate-jaccard", "2"], "expected a number above 0 and at most 1"),
        (["--post-burst-limit", "0"], "must be positive"),
        (["--limits", "daily_calls=x"], "limit daily_calls must be a whole number"),
    ],
)
def test_bad_arguments_say_what_is_wrong(args, says):
    result = cli(*args)
    assert result.returncode == 2 and says in result.stderr, result.stderr


def test_a_data_dir_without_the_files_is_refused(tmp_path):
    result = cli("--port", "0", "--data-dir", str(tmp_path))
    assert result.returncode == 2 and "lacks" in result.stderr and str(tmp_path) in result.stderr


def test_state_survives_a_restart(tmp_path):
    state = tmp_path / "state.json"
    first = SandboxProcess("--state-file", str(state))
    try:
        account = Account(first)
        status = account.share(f"重启之后还在 {link('persist')}")
        first.admin("POST", "/_sandbox/messages", {"to_uid": BRAND, "text": "记得我"})
    finally:
        # uvicorn shuts down cleanly on SIGTERM (saving), then re-raises the signal for the parent to see
        assert first.stop() in (0, -15)
    saved = json.loads(state.read_text(encoding="utf-8"))
    assert any(s["id"] == status["id"] for s in saved["statuses"])
    second = SandboxProcess("--state-file", str(state))
    try:
        again = Account.__new__(Account)
        again.http = httpx.Client(base_url=second.url, headers={"Authorization": f"OAuth2 {account.token}"})
        shown = again.http.get("/2/statuses/show.json", params={"id": status["id"]})  # the old token still works
        assert shown.status_code == 200 and shown.json()["text"] == status["text"]
        timeline = again.http.get("/2/statuses/user_timeline.json").json()
        assert timeline["statuses"][0]["id"] == status["id"]
        assert second.admin("GET", f"/_sandbox/messages?uid={BRAND}")["messages"][-1]["text"] == "记得我"
    finally:
        second.stop()


def test_a_corrupt_state_file_stops_the_start(tmp_path):
    state = tmp_path / "broken.json"
    state.write_text('{"version": 1, "users": [', encoding="utf-8")
    result = cli("--port", "0", "--state-file", str(state))
    assert result.returncode == 2 and str(state) in result.stderr and "corrupt" in result.stderr


def test_message_command(fresh_sandbox):
    result = cli("message", "--to", str(BRAND), "--text", "命令行发来的私信", "--url", fresh_sandbox.url)
    assert result.returncode == 0, result.stderr
    sent = json.loads(result.stdout)
    assert sent["to_uid"] == BRAND and sent["message"]["text"] == "命令行发来的私信"
    refused = cli("message", "--to", "42", "--text", "x", "--url", fresh_sandbox.url)
    assert refused.returncode == 2 and "not an own account" in refused.stderr


def test_malformed_requests_get_weibo_errors(fresh_sandbox):
    account = Account(fresh_sandbox)
    assert_error(account.get("statuses/user_timeline", count="abc"), 10017)
    assert_error(account.get("statuses/user_timeline", count=0), 10017)
    assert_error(account.get("statuses/user_timeline", count=201), 10017)
    assert_error(account.get("statuses/user_timeline", since_id=-5), 10017)
    assert_error(account.get("statuses/user_timeline", page="1.5"), 10017)
    assert_error(account.get("statuses/show", id="12abc"), 10017)
    assert_error(account.get("statuses/count", ids="1,x"), 10017)
    assert_error(account.get("statuses/count", ids=",".join(str(i) for i in range(101))), 10017)
    assert_error(account.get("statuses/count"), 10016)
    assert_error(account.get("statuses/mentions", filter_by_author=7), 10017)
    assert_error(account.post("statuses/share", {"status": "鲜" * 100_000, "rip": RIP}), 20012)
    assert_error(account.get("statuses/share"), 10021, 405)
    assert_error(account.get("statuses/nothing"), 10020, 404)
    assert_error(account.http.get("/2/statuses/show"), 10020, 404)
    as_json = account.http.post("/2/statuses/share.json", json={"status": "JSON 不是微博的格式", "rip": RIP})
    assert_error(as_json, 10016)
    broken = account.http.post(
        "/2/statuses/share.json",
        content=b"--xx\r\nbroken",
        headers={"content-type": "multipart/form-data; boundary=xx"},
    )
    assert broken.status_code == 400 and "error_code" in broken.json()
    assert_error(account.post("comments/reply", {"cid": "x", "id": 1, "comment": "c", "rip": RIP}), 10017)
    assert_error(
        account.http.post("/c.api.weibo.com/2/messages/reply/biz.json",
                          data={"receiver_id": BRAND, "type": "image", "data": "{}"}), 10017
    )
    seen = fresh_sandbox.admin("GET", "/_sandbox/requests?limit=100")
    assert [r for r in seen if r["status"] and r["status"] >= 500] == []


def test_the_sandbox_assumptions_are_set_on_the_command_line():
    running = SandboxProcess("--post-burst-limit", "1", "--post-burst-window", "600",
                             "--forbidden-words", "甲词,乙词", "--advertising-words", "丙词",
                             "--near-duplicate-jaccard", "0.8", "--pending-seconds", "0.5",
                             "--limits", "daily_calls=100")
    try:
        config = running.admin("GET", "/_sandbox/config")
        assert (config["post_burst_limit"], config["post_burst_window"], config["forbidden_words"],
                config["advertising_words"], config["near_duplicate_jaccard"], config["pending_seconds"]) == (
            1, 600, ["甲词", "乙词"], ["丙词"], 0.8, 0.5)
        assert running.admin("GET", "/_sandbox/limits")["daily_calls"] == 100
        account = Account(running)
        assert_error(account.post("statuses/share", {"status": f"有乙词 {link('w')}", "rip": RIP}), 21602)
        account.share(f"第一条 {link('1')}")
        assert_error(account.post("statuses/share", {"status": f"第二条太快 {link('2')}", "rip": RIP}), 20016)
    finally:
        running.stop()
