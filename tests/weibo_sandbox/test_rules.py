"""Weibo's content rules over HTTP: each refusal with its code, and nothing stored when refused."""

from __future__ import annotations

import pytest

from .weibo import BRAND, RIP, SERVICE, Account, assert_error, link


@pytest.fixture
def brand(fresh_sandbox):
    return Account(fresh_sandbox, BRAND)


def refused(account: Account, text: str, code: int, **extra) -> dict:
    before = account.timeline_ids()
    body = assert_error(
        account.post("statuses/share", {"status": text, "rip": RIP, **extra}), code, path="/2/statuses/share.json"
    )
    assert account.timeline_ids() == before, "a refused post must not be stored"
    return body


def test_length_is_counted_as_weibo_counts(brand):
    # 130 full-width characters + a link (10, whatever its length) = 140: allowed
    brand.share("鲜" * 129 + " " + link("a" * 200))
    refused(brand, "鲜" * 131 + link(), 20012)  # 141
    brand.share("a" * 259 + link("x"))  # 259 half-width = 129.5, + 10 = 139.5 -> 140
    refused(brand, "b" * 262 + link("y"), 20012)  # 131 + 10
    refused(brand, "鲜" * 5000 + link(), 20012)
    assert_error(
        brand.post("comments/create", {"id": brand.timeline_ids()[0], "comment": "评" * 141, "rip": RIP}), 20012
    )


def test_links_must_be_on_the_safe_domain(brand):
    refused(brand, f"买奶送 http://evil.example.net/ {link()}", 20018)
    body = refused(brand, "没有链接的分享", 10017)
    assert "xianmu.example.com" in body["error"]
    brand.share("子域名也算 https://m.xianmu.example.com/p/9")


def test_topics_are_not_allowed_on_share(brand):
    body = refused(brand, f"#早餐# 来一杯 {link()}", 10017)
    assert "topic" in body["error"]
    brand.share(f"链接里的井号不是话题 {link('p/1#top')}")


def test_repeat_and_near_repeat(brand):
    text = "".join(
        [
            "鲜牧纯牛奶，每天一杯，营养又健康，早餐就选它。",
            "来自内蒙古天然牧场的优质奶源，全程冷链配送到家 ",
            link("daily"),
        ]
    )
    brand.share(text)
    refused(brand, text, 20019)
    refused(brand, f"  {text.replace('，', ',')}  ", 20019)  # width, spacing, punctuation do not count
    refused(brand, text.replace("每天", "每日"), 20111)  # one character of 70 changed: 3-gram Jaccard 0.91
    brand.share(f"完全不同的一条：周末牧场开放日 {link('farm')}")
    # another account may say the same thing
    Account(brand.sandbox, SERVICE).share(text)


def test_forbidden_words_and_advertising(brand):
    refused(brand, f"代开发票 {link()}", 21602)
    refused(brand, f"想要优惠加微信 xianmu888 {link()}", 20020)
    refused(brand, f"海外代购正品 {link()}", 20020)
    refused(brand, f"优惠私聊 VX：milk {link()}", 20020)


def test_empty_and_missing_text(brand):
    refused(brand, "   ", 20008)
    assert_error(brand.post("statuses/share", {"rip": RIP}), 10016)
    assert_error(brand.post("comments/create", {"id": brand.timeline_ids()[0], "comment": " ", "rip": RIP}), 20008)


def test_rip_is_required_on_writes_and_recorded(brand):
    body = assert_error(brand.post("statuses/share", {"status": f"缺少rip {link()}"}), 10016)
    assert "rip" in body["error"]
    assert_error(brand.post("statuses/share", {"status": f"坏的rip {link()}", "rip": "not-an-ip"}), 10017)
    brand.share(f"带着rip {link('rip')}")
    [write] = [
        r
        for r in brand.sandbox.admin("GET", "/_sandbox/requests?limit=10")
        if r["path"] == "/2/statuses/share.json" and r["status"] == 200
    ]
    assert write["rip"] == RIP and write["uid"] == BRAND and write["method"] == "POST" and write["error_code"] is None
    target = brand.timeline_ids()[0]
    assert_error(brand.post("statuses/repost", {"id": target}), 10016)
    assert_error(brand.post("comments/create", {"id": target, "comment": "没有rip"}), 10016)
    assert brand.post("statuses/destroy", {"id": target}).status_code == 200  # destroy carries no content: optional


def test_images_are_checked_by_their_bytes_and_size(brand):
    def share_with(data: bytes, name: str = "x.jpg") -> object:
        return brand.post(
            "statuses/share", {"status": f"配图 {link(name)}", "rip": RIP}, files={"pic": (name, data, "image/jpeg")}
        )

    assert_error(share_with(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "a.jpg"), 20005)
    assert_error(share_with(b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), "big.jpg"), 20006)
    assert share_with(b"GIF89a" + b"\x00" * 32, "ok.gif").status_code == 200
    assert share_with(b"\xff\xd8\xff\xe0" + b"\x00" * 1024, "ok.jpg").status_code == 200


def test_posting_too_fast(brand):
    for i in range(5):
        brand.share(f"第{i}条：{'春夏秋冬'[i % 4] * (i + 3)} {link(str(i))}")
    refused(brand, f"第六条来得太快 {link('6')}", 20016)
