"""Scenarios by their counts and timing, and the ambient generator."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from weibo_sandbox import corpus

from .weibo import BRAND, SERVICE, Account, all_reposts, gaps_cv, link, parse_time, run

NAMES = {
    "negative_spike", "bot_attack", "kol_cascade", "lottery_hunters", "collateral_crisis", "organic_replay",
    "bot_attack_jittered", "bot_attack_paraphrased", "bot_attack_aged", "bot_attack_in_cascade", "bot_attack_stealth",
}


@pytest.fixture
def brand(fresh_sandbox):
    return Account(fresh_sandbox, BRAND)


def stamps(items: list[dict]) -> list[float]:
    return [parse_time(item["created_at"]).timestamp() for item in items]


def test_names_runs_and_unknown(fresh_sandbox):
    listing = fresh_sandbox.admin("GET", "/_sandbox/scenarios")
    assert set(listing["names"]) == NAMES and listing["runs"] == []
    unknown = fresh_sandbox.http.post("/_sandbox/scenarios/flash_mob", json={})
    assert unknown.status_code == 404 and set(unknown.json()["names"]) == NAMES
    run(fresh_sandbox, "bot_attack", size=3)
    assert [r["scenario"] for r in fresh_sandbox.admin("GET", "/_sandbox/scenarios")["runs"]] == ["bot_attack"]
    assert fresh_sandbox.http.post("/_sandbox/scenarios/bot_attack", json={"account": 1}).status_code == 400
    assert fresh_sandbox.http.post("/_sandbox/scenarios/bot_attack", json={"speed": 0}).status_code == 400


def test_bot_attack_is_machine_even(brand, fresh_sandbox):
    summary = run(fresh_sandbox, "bot_attack")
    assert summary["events"] == 301 and summary["done"] and summary["root"]
    root = brand.ok(brand.get("statuses/show", id=summary["root"]))
    assert root["user"]["followers_count"] == 0 and "@鲜牧乳业" in root["text"]
    reposts = all_reposts(brand, summary["root"])
    assert len(reposts) == 300 and root["reposts_count"] == 300
    assert gaps_cv(stamps(reposts)) < 0.2
    assert len({r["text"] for r in reposts}) == 1  # pasted, identical
    now = datetime.now(UTC)
    for repost in reposts:
        user = repost["user"]
        assert repost["retweeted_status"]["id"] == root["id"]
        assert user["followers_count"] == 0 and user["screen_name"].startswith("用户")
        assert "default_avatar" in user["profile_image_url"]
        assert now - parse_time(user["created_at"]) < timedelta(days=10)
    assert len({r["user"]["id"] for r in reposts}) == 300
    assert root["id"] in [s["id"] for s in brand.ok(brand.get("statuses/mentions", count=200))["statuses"]]


def test_organic_replay_synthetic_is_irregular(brand, fresh_sandbox):
    summary = run(fresh_sandbox, "organic_replay", size=200)
    assert summary["source"] == "synthetic" and summary["events"] == 201
    reposts = all_reposts(brand, summary["root"])
    assert len(reposts) == 200
    assert gaps_cv(stamps(reposts)) > 2
    assert all(r["retweeted_status"]["idstr"] == summary["root"] for r in reposts)
    assert any("//@" in r["text"] for r in reposts)  # some repost reposts, not only the source


def test_organic_replay_of_real_data(sandbox_with_data):
    account = Account(sandbox_with_data, BRAND)
    summary = run(sandbox_with_data, "organic_replay")
    assert summary["source"] == "ced" and summary["reposts"] >= 100
    reposts = all_reposts(account, summary["root"])
    assert len(reposts) == summary["reposts"]
    assert gaps_cv(stamps(reposts)) > 2
    assert len({r["user"]["id"] for r in reposts}) > len(reposts) // 2


def test_kol_cascade_has_a_second_level_through_the_kol(brand, fresh_sandbox):
    summary = run(fresh_sandbox, "kol_cascade", size=150)
    root = brand.ok(brand.get("statuses/show", id=summary["root"]))
    assert root["user"]["id"] == BRAND
    reposts = all_reposts(brand, summary["root"])
    kol_repost = next(r for r in reposts if r["user"]["id"] == summary["kol"])
    kol = kol_repost["user"]
    assert kol["verified"] and kol["followers_count"] >= 1_000_000
    second = [r for r in reposts if f"//@{kol['screen_name']}:" in r["text"]]
    assert len(second) >= 100
    assert all(r["retweeted_status"]["id"] == root["id"] for r in second)
    through_kol = all_reposts(brand, kol_repost["id"])
    assert {r["id"] for r in through_kol} >= {r["id"] for r in second if r["text"].count("//@") == 1}
    assert gaps_cv(stamps(second)) > 1  # heavy-tailed, not even


def test_kol_cascade_with_real_timing(sandbox_with_data):
    account = Account(sandbox_with_data, BRAND)
    summary = run(sandbox_with_data, "kol_cascade", size=120)
    reposts = all_reposts(account, summary["root"])
    second = [r for r in reposts if f"//@{summary['kol_screen_name']}:" in r["text"]]
    assert len(second) >= 80 and gaps_cv(stamps(second)) > 1


def test_lottery_hunters_bring_fans_hunters_zombies_and_the_drop_after_the_draw(brand, fresh_sandbox):
    summary = run(fresh_sandbox, "lottery_hunters", size=300)
    assert (summary["fans"], summary["hunters"], summary["zombies"]) == (90, 150, 60)
    root = brand.ok(brand.get("statuses/show", id=summary["root"]))
    assert "转发抽奖" in root["text"] and root["user"]["id"] == BRAND
    reposts = all_reposts(brand, summary["root"])
    comments = brand.ok(brand.get("comments/show", id=summary["root"], count=200))
    assert len(reposts) + comments["total_number"] >= 300
    entrants = {r["user"]["id"]: r["user"] for r in reposts} | {c["user"]["id"]: c["user"] for c in
                                                                 comments["comments"]}
    fans, hunters, zombies = (set(summary[f"{k}_uids"]) for k in ("fan", "hunter", "zombie"))
    assert set(entrants) - {BRAND} == fans | hunters | zombies
    for uid in hunters:
        user = entrants[uid]
        assert user["statuses_count"] >= 5000 and user["friends_count"] >= 1000 and user["followers_count"] <= 300
    assert all("default_avatar" in entrants[uid]["profile_image_url"] for uid in zombies)
    assert {entrants[uid]["statuses_count"] for uid in zombies} == {1}  # their entry is their only post
    assert not any("default_avatar" in entrants[uid]["profile_image_url"] for uid in fans | hunters)
    # Real fans write their own words and @ friends; some repost another fan's repost: the second level.
    chained = [r for r in reposts if r["user"]["id"] in fans and "//@" in r["text"]]
    assert len(chained) == summary["second_level"] > 10
    names = {entrants[uid]["screen_name"] for uid in fans}
    assert all(r["text"].split("//@", 2)[1].split(":")[0] in names for r in chained)
    assert sum("@" in r["text"].split("//@")[0] for r in reposts if r["user"]["id"] in fans) > len(fans) // 2
    # Hunters reposted other brands' draws in the weeks before: the commercial search finds them.
    hunter = sorted(hunters)[0]
    found = brand.ok(brand.biz_get("/2/search/statuses/limited.json", q="抽奖", ids=str(hunter), count=50))
    history = [s for s in found["statuses"] if s["retweeted_status"]["id"] != root["id"]]
    assert len(history) >= 4 and all(s["retweeted_status"]["user"]["verified"] for s in history)
    assert len({s["retweeted_status"]["user"]["id"] for s in history}) >= 2
    assert not brand.ok(brand.biz_get("/2/search/statuses/limited.json", q="抽奖", ids=str(sorted(fans)[0]),
                                      count=50))["total_number"]
    # After the draw most hunters and zombies unfollowed; real fans mostly stayed.
    followers, cursor = set(), 0
    while True:
        page = brand.ok(brand.get("friendships/followers", uid=BRAND, count=200, cursor=cursor))
        followers |= {u["id"] for u in page["users"]}
        cursor = page["next_cursor"]
        if not cursor:
            break
    left = summary["unfollows"]
    assert len(hunters - followers) == left["hunter"] >= 0.7 * len(hunters)
    assert len(zombies - followers) == left["zombie"] >= 0.5 * len(zombies)
    assert len(fans - followers) == left["fan"] <= 0.2 * len(fans)
    started = datetime.fromisoformat(summary["started_at"])
    assert datetime.now(UTC) - started >= timedelta(days=10)  # instant: a finished campaign, 7-day retention known


def test_lottery_hunters_around_the_campaign_post_the_app_published(brand, fresh_sandbox):
    post = brand.share(f"【转发抽奖】关注并转发，抽3位送一箱鲜牧纯牛奶 {link('c/1')}")
    summary = run(fresh_sandbox, "lottery_hunters", size=20, status=post["id"])
    assert summary["root"] == str(post["id"]) and summary["events"] > 20
    assert len(all_reposts(brand, post["id"])) + summary["comments"] >= 20
    again = run(fresh_sandbox, "lottery_hunters", size=20, status=post["id"])
    assert {k: v for k, v in again.items() if k.endswith("s") and isinstance(v, int)} == {
        k: v for k, v in summary.items() if k.endswith("s") and isinstance(v, int)}  # the seed decides the mix
    other = Account(fresh_sandbox, SERVICE).share(f"客服的帖子 {link('c/2')}")
    for bad in ({"status": other["id"]}, {"status": 1}, {"status": "abc"}):
        answer = fresh_sandbox.http.post("/_sandbox/scenarios/lottery_hunters", json={"instant": True, **bad})
        assert answer.status_code == 400, answer.text
    assert "not an original post of account" in fresh_sandbox.http.post(
        "/_sandbox/scenarios/lottery_hunters", json={"status": other["id"]}).json()["error"]
    refused = fresh_sandbox.http.post("/_sandbox/scenarios/bot_attack", json={"status": post["id"]})
    assert refused.status_code == 400 and "lottery_hunters" in refused.json()["error"]


def test_negative_spike_is_mostly_complaints_about_one_product(brand, fresh_sandbox):
    summary = run(fresh_sandbox, "negative_spike", size=120)
    product = summary["product"]
    assert product in corpus.PRODUCTS
    mentions = brand.ok(brand.get("statuses/mentions", count=200))["statuses"]
    comments = brand.ok(brand.get("comments/to_me", count=200))["comments"]
    started = datetime.fromisoformat(summary["started_at"]).timestamp()
    burst = [m for m in mentions + comments if parse_time(m["created_at"]).timestamp() >= started - 1]
    assert len(burst) == 120
    assert sum(product in item["text"] for item in burst) >= 0.75 * len(burst)
    assert len({item["user"]["id"] for item in burst}) == 120
    times = stamps(burst)
    assert max(times) - min(times) <= 1800


def test_collateral_crisis_rises_and_falls(brand, fresh_sandbox):
    summary = run(fresh_sandbox, "collateral_crisis", size=120)
    competitor = summary["competitor"]
    found = brand.ok(brand.biz_get("/2/search/statuses/limited.json", q=competitor, count=50))
    assert found["total_number"] >= 80
    assert all(competitor in s["text"] for s in found["statuses"])
    assert brand.ok(brand.get("statuses/mentions", count=200))["statuses"][0]["text"].count(competitor)
    start = datetime.fromisoformat(summary["started_at"]).timestamp()
    every, page = [], 1
    while True:
        found = brand.biz_get("/2/search/statuses/limited.json", q=competitor, count=50, page=page)
        chunk = brand.ok(found)["statuses"]
        every += chunk
        if len(chunk) < 50:
            break
        page += 1
    buckets = Counter(int((t - start) // 1200) for t in stamps(every))  # six 20-minute buckets
    peak = max(buckets, key=buckets.get)
    assert 0 < peak < 5 and buckets[peak] > 2 * buckets.get(0, 0) and buckets[peak] > 2 * buckets.get(5, 0)


def test_a_running_scenario_releases_over_time(brand, fresh_sandbox):
    summary = fresh_sandbox.admin("POST", "/_sandbox/scenarios/bot_attack", {"size": 4, "speed": 200})
    assert summary["released"] == 1 and not summary["done"]  # the accusation is up; the bots come later
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        [listed] = fresh_sandbox.admin("GET", "/_sandbox/scenarios")["runs"]
        if listed["done"]:
            break
        time.sleep(0.1)
    assert listed["done"] and listed["released"] == 5
    assert len(all_reposts(brand, summary["root"])) == 4


def test_ambient_traffic(brand, fresh_sandbox):
    before = fresh_sandbox.admin("GET", "/_sandbox/health")
    assert fresh_sandbox.admin("POST", "/_sandbox/traffic", {"per_minute": 1200}) == {
        "per_minute": 1200,
        "running": True,
    }
    time.sleep(1.5)
    assert fresh_sandbox.admin("POST", "/_sandbox/traffic", {"per_minute": 0})["running"] is False
    after = fresh_sandbox.admin("GET", "/_sandbox/health")
    grown = (after["statuses"] + after["comments"] + after["messages"] + after["users"]) - (
        before["statuses"] + before["comments"] + before["messages"] + before["users"]
    )
    assert grown >= 5


def test_cli_scenario_command(fresh_sandbox):
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "weibo_sandbox",
            "scenario",
            "bot_attack",
            "--url",
            fresh_sandbox.url,
            "--instant",
            "--size",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert '"scenario": "bot_attack"' in ok.stdout and '"events": 6' in ok.stdout
    unknown = subprocess.run(
        [sys.executable, "-m", "weibo_sandbox", "scenario", "nope", "--url", fresh_sandbox.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert unknown.returncode == 2 and "bot_attack" in unknown.stderr
    gone = subprocess.run(
        [sys.executable, "-m", "weibo_sandbox", "scenario", "bot_attack", "--url", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert gone.returncode == 2 and "not reachable" in gone.stderr


@pytest.mark.parametrize("name", sorted(NAMES))
def test_every_scenario_can_be_triggered_from_the_command_line(fresh_sandbox, name):
    answer = subprocess.run(
        [sys.executable, "-m", "weibo_sandbox", "scenario", name, "--url", fresh_sandbox.url, "--instant",
         "--size", "12", "--seed", "3"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert answer.returncode == 0, answer.stderr
    summary = json.loads(answer.stdout)
    assert summary["scenario"] == name and summary["events"] >= 12 and summary["done"]


def test_lottery_hunters_finds_the_newest_own_post_with_given_words(brand, fresh_sandbox):
    """``make run``'s demo knows the campaign post's words, not its id: 409 until the app has published it."""
    waiting = fresh_sandbox.http.post("/_sandbox/scenarios/lottery_hunters",
                                      json={"instant": True, "around_text": "【转发抽奖】牧场开放日"})
    assert waiting.status_code == 409 and "no post with" in waiting.json()["error"]
    brand.share(f"【转发抽奖】牧场开放日 第一期 {link('c/3')}")
    newest = brand.share(f"【转发抽奖】牧场开放日 第二期 {link('c/4')}")
    summary = run(fresh_sandbox, "lottery_hunters", size=10, around_text="【转发抽奖】牧场开放日")
    assert summary["root"] == str(newest["id"])
    both = fresh_sandbox.http.post("/_sandbox/scenarios/lottery_hunters",
                                   json={"around_text": "牧场", "status": newest["id"]})
    assert both.status_code == 400 and "not given with status" in both.json()["error"]
