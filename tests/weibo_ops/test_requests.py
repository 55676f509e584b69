"""The request helpers every app's views share."""

import pytest
from django.test import RequestFactory

from weibo_ops.requests import next_url

FALLBACK = "/sentiment/alerts/"


@pytest.mark.parametrize("target", ["/\\evil.com", "//evil.com", "https://evil.com", "http://evil.com/x",
                                    "javascript:alert(1)", "", "http://testserver.evil.com/"])
def test_next_url_refuses_anything_that_leaves_the_site(target):
    request = RequestFactory().post("/x/", {"next": target})
    assert next_url(request, FALLBACK) == FALLBACK


@pytest.mark.parametrize("target", ["/fans/inbox/?state=open", "/content/posts/3/"])
def test_next_url_keeps_a_path_on_this_site(target):
    assert next_url(RequestFactory().post("/x/", {"next": target}), FALLBACK) == target
    assert next_url(RequestFactory().get("/x/", {"next": target}), FALLBACK) == target
