"""The attack and spike evidence in words a person reads (issue 15, §2): baselines and reasons in the page's
language, the score explained, example accounts by name with their Weibo profile, the usual level in words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from sentiment import evidence
from sentiment.models import Alert, AlertKind, Cascade, Repost

LANGUAGE = "en"  # the people these tests sign in have chosen English: the tests read its words


pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
XSS = "<b>x</b>"
COPY = {"code": "copy", "value": 0.8, "threshold": 0.25, "fired": True,
        "baseline": "organic CED: the most common non-trivial remark covers at most 18 % of a cascade",
        "evidence": {"text": "鲜牧有毒", "count": 4, "share": 0.8, "reposts": 5, "non_trivial": 5, "identical": 4,
                     "wordings": 1, "example_uids": ["1700000001", "1700000002", "not-a-uid"]}}
YOUNG = {"code": "young", "value": None, "threshold": 0.5, "fired": False, "baseline": "not measured",
         "evidence": {"reason": "account info for 3 reposters, fewer than 20"}}


def _cascade(brand) -> Cascade:
    start = timezone.now() - timedelta(hours=1)
    cascade = Cascade.objects.create(brand=brand, root_id="R1", root_author="爆料君", root_text="鲜牧黑幕",
                                     watch_until=start + timedelta(hours=48), flagged=True, attack_score=3.0,
                                     signals=[COPY, YOUNG], reposts_seen=5, negative=True)
    Repost.objects.create(cascade=cascade, platform_id="a", uid="1700000001", screen_name=f"水军{XSS}",
                          posted_at=start, text="鲜牧有毒")
    return cascade


def test_the_cascade_page_explains_its_evidence_in_words(demo, login):
    cascade = _cascade(demo.brand)
    page = login(demo.people["pr"]).get(reverse("sentiment:cascade", args=[cascade.pk]), **EN).content.decode()
    assert "Score 3.00: 0 is the line for flagging" in page
    assert "In organic reposting, the most common remark of one&#x27;s own covers at most 18 %" in page
    assert "organic CED" not in page and "not measured</dd>" not in page
    assert "Not measured: account details for 3 reposters, fewer than the 20 the check needs." in page
    # example accounts: the name where a repost gave it (escaped), the uid otherwise, the profile linked
    assert ('<a href="https://weibo.com/u/1700000001" rel="noopener noreferrer" target="_blank">'
            "水军&lt;b&gt;x&lt;/b&gt;</a> <span class=\"muted\">(1700000001)</span>") in page
    assert '<a href="https://weibo.com/u/1700000002" rel="noopener noreferrer" target="_blank">1700000002</a>' in page
    assert "not-a-uid" in page and 'href="https://weibo.com/u/not-a-uid"' not in page
    # all the evidence: figures under names, never the detector's keys
    assert "<dt>Word-for-word copies</dt><dd>4</dd>" in page and "<dt>Share of the cascade</dt><dd>80.0 %</dd>" in page
    assert "non_trivial" not in page and "example_uids" not in page


def test_the_attack_alert_names_the_example_accounts(demo, login):
    cascade = _cascade(demo.brand)
    Alert.objects.create(brand=demo.brand, kind=AlertKind.ATTACK, dedupe_key="attack:R1", cascade=cascade,
                         title="协同转发", count=5,
                         evidence={"signals": [COPY, YOUNG], "root_text": "鲜牧黑幕", "root_author": "爆料君"})
    page = login(demo.people["pr"]).get(reverse("sentiment:alerts"), **EN).content.decode()
    assert ">水军&lt;b&gt;x&lt;/b&gt;</a>" in page and "organic CED" not in page


def test_the_spike_alert_says_the_usual_level_in_words(demo, login):
    Alert.objects.create(brand=demo.brand, kind=AlertKind.SPIKE, dedupe_key="spike:1", title="负面激增", count=30,
                         baseline=4.0, bucket_start=timezone.now(), evidence={
                             "bucket_minutes": 60, "weekly": [3, 4, 5, 4], "recent": [2, 3],
                             "rule": "max(median(same bucket of the week, 4 weeks), median(12 buckets before))"})
    page = login(demo.people["pr"]).get(reverse("sentiment:alerts"), **EN).content.decode()
    assert "max(median" not in page
    assert ("The higher of two medians: this time slot on the same weekday over the previous 4 weeks, and the 12 "
            "slots just before it.") in page


def test_every_baseline_and_reason_has_a_chinese_sentence():
    """The sentences are in the catalogue once the lead merges it; here: each code and reason has its own."""
    assert set(evidence.BASELINES) == {"burst", "regular", "copy", "recurring", "young"}
    with translation.override("en"):
        assert evidence.reason_words("12 reposts, fewer than 20") == "12 reposts, fewer than the 20 a check needs"
        assert evidence.reason_words("no other cascades given") == ("the brand has no other negative cascade to "
                                                                    "compare with")
        assert evidence.reason_words("something new") == "the data it needs is missing"
