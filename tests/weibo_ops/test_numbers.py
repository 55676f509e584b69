"""Large counts read as people read them: 656.6万 in Chinese, 6.6M in English (issue 15, §2)."""

import pytest
from django.template import Context, Template
from django.utils import translation

from weibo_ops.templatetags.numbers import count_short, count_text


@pytest.mark.parametrize(("value", "zh", "en"), [
    (0, "0", "0"),
    (999, "999", "999"),
    (9999, "9999", "10K"),
    (10000, "1万", "10K"),
    (12345, "1.2万", "12.3K"),
    (6565860, "656.6万", "6.6M"),
    (99_999_999, "1亿", "100M"),
    (123_456_789, "1.2亿", "123.5M"),
    (2_500_000_000, "25亿", "2.5B"),
    (-15000, "-1.5万", "-15K"),
])
def test_counts_are_shortened_in_the_units_of_the_language(value, zh, en):
    assert count_text(value, "zh-hans") == zh
    assert count_text(value, "en") == en


def test_the_filter_follows_the_active_language_and_leaves_non_numbers_alone():
    template = Template("{% load numbers %}{{ n|count_short }}")
    with translation.override("zh-hans"):
        assert template.render(Context({"n": 6565860})) == "656.6万"
    with translation.override("en"):
        assert template.render(Context({"n": 6565860})) == "6.6M"
    assert count_short(None) is None
    assert count_short("—") == "—"
    assert count_short(2.5) == 2.5
