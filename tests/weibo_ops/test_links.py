"""Links from outside before they are stored or rendered: the ``safe_url`` template filter renders only absolute
http(s) URLs, however another scheme is spelt, and mention links are kept only when they point at Weibo."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from weibo_ops.links import http_url, weibo_url
from weibo_ops.templatetags.safe_links import safe_url

LINK = Template('{% load safe_links %}{% if url|safe_url %}<a href="{{ url|safe_url }}">x</a>{% else %}-{% endif %}')


@pytest.mark.parametrize("value", [
    "javascript:alert(1)",
    " JaVaScRiPt:alert(1)",
    "\tjavascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x00javascript:alert(1)",
    "\u3000javascript:alert(1)",
    "javascript://weibo.com/%0aalert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    " VBScript:msgbox(1)",
    "//evil.example/x",  # protocol-relative: takes the page's scheme, and any host
    "/\\evil.example",
    "https:\\\\evil.example",
    "http:evil.example",
    "https://",
    "https://[::1",  # unbalanced: not a URL at all
    "weibo.com/1/2",
    "ftp://weibo.com/x",
    "https://weibo.com/a b",
    "",
    None,
])
def test_the_filter_renders_anything_but_an_http_url_as_no_link(value):
    assert safe_url(value) == ""
    assert LINK.render(Context({"url": value})) == "-"


@pytest.mark.parametrize(("value", "rendered"), [
    ("https://weibo.com/1642634100/NqWkG8yZa", "https://weibo.com/1642634100/NqWkG8yZa"),
    ("http://m.weibo.cn/detail/4991234567890123", "http://m.weibo.cn/detail/4991234567890123"),
    ("  HTTPS://t.cn/A6xyz  ", "HTTPS://t.cn/A6xyz"),
    ("http://127.0.0.1:8100/_sandbox/avatars/7700000101.svg", "http://127.0.0.1:8100/_sandbox/avatars/7700000101.svg"),
    ('https://weibo.com/s?q=a&b="x"', "https://weibo.com/s?q=a&amp;b=&quot;x&quot;"),  # still escaped
])
def test_the_filter_renders_http_and_https_urls_escaped(value, rendered):
    assert safe_url(value) == value.strip()
    assert LINK.render(Context({"url": value})) == f'<a href="{rendered}">x</a>'


@pytest.mark.parametrize("value", [
    "https://weibo.com/1642634100/NqWkG8yZa",
    "https://m.weibo.cn/detail/4991234567890123",
    "http://weibo.cn/comment/NqWkG8yZa",
    "https://t.cn/A6xyz",
    "https://s.weibo.com/weibo?q=%E9%B2%9C%E7%89%A7",
    "https://WEIBO.COM./u/1",
])
def test_weibo_links_are_kept(value):
    assert weibo_url(value) == value


@pytest.mark.parametrize("value", [
    "javascript:alert(1)",
    " JaVaScRiPt:alert(1)//https://weibo.com/",
    "https://evil.example/weibo.com",
    "https://weibo.com.evil.example/1/2",
    "https://notweibo.com/1/2",
    "https://weibo.com@evil.example/1/2",
    "https://evil.example\\@weibo.com/",
    "//weibo.com/1/2",
    "data:text/html,https://weibo.com",
])
def test_other_links_are_not_weibo_links(value):
    assert weibo_url(value) == ""


def test_http_url_is_the_filter():
    assert http_url("https://weibo.com/1") == safe_url("https://weibo.com/1") == "https://weibo.com/1"
