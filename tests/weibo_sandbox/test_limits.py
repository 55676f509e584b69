"""Rate limits: per user calls, per kind (posts, comments, messages), per client IP; all checked before acting."""

from __future__ import annotations

import json

import pytest

from .weibo import BRAND, RIP, SERVICE, Account, assert_error, link


@pytest.fixture
def brand(fresh_sandbox):
    return Account(fresh_sandbox, BRAND)


def test_user_calls(brand, fresh_sandbox):
    assert fresh_sandbox.admin("POST", "/_sandbox/limits", {"calls": 3})["calls"] == 3
    for _ in range(3):
        assert brand.get("users/show", uid=BRAND).status_code == 200
    body = assert_error(brand.get("users/show", uid=BRAND), 10023, 403)
    assert body["error"] == "User requests out of rate limit!"
    assert Account(fresh_sandbox, SERVICE).get("users/show", uid=BRAND).status_code == 200  # per user
    fresh_sandbox.reset()
    assert fresh_sandbox.admin("GET", "/_sandbox/limits")["calls"] == 150


def test_posts_bucket_refuses_without_writing(brand, fresh_sandbox):
    fresh_sandbox.admin("POST", "/_sandbox/limits", {"posts": 1})
    brand.share(f"第一条 {link('1')}")
    before = brand.timeline_ids()
    body = assert_error(brand.post("statuses/share", {"status": f"第二条不一样 {link('2')}", "rip": RIP}), 10024, 403)
    assert body["error"] == "User requests for (statuses/share) out of rate limit!"
    assert_error(brand.post("statuses/repost", {"id": before[0], "rip": RIP}), 10024, 403)
    assert brand.timeline_ids() == before
    assert brand.get("users/show", uid=BRAND).status_code == 200  # reads still go
    comment = brand.post("comments/create", {"id": before[0], "comment": "评论不受发帖限制", "rip": RIP})
    assert comment.status_code == 200


def test_comments_and_messages_buckets(brand, fresh_sandbox):
    fresh_sandbox.admin("POST", "/_sandbox/limits", {"comments": 1, "messages": 0})
    target = brand.timeline_ids()[0]
    assert brand.post("comments/create", {"id": target, "comment": "一", "rip": RIP}).status_code == 200
    body = assert_error(brand.post("comments/create", {"id": target, "comment": "二", "rip": RIP}), 10024, 403)
    assert "(comments/create)" in body["error"]
    fan = fresh_sandbox.admin("POST", "/_sandbox/messages", {"to_uid": BRAND, "text": "在吗"})["from_uid"]
    data = json.dumps({"text": "在的"})
    reply = brand.biz_post("/2/messages/reply/biz.json", {"receiver_id": fan, "type": "text", "data": data})
    assert_error(reply, 10024, 403)


def test_client_ip(brand, fresh_sandbox):
    fresh_sandbox.admin("POST", "/_sandbox/limits", {"ip": 2})
    brand.get("users/show", uid=BRAND)
    Account(fresh_sandbox, SERVICE).get("users/show", uid=BRAND)
    body = assert_error(brand.get("users/show", uid=BRAND), 10022, 403)
    assert body["error"] == "IP requests out of rate limit!"


def test_bad_limits_are_refused(fresh_sandbox):
    response = fresh_sandbox.http.post("/_sandbox/limits", json={"calls": -1})
    assert response.status_code == 400
    response = fresh_sandbox.http.post("/_sandbox/limits", json={"tweets": 1})
    assert response.status_code == 400 and "tweets" in response.json()["error"]


def test_a_per_day_allowance_is_off_by_default_and_answers_10023(brand, fresh_sandbox):
    assert fresh_sandbox.admin("GET", "/_sandbox/limits")["daily_calls"] == 0
    fresh_sandbox.admin("POST", "/_sandbox/limits", {"daily_calls": 2, "calls": 150})
    assert brand.get("users/show", uid=BRAND).status_code == 200
    assert brand.get("users/show", uid=BRAND).status_code == 200
    body = assert_error(brand.get("users/show", uid=BRAND), 10023, 403)
    assert body["error"] == "User requests out of rate limit!"
    assert Account(fresh_sandbox, SERVICE).get("users/show", uid=BRAND).status_code == 200  # per user
    remaining = brand.ok(brand.get("account/rate_limit_status"))["remaining_user_hits"]
    assert remaining == 148  # the hour's allowance is not what ran out
    fresh_sandbox.admin("POST", "/_sandbox/limits", {"daily_calls": 0})
    assert brand.get("users/show", uid=BRAND).status_code == 200
