"""The word-of-mouth board suggests amplifying fans' praise, never the brand's own posts (issue 15, §2)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from sentiment import trends
from sentiment.models import Mention, MentionSource, Sentiment
from sentiment.pipeline import Raw, mentions_store

pytestmark = pytest.mark.django_db


def test_the_brands_own_posts_are_not_suggested(demo, login):
    own = demo.accounts["鲜牧乳业"]
    own.weibo_uid = "5500000001"
    own.save(update_fields=["weibo_uid"])
    with transaction.atomic():
        mentions_store(brand=demo.brand, source=MentionSource.MENTIONS, raws=[
            Raw(text="鲜牧第7个奶站开业啦，欢迎大家来喝鲜奶！", platform_id="4900000000000001", author_uid="5500000001",
                author_name="鲜牧乳业", author_followers=6565860),
            Raw(text="鲜牧的鲜奶真好喝，会一直回购的", platform_id="4900000000000002", author_uid="1800000001",
                author_name="牛奶爱好者", author_followers=120)])
    Mention.objects.filter(brand=demo.brand).update(sentiment=Sentiment.POSITIVE)  # whatever the model said
    assert [m.author_name for m in trends.positive_board(demo.brand)] == ["牛奶爱好者"]
    page = login(demo.people["pr"]).get(reverse("sentiment:board"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "牛奶爱好者" in page and "第7个奶站开业" not in page
