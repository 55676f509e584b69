"""Word clouds without noise (issue 15, §2): stop words, link pieces and drawn-out interjections are left out,
both when keywords are taken from a mention and when the cloud is drawn from keywords stored before."""

from __future__ import annotations

from datetime import timedelta

import jieba
import pytest
from django.utils import timezone

from sentiment import pipeline, trends
from sentiment.models import Mention, MentionSource, Sentiment
from sentiment.words import is_noise, strip_urls, without_url_tokens


@pytest.mark.parametrize("word", ["emmm", "https", "http", "www", "哈哈哈哈", "啊啊啊", "hhhhhh", "呵呵", "的", "我们",
                                  "转发微博", "A6xYz9Q", "666", "t.cn"])
def test_noise_is_recognised(word):
    assert is_noise(word)


@pytest.mark.parametrize("word", ["宝宝", "妈妈", "漏奶", "包装", "好喝", "鲜牧", "奶站", "客服", "A2"])
def test_words_that_say_something_stay(word):
    assert not is_noise(word)


def test_link_pieces_are_dropped_from_segmented_text():
    tokens = jieba.lcut("太好喝了 https://t.cn/A6xYz9Q 宝宝很喜欢")
    assert [t for t in without_url_tokens(tokens) if t.strip()] == ["太", "好喝", "了", "宝宝", "很", "喜欢"]
    assert strip_urls("看这里https://t.cn/A6xYz9Q，好喝") == "看这里 ，好喝"


def test_keywords_of_a_mention_leave_the_noise_out():
    idf, median, stop = pipeline._keyword_table()
    tokens = jieba.lcut("emmm 哈哈哈哈 鲜牧的酸奶包装漏奶了 https://t.cn/A6xYz9Q 哈哈哈哈")
    words = pipeline.keywords(tokens, idf, median, stop)
    assert "漏奶" in words and "包装" in words
    assert not {"emmm", "哈哈哈哈", "https", "cn", "A6xYz9Q"} & set(words)


@pytest.mark.django_db
def test_the_cloud_filters_keywords_stored_before(demo):
    for n, keywords in enumerate((["漏奶", "emmm", "https"], ["漏奶", "哈哈哈哈"], ["包装", "的"])):
        Mention.objects.create(brand=demo.brand, source=MentionSource.SEARCH, text="漏奶", text_key=f"{n:040d}",
                               posted_at=timezone.now() - timedelta(minutes=n + 1), sentiment=Sentiment.NEGATIVE,
                               keywords=keywords)
    words = trends.word_cloud(demo.brand, since=timezone.now() - timedelta(days=7))
    assert [(w.text, w.count) for w in words] == [("漏奶", 2), ("包装", 1)]
