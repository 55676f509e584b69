"""The pure parts in process, with a clock the test controls: Weibo length, limits parsing, windows that take
hours or days to close, the followers cap, and the state round trip."""

# ruff: noqa: S311 - seeded generators drive the simulated world, as in the sandbox itself
from __future__ import annotations

import random

import pytest

from weibo_sandbox import rules
from weibo_sandbox.config import DEFAULT_LIMITS, SandboxConfig, parse_limits
from weibo_sandbox.errors import WeiboError
from weibo_sandbox.platform import CODE_LIFETIME, FOLLOWERS_REACHABLE, REPLY_WINDOW, Platform, id_at, weibo_time

from .weibo import BRAND, RIP


class Clock:
    def __init__(self, now: float = 1_790_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def platform(clock) -> Platform:
    world = Platform(SandboxConfig(), clock=clock)
    world.seed()
    return world


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("鲜" * 140, 140),
        ("a" * 280, 140),
        ("a" * 281, 141),
        ("ab", 1),
        ("a", 1),
        ("ｱ", 1),  # half-width katakana counts half
        ("Ａ", 1),  # full-width Latin counts one
        ("https://xianmu.example.com/" + "x" * 300, 10),
        ("看 https://a.example.com/1 和 http://b.example.com/2", 24),  # 1 + 0.5 + 10 + 0.5 + 1 + 0.5 + 10
    ],
)
def test_weibo_length(text, length):
    assert rules.weibo_length(text) == length


def test_rules_helpers():
    assert rules.has_topic("#早餐# 来一杯") and not rules.has_topic("https://x.example.com/p#top 不是话题")
    assert rules.on_domain("https://m.xianmu.example.com/a", "xianmu.example.com")
    assert not rules.on_domain("https://xianmu.example.com.evil.net/a", "xianmu.example.com")
    assert rules.image_type(b"\x89PNG\r\n\x1a\nrest") == "png" and rules.image_type(b"BM") is None
    assert rules.normalise("Ｈello， World！") == "helloworld"


def test_parse_limits():
    assert parse_limits("calls=5, posts=2") == {**DEFAULT_LIMITS, "calls": 5, "posts": 2}
    assert parse_limits("") == DEFAULT_LIMITS
    for bad in ("calls", "calls=x", "calls=-1", "likes=3"):
        with pytest.raises(ValueError):
            parse_limits(bad)


def test_weibo_time_is_shanghai():
    assert weibo_time(0) == "Thu Jan 01 08:00:00 +0800 1970"


def test_ids_encode_time_and_stay_exact_in_javascript(platform, clock):
    status = platform.add_status(platform.users[BRAND], "x", at=clock.now)
    assert id_at(clock.now) <= status.id < id_at(clock.now + 0.001) and status.id < 2**53
    twin = platform.add_status(platform.users[BRAND], "y", at=clock.now)
    assert twin.id == status.id + 1


def test_codes_expire_after_ten_minutes(platform, clock):
    code = platform.issue_code(BRAND, "sandbox-app-key", "http://x/cb")
    clock.now += CODE_LIFETIME + 1
    assert clock.now - platform.codes[code].created_at > CODE_LIFETIME  # the exchange refuses it (21325)


def test_tokens_expire_with_their_lifetime(platform, clock):
    token = platform.issue_token(BRAND, "k")
    assert platform.token(token.token).uid == BRAND
    clock.now += SandboxConfig().token_lifetime
    with pytest.raises(WeiboError) as caught:
        platform.token(token.token)
    assert caught.value.code == 21327


def test_reply_window_closes_after_72_hours(platform, clock):
    own = platform.users[BRAND]
    fan = platform.make_user(random.Random(1))
    platform.send_message(fan, own, "在吗")
    clock.now += REPLY_WINDOW - 1
    platform.api_message_reply(own, fan.id, "在的", RIP)
    clock.now += 2
    with pytest.raises(WeiboError) as caught:
        platform.api_message_reply(own, fan.id, "还在吗", RIP)
    assert caught.value.code == 10017 and "window" in caught.value.message


def test_rate_buckets_reset_on_the_clock_hour(platform, clock):
    clock.now = 3600 * 500_000 + 3599  # the last second of an hour
    platform.config.limits["calls"] = 1
    platform.spend(("calls", BRAND))
    with pytest.raises(WeiboError):
        platform.check_limits(uid=BRAND, ip="127.0.0.1", kind=None, api="users/show")
    clock.now += 1
    platform.check_limits(uid=BRAND, ip="127.0.0.1", kind=None, api="users/show")


def test_posting_burst_window(platform, clock):
    own = platform.users[BRAND]
    for i in range(5):
        platform.api_share(own, f"第{i}条{'甲乙丙丁戊'[i] * 8} https://xianmu.example.com/{i}", None, RIP)
        clock.now += 1
    with pytest.raises(WeiboError) as caught:
        platform.api_share(own, "第六条 https://xianmu.example.com/6", None, RIP)
    assert caught.value.code == 20016
    clock.now += 60
    platform.api_share(own, "第六条 https://xianmu.example.com/6", None, RIP)


def test_repeat_content_window_is_a_day(platform, clock):
    own = platform.users[BRAND]
    text = "周末牧场开放日，欢迎带孩子来 https://xianmu.example.com/farm"
    platform.api_share(own, text, None, RIP)
    clock.now += 86400 - 10
    with pytest.raises(WeiboError):
        platform.api_share(own, text, None, RIP)
    clock.now += 20
    platform.api_share(own, text, None, RIP)


def test_followers_stop_at_the_reachable_cap(platform, clock):
    own = platform.users[BRAND]
    rng = random.Random(3)
    while len(platform.followers[BRAND]) < FOLLOWERS_REACHABLE + 50:
        platform.follow(platform.make_user(rng), own)
    last = platform.followers_page(own, 200, FOLLOWERS_REACHABLE - 100)
    assert len(last["users"]) == 100 and last["next_cursor"] == 0
    assert platform.followers_page(own, 200, FOLLOWERS_REACHABLE)["users"] == []
    assert last["total_number"] == own.followers_count > FOLLOWERS_REACHABLE


def test_state_round_trip(platform, clock):
    own = platform.users[BRAND]
    platform.api_share(own, "存档 https://xianmu.example.com/save", ("a.png", b"\x89PNG\r\n\x1a\n" + b"1" * 10), RIP)
    platform.issue_token(BRAND, "k")
    fan = next(u for u in platform.users.values() if u.id not in platform.own)
    platform.send_message(fan, own, "在吗")
    platform.fan_event(BRAND, fan.id, "subscribe")
    platform.fan_event(BRAND, fan.id, "unfollow")
    state = platform.to_state()
    copy = Platform(SandboxConfig(), clock=clock)
    copy.load_state(state)
    assert copy.to_state() == state
    assert copy.timelines[BRAND] == platform.timelines[BRAND]
    assert copy.mention_statuses == platform.mention_statuses and copy.fan_events == platform.fan_events
    assert copy.reply_window_problem(BRAND, fan.id) == platform.reply_window_problem(BRAND, fan.id) is not None


def test_same_seed_same_world(clock):
    worlds = []
    for _ in range(2):
        world = Platform(SandboxConfig(seed=5), clock=clock)
        world.seed()
        worlds.append(world.to_state())
    assert worlds[0] == worlds[1]
    other = Platform(SandboxConfig(seed=6), clock=clock)
    other.seed()
    assert other.to_state()["statuses"] != worlds[0]["statuses"]


def test_real_texts_are_read_from_the_data_dir():
    from tests.sandbox_fixture import DATA_DIR
    from weibo_sandbox.traffic import DataDirError, DataSource

    if not DATA_DIR.is_dir():
        pytest.fail(f"the real Weibo data is missing: expected {DATA_DIR}")
    pools = DataSource(DATA_DIR).texts()
    assert all(len(pools[kind]) > 1000 for kind in ("praise", "complaint", "neutral"))
    assert all("{%" not in t and rules.weibo_length(t) <= 110 for t in pools["praise"][:2000])
    with pytest.raises(DataDirError, match="lacks"):
        DataSource(DATA_DIR / "sentiment")
