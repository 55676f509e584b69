"""The real client against the sandbox over HTTP: every endpoint of WEIBO_API.md and every error family."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from weibo_ops.weibo.budget import Budget, DatabaseStore
from weibo_ops.weibo.client import SHARE, Transport, WeiboClient, WeiboOAuth, shared_http
from weibo_ops.weibo.errors import (
    AppRefused,
    Blocked,
    Duplicate,
    Forbidden,
    Invalid,
    NeedsReauthorisation,
    NotFound,
    Pending,
    Permanent,
    RateLimited,
    RetryLater,
    Unconfirmed,
)

BRAND_UID, SERVICE_UID = "5500000001", "5500000002"
RIP = "203.0.113.7"
REDIRECT = "http://127.0.0.1:9/positioning/weibo/callback/"


def authorise(sandbox, uid: str) -> str:
    """OAuth2 as the app does it: authorize (consent posted as ``uid``), exchange, verify."""
    oauth = WeiboOAuth.from_settings()
    url = oauth.authorize_url(redirect_uri=REDIRECT, state="st4te")
    form = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()} | {"uid": uid, "action": "allow"}
    answer = httpx.post(f"{sandbox.url}/oauth2/authorize", data=form)
    assert answer.status_code == 302, answer.text
    back = parse_qs(urlparse(answer.headers["location"]).query)
    assert back["state"] == ["st4te"]
    token = oauth.exchange_code(code=back["code"][0], redirect_uri=REDIRECT)
    assert token.uid == uid and token.expires_at > datetime.now(UTC)
    info = oauth.token_info(token.access_token)
    assert (info.uid, info.appkey) == (uid, sandbox.app_key)
    return token.access_token


@pytest.fixture
def budget(db):
    return Budget(limits={"calls": 1000, "posts": 1000, "comments": 1000, "messages": 1000, "ip": 100000},
                  server_ip="contract", store=DatabaseStore())


@pytest.fixture
def client(weibo, budget):
    return WeiboClient.from_settings(authorise(weibo, BRAND_UID), scope="account:1", budget=budget)


@pytest.fixture
def service(weibo, budget):
    return WeiboClient.from_settings(authorise(weibo, SERVICE_UID), scope="account:2", budget=budget)


def link(path: str = "p/1") -> str:
    return f"https://xianmu.example.com/{path}"


def requests_seen(sandbox) -> list[dict]:
    return sandbox.admin("GET", "/_sandbox/requests?limit=500")


def test_oauth_errors_are_typed(weibo):
    oauth = WeiboOAuth.from_settings()
    with pytest.raises(Permanent) as caught:
        oauth.exchange_code(code="never-issued", redirect_uri=REDIRECT)
    assert caught.value.code == 21325
    with pytest.raises(NeedsReauthorisation):
        oauth.token_info("not-a-token")
    wrong = WeiboOAuth(app_key=weibo.app_key, app_secret="wrong", transport=oauth.transport)
    with pytest.raises(Permanent) as caught:
        wrong.exchange_code(code="x", redirect_uri=REDIRECT)
    assert caught.value.code == 21324


def test_a_post_is_published_shown_listed_counted_and_destroyed(client, weibo):
    text = f"鲜牧有机奶新批次到店，早餐来一杯 {link()}"
    status = client.share(text, rip=RIP)
    assert status.id.isdigit() and status.text == text and status.user.id == BRAND_UID
    assert status.created_at.tzinfo is not None and abs(status.created_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert client.show(status.id).id == status.id
    assert status.id in [s.id for s in client.user_timeline(count=50).items]
    [counts] = client.counts([status.id])
    assert (counts.id, counts.reposts, counts.comments) == (status.id, 0, 0)
    write = next(r for r in reversed(requests_seen(weibo)) if r["path"].endswith("statuses/share.json"))
    assert write["rip"] == RIP  # the approver's IP travels with every write
    client.destroy(status.id)
    with pytest.raises(NotFound):
        client.show(status.id)


def test_a_picture_goes_up_with_the_post(client):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    status = client.share(f"今日早餐 {link('breakfast')}", rip=RIP, pic=png, pic_name="breakfast.png")
    assert len(status.pic_urls) == 1


def test_reposts_comments_and_replies_form_threads(client, service, weibo):
    status = client.share(f"新品希腊酸奶上市 {link('greek')}", rip=RIP)
    repost = service.repost(status.id, "客服号也来推荐", rip=RIP, is_comment=1)
    assert repost.retweeted_status.id == status.id
    assert [r.id for r in client.repost_timeline(status.id).items] == [repost.id]
    assert client.show(status.id).reposts_count == 1
    comment = service.comment(status.id, "请问哪里能买到？", rip=RIP)
    assert comment.status.id == status.id
    reply = client.reply(comment.id, status.id, "各大超市和旗舰店都有哦", rip=RIP)
    assert reply.reply_comment.id == comment.id and reply.text.startswith("回复@鲜牧客服")
    thread = client.comments(status.id, count=50).items
    assert {comment.id, reply.id} <= {c.id for c in thread}
    assert comment.id in {c.id for c in client.comments_to_me(count=50).items}
    mention = service.share(f"@鲜牧乳业 我们一起办早餐节 {link('fest')}", rip=RIP)
    assert mention.id in {s.id for s in client.mentions(count=50).items}
    own = service.share(f"客服号今日答疑 {link('qa')}", rip=RIP)
    tagged = service.comment(own.id, "@鲜牧乳业 这个问题请品牌号确认", rip=RIP)
    assert tagged.id in {c.id for c in client.comments_mentions(count=50).items}
    page = client.mentions(since_id=mention.id)
    assert page.items == []


def test_people_followers_search_and_private_messages(client, weibo):
    me = client.user(uid=BRAND_UID)
    assert me.screen_name == "鲜牧乳业" and me.verified
    assert client.user(screen_name="鲜牧乳业").id == BRAND_UID
    with pytest.raises(NotFound):
        client.user(uid="1")
    followers = client.followers(BRAND_UID, count=20)
    assert len(followers.items) == 20 and followers.total_number >= 20 and followers.next_cursor
    more = client.followers(BRAND_UID, count=20, cursor=followers.next_cursor)
    assert not {u.id for u in more.items} & {u.id for u in followers.items}
    with pytest.raises(Invalid):
        client.followers("5500000003")  # only the authorising account's own followers
    client.share(f"鲜牧低脂奶，轻盈早餐 {link('low')}", rip=RIP)
    found = client.search("低脂奶", start=datetime.now(UTC) - timedelta(hours=1))
    assert found.items and all("低脂奶" in s.text for s in found.items)
    fan = weibo.admin("POST", "/_sandbox/messages", {"to_uid": BRAND_UID, "text": "我的订单什么时候发货？"})
    sent = client.message_reply(str(fan["from_uid"]), "您好，已为您加急处理")
    assert sent.receiver_id == str(fan["from_uid"])
    with pytest.raises(Invalid, match="window"):
        client.message_reply("1234509876", "没有对话窗口")  # outside the reply window: never retried


def test_content_rules_come_back_as_their_outcomes(client):
    text = f"鲜牧纯牛奶，每天一杯 {link('daily')}"
    client.share(text, rip=RIP)
    with pytest.raises(Duplicate):
        client.share(text, rip=RIP)
    with pytest.raises(Forbidden):
        client.share(f"想要优惠加微信 xianmu888 {link()}", rip=RIP)
    with pytest.raises(Invalid):  # caught before calling ...
        client.share(f"买奶送 http://evil.example.net/ {link()}", rip=RIP)
    with pytest.raises(Forbidden) as caught:  # ... and the platform says the same
        client.call(SHARE, {"status": f"买奶送 http://evil.example.net/ {link()}", "rip": RIP})
    assert caught.value.code == 20018
    with pytest.raises(NotFound):
        client.show("4999999999999999")


def test_the_client_validates_before_calling_and_the_platform_agrees(client, weibo):
    before = len(requests_seen(weibo))
    for text in ["鲜" * 141 + link(), "没有链接的分享", f"#早餐# {link()}", "  "]:
        with pytest.raises(Invalid):
            client.share(text, rip=RIP)
    with pytest.raises(Invalid):
        client.share(f"图 {link()}", rip=RIP, pic=b"<svg/>")
    with pytest.raises(Invalid):
        client.share(f"无IP {link()}", rip="not-an-ip")
    assert len(requests_seen(weibo)) == before  # nothing reached the platform
    with pytest.raises(Invalid) as caught:  # and the platform refuses the same, with its own codes
        client.call(SHARE, {"status": "鲜" * 141 + link(), "rip": RIP})
    assert caught.value.code == 20012
    with pytest.raises(Invalid) as caught:
        client.call(SHARE, {"status": f"缺少rip {link()}"})
    assert caught.value.code == 10016


def test_platform_rate_limits_pause_the_account_without_further_calls(client, weibo, budget):
    weibo.admin("POST", "/_sandbox/limits", {"posts": 1})
    client.share(f"第一条 {link('1')}", rip=RIP)
    with pytest.raises(RateLimited) as caught:
        client.share(f"第二条 {link('2')}", rip=RIP)
    assert caught.value.code == 10024 and caught.value.scope == "account"
    assert caught.value.retry_at == (datetime.now(UTC) + timedelta(hours=1)).replace(minute=0, second=0,
                                                                                      microsecond=0)
    seen = len(requests_seen(weibo))
    with pytest.raises(RateLimited) as again:
        client.share(f"第三条 {link('3')}", rip=RIP)
    assert again.value.code is None and len(requests_seen(weibo)) == seen  # refused here, Weibo not called
    client.user(uid=BRAND_UID)  # reads still go: only the posts budget is blocked
    assert budget.status("account:1").limited_until == caught.value.retry_at


@pytest.mark.parametrize(("code", "scope"), [(10023, "account"), (10022, "ip")])
def test_user_and_ip_limits_block_their_scope(client, weibo, budget, code, scope):
    weibo.admin("POST", "/_sandbox/faults", {"once": [{"kind": "rate_limit", "code": code}]})
    with pytest.raises(RateLimited) as caught:
        client.user(uid=BRAND_UID)
    assert caught.value.code == code and caught.value.scope == scope
    with pytest.raises(RateLimited):
        client.user(uid=BRAND_UID)
    if scope == "ip":  # every account on this server waits
        with pytest.raises(RateLimited):
            WeiboClient.from_settings("any", scope="account:99", budget=budget).user(uid=BRAND_UID)


def test_the_local_budget_refuses_before_weibo_is_called(weibo, db):
    tight = Budget(limits={"calls": 2, "posts": 1, "comments": 1, "messages": 1, "ip": 100}, server_ip="tight",
                   store=DatabaseStore())
    client = WeiboClient.from_settings(authorise(weibo, BRAND_UID), scope="account:5", budget=tight)
    client.user(uid=BRAND_UID)
    client.user(uid=BRAND_UID)
    seen = len(requests_seen(weibo))
    with pytest.raises(RateLimited) as caught:
        client.user(uid=BRAND_UID)
    assert caught.value.retry_at > datetime.now(UTC) and len(requests_seen(weibo)) == seen


@pytest.mark.parametrize("action", ["revoke", "expire"])
def test_a_dead_token_needs_reauthorisation(client, weibo, action):
    weibo.admin("POST", f"/_sandbox/tokens/{action}", {"uid": BRAND_UID})
    with pytest.raises(NeedsReauthorisation) as caught:
        client.user(uid=BRAND_UID)
    assert caught.value.code == (21332 if action == "revoke" else 21327)


@pytest.mark.parametrize(("fault", "kind"), [
    ({"kind": "error"}, RetryLater),
    ({"kind": "code", "code": 10004}, Blocked),
    ({"kind": "code", "code": 20015}, Blocked),
    ({"kind": "code", "code": 99999}, Permanent),
])
def test_platform_faults_on_reads(client, weibo, fault, kind):
    weibo.admin("POST", "/_sandbox/faults", {"once": [fault]})
    with pytest.raises(kind):
        client.user(uid=BRAND_UID)
    client.user(uid=BRAND_UID)  # once means once


def test_a_slow_reply_times_out_as_retry_for_reads_and_unconfirmed_for_writes(weibo, budget):
    token = authorise(weibo, BRAND_UID)
    http = httpx.Client(timeout=0.5)
    transport = Transport(api_url=weibo.url, biz_url=weibo.url, http=http)
    client = WeiboClient(token, scope="account:1", budget=budget, transport=transport, safe_domain=weibo.safe_domain)
    weibo.admin("POST", "/_sandbox/faults", {"slow_seconds": 2, "once": [{"kind": "slow"}, {"kind": "slow"}]})
    with pytest.raises(RetryLater):
        client.user(uid=BRAND_UID)
    with pytest.raises(Unconfirmed):
        client.share(f"慢 {link('slow')}", rip=RIP)


def test_a_dropped_write_is_unconfirmed_and_found_before_any_retry(client, weibo):
    weibo.admin("POST", "/_sandbox/faults", {"once": [{"kind": "drop", "path": "/2/statuses/share.json"}]})
    text = f"掉线也要找得到 {link('drop')}"
    started = datetime.now(UTC) - timedelta(seconds=2)
    with pytest.raises(Unconfirmed):
        client.share(text, rip=RIP)
    found = client.find_own_post(text, since=started)
    assert found is not None and found.text == text  # stored although the client saw an error


def test_an_accepted_but_slow_post_is_pending_then_visible(client, weibo):
    weibo.admin("POST", "/_sandbox/faults", {"pending_seconds": 1,
                                             "once": [{"kind": "pending", "path": "/2/statuses/share.json"}]})
    text = f"服务器慢也发出去了 {link('pending')}"
    started = datetime.now(UTC) - timedelta(seconds=2)
    with pytest.raises(Pending) as caught:
        client.share(text, rip=RIP)
    assert caught.value.code == 20032
    time.sleep(1.2)
    assert client.find_own_post(text, since=started) is not None


@pytest.mark.parametrize("code", [10006, 10013, 10014, 21321])
def test_app_level_codes_from_the_sandbox_are_app_refusals(weibo, client, code):
    weibo.admin("POST", "/_sandbox/faults", {"once": [{"kind": "code", "code": code}]})
    with pytest.raises(AppRefused) as caught:
        client.user(uid=BRAND_UID)
    assert caught.value.code == code and caught.value.retry_at > datetime.now(UTC) + timedelta(minutes=59)


@pytest.fixture
def short_timeout(settings):
    """WEIBO_TIMEOUT as an operator sets it, on a fresh pooled client (it is built once per process)."""
    settings.WEIBO_TIMEOUT = 1
    shared_http.cache_clear()
    yield
    shared_http.cache_clear()


def test_a_black_holed_app_is_a_lost_answer(weibo, budget, short_timeout):
    client = WeiboClient.from_settings(authorise(weibo, BRAND_UID), scope="account:1", budget=budget)
    weibo.admin("POST", "/_sandbox/faults", {"blackhole": ["*"]})
    started = time.monotonic()
    with pytest.raises(RetryLater, match="no answer in time"):
        client.user(uid=BRAND_UID)  # a read: try again later
    with pytest.raises(Unconfirmed, match="no answer in time"):
        client.share(f"黑洞里的一条 {link('hole')}", rip=RIP)  # a write: look it up before any retry
    assert time.monotonic() - started < 6  # each call gave up after WEIBO_TIMEOUT, not the sandbox's 600 s hold
    weibo.admin("DELETE", "/_sandbox/faults")
    assert client.find_own_post(f"黑洞里的一条 {link('hole')}", since=datetime.now(UTC) - timedelta(minutes=1)) is None


def test_revoking_a_token(weibo):
    token = authorise(weibo, BRAND_UID)
    oauth = WeiboOAuth.from_settings()
    oauth.revoke(token)
    with pytest.raises(NeedsReauthorisation) as caught:
        oauth.token_info(token)
    assert caught.value.code == 21332
    with pytest.raises(NeedsReauthorisation):
        oauth.revoke(token)  # already dead: the caller may count it as done
