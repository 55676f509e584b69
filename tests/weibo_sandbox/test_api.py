"""Every /2/ endpoint's shape, and the state behind them staying consistent."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from .weibo import BRAND, EAST, OWN, RIP, SERVICE, Account, assert_error, link, parse_time

STATUS_KEYS = {
    "id",
    "idstr",
    "mid",
    "created_at",
    "text",
    "source",
    "user",
    "reposts_count",
    "comments_count",
    "attitudes_count",
    "pic_urls",
}
USER_KEYS = {
    "id",
    "idstr",
    "screen_name",
    "name",
    "description",
    "location",
    "gender",
    "followers_count",
    "friends_count",
    "statuses_count",
    "created_at",
    "verified",
    "verified_type",
    "verified_reason",
    "profile_image_url",
    "avatar_large",
}
COMMENT_KEYS = {"id", "idstr", "mid", "created_at", "text", "user", "status"}


@pytest.fixture
def brand(fresh_sandbox):
    return Account(fresh_sandbox, BRAND)


@pytest.fixture
def service(fresh_sandbox):
    return Account(fresh_sandbox, SERVICE)


def assert_user(user: dict) -> None:
    assert set(user) >= USER_KEYS
    assert user["idstr"] == str(user["id"]) and user["gender"] in ("m", "f", "n")
    assert isinstance(user["verified"], bool) and isinstance(user["verified_type"], int)
    assert parse_time(user["created_at"]).tzinfo is not None


def assert_status(status: dict) -> None:
    assert set(status) >= STATUS_KEYS
    assert status["idstr"] == status["mid"] == str(status["id"])
    assert 4.9e15 <= status["id"] < 2**53
    assert re.fullmatch(r"<a href=\"[^\"]+\" rel=\"nofollow\">[^<]+</a>", status["source"])
    assert status["created_at"].endswith(f"+0800 {parse_time(status['created_at']).year}")
    assert_user(status["user"])


def test_the_seeded_world(brand):
    accounts = brand.sandbox.admin("GET", "/_sandbox/accounts")["accounts"]
    assert {a["id"]: a["screen_name"] for a in accounts} == OWN
    for account in accounts:
        assert account["verified"] and account["verified_type"] == 2 and account["verified_reason"]
        assert 10_000 <= account["followers_count"] < 100_000 and account["description"]
    timeline = brand.ok(brand.get("statuses/user_timeline", count=100))
    assert timeline["total_number"] >= 28 and all(s["user"]["id"] == BRAND for s in timeline["statuses"])
    assert any(s["comments_count"] for s in timeline["statuses"])
    assert brand.ok(brand.get("statuses/mentions"))["statuses"]
    assert brand.ok(brand.get("comments/to_me"))["comments"]
    fans = brand.ok(brand.get("friendships/followers", uid=BRAND, count=200))["users"]
    assert len(fans) >= 100
    zombies = [f for f in fans if "default_avatar" in f["profile_image_url"]]
    assert zombies and all(z["screen_name"].startswith("用户") and z["followers_count"] < 10 for z in zombies)
    for fan in fans[:20]:
        assert_user(fan)


def test_the_seeded_world_is_deterministic(fresh_sandbox):
    first = Account(fresh_sandbox).timeline_ids()
    fresh_sandbox.reset()
    assert Account(fresh_sandbox).timeline_ids() == first


def test_share_show_timeline_count_destroy(brand, service):
    status = brand.share(f"鲜牧有机奶新批次到店 {link()}")
    assert_status(status)
    assert status["text"] == f"鲜牧有机奶新批次到店 {link()}" and status["user"]["id"] == BRAND
    assert abs(parse_time(status["created_at"]) - datetime.now(UTC)) < timedelta(seconds=5)
    assert brand.timeline_ids()[0] == status["id"]
    assert brand.ok(brand.get("statuses/show", id=status["idstr"]))["text"] == status["text"]
    counts = brand.ok(brand.get("statuses/count", ids=f"{status['id']},4900000000000001"))
    assert counts == [{"id": status["idstr"], "reposts": 0, "comments": 0, "attitudes": 0}]
    assert_error(service.post("statuses/destroy", {"id": status["id"], "rip": RIP}), 20102)
    destroyed = brand.ok(brand.post("statuses/destroy", {"id": status["id"], "rip": RIP}))
    assert destroyed["id"] == status["id"]
    assert_error(brand.get("statuses/show", id=status["id"]), 20101, path="/2/statuses/show.json")
    assert status["id"] not in brand.timeline_ids()
    assert_error(brand.post("statuses/destroy", {"id": status["id"], "rip": RIP}), 20101)


def test_ids_grow_with_time(brand):
    first = brand.share(f"第一条 {link('1')}")
    second = brand.share(f"第二条完全不同的内容 {link('2')}")
    assert second["id"] > first["id"]


def test_reposts_cascade_to_the_root_and_carry_the_chain(brand, service, fresh_sandbox):
    root = brand.share(f"新品希腊酸奶上市 {link('greek')}")
    first = service.ok(service.post("statuses/repost", {"id": root["id"], "status": "推荐", "rip": RIP}))
    assert_status(first)
    assert first["retweeted_status"]["id"] == root["id"] and first["text"] == "推荐"
    east = Account(fresh_sandbox, EAST)
    second = east.ok(
        east.post("statuses/repost", {"id": first["id"], "status": "华东也有", "rip": RIP, "is_comment": 3})
    )
    assert second["retweeted_status"]["id"] == root["id"]
    assert second["text"] == "华东也有//@鲜牧客服:推荐"
    shown = brand.ok(brand.get("statuses/show", id=root["id"]))
    assert shown["reposts_count"] == 2 and shown["comments_count"] == 1  # is_comment=3: the root ...
    assert brand.ok(brand.get("statuses/show", id=first["id"]))["comments_count"] == 1  # ... and the parent
    timeline = brand.ok(brand.get("statuses/repost_timeline", id=root["id"]))
    assert [r["id"] for r in timeline["reposts"]] == [second["id"], first["id"]] and timeline["total_number"] == 2
    assert [r["id"] for r in brand.ok(brand.get("statuses/repost_timeline", id=first["id"]))["reposts"]] == [
        second["id"]
    ]
    plain = east.ok(east.post("statuses/repost", {"id": root["id"], "rip": RIP}))
    assert plain["text"] == "转发微博"
    assert_error(east.post("statuses/repost", {"id": root["id"], "rip": RIP}), 20017)  # same text, same target
    assert_error(east.post("statuses/repost", {"id": root["id"], "rip": RIP, "is_comment": 4}), 10017)
    assert_error(east.post("statuses/repost", {"rip": RIP}), 20109)
    assert_error(east.post("statuses/repost", {"id": 4900000000000001, "rip": RIP}), 20101)


def test_comments_replies_and_mentions(brand, service):
    post = brand.share(f"今日答疑 {link('qa')}")
    comment = service.ok(service.post("comments/create", {"id": post["id"], "comment": "请问哪里能买到？", "rip": RIP}))
    assert set(comment) >= COMMENT_KEYS and comment["status"]["id"] == post["id"]
    assert comment["idstr"] == comment["mid"] == str(comment["id"])
    reply = brand.ok(
        brand.post("comments/reply", {"cid": comment["id"], "id": post["id"], "comment": "各大超市都有", "rip": RIP})
    )
    assert reply["text"] == "回复@鲜牧客服:各大超市都有" and reply["reply_comment"]["id"] == comment["id"]
    bare = brand.ok(
        brand.post(
            "comments/reply",
            {"cid": comment["id"], "id": post["id"], "comment": "补充一句", "without_mention": 1, "rip": RIP},
        )
    )
    assert bare["text"] == "补充一句"
    thread = brand.ok(brand.get("comments/show", id=post["id"]))
    assert [c["id"] for c in thread["comments"]] == [bare["id"], reply["id"], comment["id"]]
    assert thread["total_number"] == 3
    assert brand.ok(brand.get("comments/to_me", count=5))["comments"][0]["id"] == comment["id"]
    assert service.ok(service.get("comments/mentions"))["comments"][0]["id"] == reply["id"]
    assert_error(
        brand.post("comments/reply", {"cid": 4900000000000001, "id": post["id"], "comment": "x", "rip": RIP}), 20201
    )
    assert_error(brand.post("comments/create", {"id": 4900000000000001, "comment": "x", "rip": RIP}), 20101)
    assert_error(service.post("comments/create", {"id": post["id"], "comment": "请问哪里能买到？", "rip": RIP}), 20017)
    mention = service.share(f"@鲜牧乳业 我们一起办早餐节 {link('fest')}")
    mentions = brand.ok(brand.get("statuses/mentions", count=5))
    assert mentions["statuses"][0]["id"] == mention["id"]
    assert brand.ok(brand.get("statuses/mentions", since_id=mention["id"]))["statuses"] == []
    older = brand.ok(brand.get("statuses/mentions", max_id=mention["id"] - 1, count=5))["statuses"]
    assert older and all(s["id"] < mention["id"] for s in older)
    assert brand.ok(brand.get("statuses/mentions", filter_by_author=1, count=5))["statuses"][0]["id"] == mention["id"]
    assert mention["id"] not in [
        s["id"] for s in brand.ok(brand.get("statuses/mentions", filter_by_author=2, count=50))["statuses"]
    ]


def test_list_paging_is_newest_first(brand):
    page1 = brand.ok(brand.get("statuses/user_timeline", count=5, page=1))["statuses"]
    page2 = brand.ok(brand.get("statuses/user_timeline", count=5, page=2))["statuses"]
    ids = [s["id"] for s in page1 + page2]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 10


def test_followers_pages_with_cursors_and_only_for_oneself(brand):
    first = brand.ok(brand.get("friendships/followers", uid=BRAND, count=20))
    assert len(first["users"]) == 20 and first["next_cursor"] == 20 and first["previous_cursor"] == 0
    assert first["total_number"] >= 10_000
    second = brand.ok(brand.get("friendships/followers", uid=BRAND, count=20, cursor=first["next_cursor"]))
    assert not {u["id"] for u in first["users"]} & {u["id"] for u in second["users"]}
    assert_error(brand.get("friendships/followers", uid=SERVICE), 10017)
    assert_error(brand.get("friendships/followers", uid=BRAND, count=201), 10017)
    assert_error(brand.get("friendships/followers"), 10016)


def test_users_show(brand):
    by_uid = brand.ok(brand.get("users/show", uid=SERVICE))
    assert_user(by_uid)
    assert by_uid["screen_name"] == "鲜牧客服"
    assert brand.ok(brand.get("users/show", screen_name="鲜牧华东"))["id"] == EAST
    assert_error(brand.get("users/show", uid=1), 20003)
    assert_error(brand.get("users/show", screen_name="没有这个人"), 20003)
    assert_error(brand.get("users/show"), 10016)


SEARCH = "/2/search/statuses/limited.json"  # on c.api.weibo.com
REPLY = "/2/messages/reply/biz.json"  # on c.api.weibo.com


def test_commercial_search(brand):
    post = brand.share(f"鲜牧低脂奶，轻盈早餐 {link('low')}")
    hour_ago = int(time.time()) - 3600
    found = brand.ok(brand.biz_get(SEARCH, q="低脂奶", starttime=hour_ago))
    assert found["statuses"][0]["id"] == post["id"] and found["total_number"] >= 1
    assert all("低脂奶" in s["text"] for s in found["statuses"])
    assert brand.ok(brand.biz_get(SEARCH, q="低脂奶", endtime=hour_ago - 86400 * 400)) == {
        "statuses": [],
        "total_number": 0,
    }
    assert_error(brand.biz_get(SEARCH), 10016)
    assert_error(brand.biz_get(SEARCH, q="奶", count=51), 10017)
    assert_error(brand.biz_get(SEARCH, q="{奶}"), 10017)
    assert_error(brand.biz_get(SEARCH, q="奶", sort="newest"), 10017)
    assert_error(brand.biz_get(SEARCH, q="奶", city=1), 10017)  # a city needs its province
    assert_error(brand.biz_get(SEARCH, q="奶", ids="~".join(["1"] * 51)), 10017)
    assert_error(brand.biz_get(SEARCH, q="奶", haspic=2), 10017)


def test_the_search_filters_and_sorts_as_documented(brand, fresh_sandbox):
    mine = brand.share(f"鲜牧低脂奶上新 {link('new')}")
    fan = fresh_sandbox.admin("POST", "/_sandbox/fan_posts", {"to_uid": BRAND, "text": "低脂奶好喝"})["status"]
    assert {s["id"] for s in brand.ok(brand.biz_get(SEARCH, q="低脂奶", ids=str(BRAND)))["statuses"]} >= {mine["id"]}
    assert all(s["user"]["id"] == fan["user"]["id"]
               for s in brand.ok(brand.biz_get(SEARCH, q="低脂奶", ids=str(fan["user"]["id"])))["statuses"])
    with_link = brand.ok(brand.biz_get(SEARCH, q="低脂奶", haslink=1))["statuses"]
    assert mine["id"] in {s["id"] for s in with_link} and fan["id"] not in {s["id"] for s in with_link}
    with_at = brand.ok(brand.biz_get(SEARCH, q="低脂奶", hasat=1))["statuses"]
    assert fan["id"] in {s["id"] for s in with_at} and mine["id"] not in {s["id"] for s in with_at}
    province = int(fan["user"]["province"])
    in_province = brand.ok(brand.biz_get(SEARCH, q="低脂奶", province=province, count=50))["statuses"]
    assert fan["id"] in {s["id"] for s in in_province} and all(s["user"]["province"] == str(province)
                                                               for s in in_province)
    for sort, key in (("fwnum", "reposts_count"), ("cmtnum", "comments_count")):
        found = brand.ok(brand.biz_get(SEARCH, q="奶", sort=sort, count=50))["statuses"]
        assert [s[key] for s in found] == sorted((s[key] for s in found), reverse=True)


def test_only_the_documented_host_and_path_are_served(brand):
    """Weibo's business paths follow no pattern; the invented ones and the wrong host are 10020, HTTP 404."""
    for response in (
        brand.http.get("/2/search/statuses/limited.json", params={"q": "奶"}),  # the public host
        brand.http.get("/2/search/statuses/limited/biz.json", params={"q": "奶"}),  # the old invented path
        brand.biz_get("/2/search/statuses/limited/biz.json", q="奶"),
        brand.http.post("/2/messages/reply.json", data={"receiver_id": 1, "type": "text", "data": "{}"}),
        brand.biz_post("/2/messages/reply.json", {"receiver_id": 1, "type": "text", "data": "{}"}),
        brand.biz_get("/2/statuses/show.json", id=1),  # a public endpoint on the business host
    ):
        assert_error(response, 10020, 404)


def test_private_message_replies_only_within_the_window(brand, fresh_sandbox):
    fan = fresh_sandbox.admin("POST", "/_sandbox/messages", {"to_uid": BRAND, "text": "我的订单什么时候发货？"})
    data = json.dumps({"text": "您好，已为您加急处理"}, ensure_ascii=False)
    form = {"receiver_id": fan["from_uid"], "type": "text", "data": data, "save_sender_box": 0}
    sent = brand.ok(brand.biz_post(REPLY, form))
    assert sent["result"] is True and sent["receiver_id"] == fan["from_uid"] and sent["sender_id"] == BRAND
    assert sent["type"] == "text" and json.loads(sent["data"]) == {"text": "您好，已为您加急处理"}
    parse_time(sent["created_at"])
    stranger = fresh_sandbox.admin("POST", "/_sandbox/fan_events", {"to_uid": SERVICE, "event": "view"})["from_uid"]
    closed = assert_error(brand.biz_post(REPLY, {**form, "receiver_id": stranger}), 10017)
    assert "window" in closed["error"]
    assert_error(brand.biz_post(REPLY, {**form, "data": "not json"}), 10017)
    assert_error(brand.biz_post(REPLY, {**form, "type": "image"}), 10017)
    assert_error(brand.biz_post(REPLY, {k: v for k, v in form.items() if k != "type"}), 10016)
    assert_error(brand.biz_post(REPLY, {**form, "save_sender_box": 2}), 10017)
    assert_error(brand.biz_post(REPLY, {**form, "data": json.dumps({"text": "奶" * 300})}), 10017)  # under 300
    assert brand.ok(brand.biz_post(REPLY, {**form, "data": json.dumps({"text": "奶" * 299})}))
    assert_error(brand.biz_post(REPLY, {**form, "receiver_id": 1}), 10017)  # no window
    conversation = fresh_sandbox.admin("GET", f"/_sandbox/messages?uid={fan['from_uid']}")["messages"]
    assert [m["text"] for m in conversation][:2] == ["我的订单什么时候发货？", "您好，已为您加急处理"]


@pytest.mark.parametrize("event", ["follow", "subscribe", "click", "scan", "scan_follow"])
def test_a_follow_subscription_menu_click_or_scan_opens_the_window(brand, fresh_sandbox, event):
    data = json.dumps({"text": "欢迎关注鲜牧"}, ensure_ascii=False)
    if event == "follow":
        fan = fresh_sandbox.admin("POST", "/_sandbox/follow", {"to_uid": BRAND})["from_uid"]
    else:
        fan = fresh_sandbox.admin("POST", "/_sandbox/fan_events", {"to_uid": BRAND, "event": event})["from_uid"]
    assert brand.ok(brand.biz_post(REPLY, {"receiver_id": fan, "type": "text", "data": data}))["result"] is True


def test_an_unfollow_closes_the_window_and_a_mention_allows_one_reply(brand, fresh_sandbox):
    data = json.dumps({"text": "您好"}, ensure_ascii=False)
    fan = fresh_sandbox.admin("POST", "/_sandbox/messages", {"to_uid": BRAND, "text": "在吗"})["from_uid"]
    fresh_sandbox.admin("POST", "/_sandbox/follow", {"to_uid": BRAND, "from_uid": fan})
    fresh_sandbox.admin("POST", "/_sandbox/unfollow", {"to_uid": BRAND, "from_uid": fan})
    closed = assert_error(brand.biz_post(REPLY, {"receiver_id": fan, "type": "text", "data": data}), 10017)
    assert "unfollowed" in closed["error"]
    other = fresh_sandbox.admin("POST", "/_sandbox/fan_events", {"to_uid": BRAND, "event": "mention"})["from_uid"]
    assert brand.ok(brand.biz_post(REPLY, {"receiver_id": other, "type": "text", "data": data}))["result"] is True
    again = assert_error(brand.biz_post(REPLY, {"receiver_id": other, "type": "text", "data": data}), 10017)
    assert "@mention" in again["error"]


def test_pictures_are_stored_and_served(brand):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    status = brand.ok(
        brand.post(
            "statuses/share",
            {"status": f"今日早餐 {link('b')}", "rip": RIP},
            files={"pic": ("breakfast.png", png, "image/png")},
        )
    )
    [pic] = status["pic_urls"]
    assert pic["thumbnail_pic"].startswith(brand.sandbox.url)
    served = brand.http.get(pic["thumbnail_pic"])
    assert served.status_code == 200 and served.content == png and served.headers["content-type"] == "image/png"
    avatar = brand.http.get(status["user"]["profile_image_url"])
    assert avatar.status_code == 200 and avatar.headers["content-type"].startswith("image/svg+xml")


def test_rate_limit_status_does_not_spend(brand):
    first = brand.ok(brand.get("account/rate_limit_status"))
    second = brand.ok(brand.get("account/rate_limit_status"))
    assert first["remaining_user_hits"] == second["remaining_user_hits"] == 150 - 0
    assert first["user_limit"] == 150 and first["ip_limit"] == 10_000
