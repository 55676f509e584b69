"""The typed results, parsed from stored payloads shaped like WEIBO_API.md's examples, and the client's
behaviour on payloads no worker should crash on (missing fields, wrong types, huge or hostile text)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from weibo_ops.weibo.client import Transport, WeiboClient
from weibo_ops.weibo.errors import Duplicate, Outcome, RetryLater, Unconfirmed
from weibo_ops.weibo.types import Comment, Counts, Status, User, parse_created_at

PAYLOADS = Path(__file__).parent / "payloads"
SHANGHAI = timezone(timedelta(hours=8))


def load(name: str):
    return json.loads((PAYLOADS / name).read_text())


def test_status_keeps_ids_as_strings_and_parses_time_and_nesting():
    status = Status.parse(load("status.json"))
    assert status.id == "4940000000000123" and status.mid == "4940000000000123"
    assert status.created_at == datetime(2011, 5, 31, 17, 46, 55, tzinfo=SHANGHAI)
    assert status.created_at.utcoffset() == timedelta(hours=8)
    assert status.user.id == "5500000001" and status.user.verified and status.user.verified_type == 2
    assert status.user.created_at == datetime(2010, 3, 1, 9, tzinfo=SHANGHAI)
    assert (status.reposts_count, status.comments_count, status.attitudes_count) == (8, 3, 21)
    assert status.pic_urls == ("http://wx1.sinaimg.cn/thumbnail/abc.jpg",)
    assert status.is_repost and status.retweeted_status.id == "4939999999999000"
    assert status.retweeted_status.user.screen_name == "原作者"


def test_comment_with_reply_and_string_counts():
    comment = Comment.parse(load("comment.json"))
    assert comment.id == "4940000000000777"
    assert comment.user.followers_count == 1200  # "1200" arrived as a string
    assert comment.status.id == "4940000000000123"
    assert comment.reply_comment.text == "我的奶什么时候到？" and comment.reply_comment.user.id == "1234567890"


def test_counts_accept_numbers_strings_and_nulls():
    counts = [Counts.parse(item) for item in load("counts.json")]
    assert counts[0] == Counts("4940000000000123", 8, 3, 21)
    assert counts[1] == Counts("4940000000000124", 0, 5, 0)


@pytest.mark.parametrize("value", [None, "", "yesterday", 1306835215, "Tue Foo 31 17:46:55 +0800 2011",
                                   "Tue May 31 25:46:55 +0800 2011"])
def test_unreadable_times_become_none(value):
    assert parse_created_at(value) is None


def test_created_at_does_not_depend_on_the_locale():
    assert parse_created_at("Sun Nov 22 09:00:00 +0800 2026").astimezone(UTC) == datetime(2026, 11, 22, 1, tzinfo=UTC)


def test_missing_and_mistyped_fields_fall_back_to_empty_values():
    user = User.parse({"id": "42", "followers_count": {"x": 1}, "verified": "yes", "screen_name": ["a"]})
    assert user == User(id="42", verified=False)
    assert Status.parse({"text": "no id"}) is None
    assert Status.parse("not an object") is None
    status = Status.parse({"id": 1, "user": "empty", "retweeted_status": [], "pic_urls": "x"})
    assert status.user is None and status.retweeted_status is None and status.pic_urls == ()


def client_serving(handler) -> WeiboClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    transport = Transport(api_url="http://weibo.test", biz_url="http://weibo.test", http=http)
    return WeiboClient("token", scope="account:1", budget=None, transport=transport, safe_domain="xianmu.example.com")


def test_a_list_drops_unreadable_items_and_keeps_the_rest():
    statuses = [load("status.json"), {"text": "no id"}, 17, {"id": "4940000000000999", "text": "<script>x</script>"}]
    client = client_serving(lambda request: httpx.Response(200, json={"statuses": statuses, "total_number": "x"}))
    page = client.mentions()
    assert [s.id for s in page.items] == ["4940000000000123", "4940000000000999"]
    assert page.dropped == 2 and page.total_number == 0
    assert page.items[1].text == "<script>x</script>"  # kept raw: every template escapes it


def test_huge_text_is_capped():
    client = client_serving(lambda request: httpx.Response(200, json={"id": 1, "text": "长" * 50_000}))
    assert len(client.show("1").text) == 10_000


def test_an_answer_that_is_not_json_is_retried_for_reads_and_unconfirmed_for_writes():
    client = client_serving(lambda request: httpx.Response(200, text="<html>gateway</html>"))
    with pytest.raises(RetryLater):
        client.show("1")
    with pytest.raises(Unconfirmed):
        client.comment("1", "谢谢支持", rip="203.0.113.9")


def test_an_error_body_with_a_string_code_is_typed():
    client = client_serving(lambda request: httpx.Response(400, json=load("error.json")))
    with pytest.raises(Duplicate) as caught:
        client.share("新品上市 http://xianmu.example.com/a", rip="203.0.113.9")
    assert caught.value.outcome == Outcome.DUPLICATE and caught.value.code == 20019
    assert caught.value.request == "/2/statuses/share.json"


def test_the_token_travels_in_the_header_not_the_url():
    seen = {}

    def handler(request: httpx.Request):
        seen["url"], seen["auth"] = str(request.url), request.headers.get("Authorization")
        return httpx.Response(200, json={"id": 5, "screen_name": "x"})

    client_serving(handler).user(uid="5")
    assert "token" not in seen["url"] and seen["auth"] == "OAuth2 token"
    assert "token" not in repr(client_serving(handler))


def test_an_oversized_answer_is_refused():
    client = client_serving(lambda request: httpx.Response(200, content=b"[" + b"1," * 5_000_000 + b"1]"))
    with pytest.raises(RetryLater, match="more than"):
        client.show("1")


def test_a_bare_server_error_after_a_write_is_unconfirmed_not_retried():
    client = client_serving(lambda request: httpx.Response(502, text="<html>Bad Gateway</html>"))
    with pytest.raises(Unconfirmed):
        client.share("新品上市 http://xianmu.example.com/a", rip="203.0.113.9")
    with pytest.raises(RetryLater):
        client.show("1")


def test_a_broken_compressed_body_is_a_transport_failure():
    broken = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    client = client_serving(lambda request: httpx.Response(200, headers=broken, content=b"not gzip at all"))
    with pytest.raises(RetryLater):
        client.show("1")
    with pytest.raises(Unconfirmed):
        client.comment("1", "谢谢", rip="203.0.113.9")


def test_numbers_and_ids_from_outer_space_do_not_crash_a_worker():
    raw = '{"id": 7, "reposts_count": 1e400, "comments_count": NaN, "attitudes_count": -Infinity,' \
          ' "user": {"id": "²", "followers_count": 99999999999999999999999999}}'
    client = client_serving(lambda request: httpx.Response(200, content=raw.encode()))
    status = client.show("7")
    assert (status.reposts_count, status.comments_count, status.attitudes_count) == (0, 0, 0)
    assert status.user is None  # "²" is not an id
    assert User.parse({"id": 5, "followers_count": 10**30}).followers_count == 2**63 - 1


def test_token_lifetimes_from_outer_space_become_unknown():
    from weibo_ops.weibo.types import epoch, in_seconds

    now = datetime.now(UTC)
    assert epoch(10**30) is None and in_seconds(10**30, now) is None and in_seconds("1e9999", now) is None
    assert in_seconds(3600, now) == now + timedelta(hours=1)


def test_a_lost_post_is_found_although_weibo_shortened_its_link_and_dropped_the_microseconds():
    since = datetime(2026, 11, 22, 1, 0, 0, 700_000, tzinfo=UTC)
    stored = {"id": "4990000000000001", "text": "新品上市  http://t.cn/A6xYz9",
              "created_at": "Sun Nov 22 09:00:00 +0800 2026"}
    older = {"id": "4990000000000000", "text": "昨天的", "created_at": "Sat Nov 21 09:00:00 +0800 2026"}
    client = client_serving(lambda request: httpx.Response(200, json={"statuses": [stored, older]}))
    found = client.find_own_post("新品上市 http://xianmu.example.com/launch?utm=weibo", since=since)
    assert found is not None and found.id == "4990000000000001"
    assert client.find_own_post("另一条", since=since) is None
