from __future__ import annotations

import pytest
from django.utils import translation

from weibo_ops.weibo.text import MAX_IMAGE_BYTES, check_image, check_share, check_text, weibo_length

DOMAIN = "xianmu.example.com"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(("text", "length"), [
    ("", 0),
    ("鲜牧", 2),
    ("ab", 1),
    ("abc", 2),  # a half is rounded up
    ("鲜牧 milk", 5),  # 2 + 5 halves → 4.5 → 5
    ("看 http://xianmu.example.com/a/very/long/path?with=query", 12),  # 1 + ½ space + 10 for any link
    ("😀", 1),
])
def test_length_is_counted_the_way_weibo_counts(text, length):
    assert weibo_length(text) == length


def test_140_chinese_characters_fit_and_141_do_not():
    assert check_text("鲜" * 140) == []
    [problem] = check_text("鲜" * 141)
    assert "141" in problem.message and "140" in problem.message


def test_280_ascii_characters_fit():
    assert check_text("a" * 280) == [] and check_text("a" * 281)


def test_share_needs_a_safe_domain_link_and_no_topic():
    assert check_share(f"新品上市 https://{DOMAIN}/p/1", safe_domain=DOMAIN) == []
    assert check_share(f"新品上市 https://shop.{DOMAIN}/p/1", safe_domain=DOMAIN) == []
    assert [p.message for p in check_share("新品上市", safe_domain=DOMAIN)] == [
        f"statuses/share needs a link on the registered safe domain {DOMAIN}: add one."]
    assert len(check_share(f"https://{DOMAIN}/ 与 https://evil.example.net/", safe_domain=DOMAIN)) == 1
    assert len(check_share(f"https://evil{DOMAIN}/", safe_domain=DOMAIN)) == 2  # not a subdomain: no link, off-domain
    assert len(check_share(f"#早餐# https://{DOMAIN}/", safe_domain=DOMAIN)) == 1


def test_images_are_checked_by_content_and_size():
    assert check_image(b"\x89PNG\r\n\x1a\n" + b"0" * 100) == []
    assert check_image(b"\xff\xd8\xff\xe0" + b"0" * 100) == []
    assert check_image(b"GIF89a" + b"0" * 10) == []
    assert len(check_image(b"<svg></svg>")) == 1
    assert len(check_image(b"\xff\xd8\xff" + b"0" * MAX_IMAGE_BYTES)) == 1
