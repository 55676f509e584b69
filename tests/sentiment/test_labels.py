"""One label per text, and the brand's own voice kept out of fans' sentiment: the cascade list, the word-of-mouth
board, incidents and the dashboard read the same stored label (corrections included)."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import count

import pytest
from django.urls import reverse
from django.utils import timezone

from sentiment import incidents as incident_services
from sentiment import services, trends
from sentiment.labels import cascade_rows, mention_label, own_uids
from sentiment.models import Cascade, Incident, Mention, MentionSource, Repost, Sentiment
from sentiment.pipeline import Raw, mentions_store
from sentiment.selectors import monitoring_today

LANGUAGE = "en"  # the people these tests sign in have chosen English: the tests read its words


pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
_ids = count(1)
OWN_UID = "7000000001"


@pytest.fixture
def own_account(demo):
    account = next(iter(demo.accounts.values()))
    account.weibo_uid = OWN_UID
    account.save(update_fields=["weibo_uid"])
    return account


def mention_make(brand, text, sentiment, *, uid="", **fields) -> Mention:
    n = next(_ids)
    return Mention.objects.create(
        brand=brand, source=MentionSource.SEARCH, text=text, text_key=f"{n:040d}", author_uid=uid or f"fan{n}",
        author_name=fields.pop("author_name", f"粉丝{n}"), platform_id=fields.pop("platform_id", f"P{n}"),
        posted_at=fields.pop("posted_at", timezone.now() - timedelta(minutes=n)), sentiment=sentiment,
        score=0.9, **fields)


def _badge(page: str, text: str) -> str:
    """The sentiment badge (or own-post tag) shown right after ``text`` on the cascade list."""
    row = page[page.index(text):]
    row = row[:row.index("</td>")]
    found = re.search(r'class="(badge-sentiment s-(\w+)|tag)">([^<]*)<', row)
    return found.group(2) or found.group(3) if found else ""


def test_own_uids_are_the_accounts_and_their_connections_uids(demo, own_account):
    assert own_uids(demo.brand) == {OWN_UID} | set(
        demo.brand.accounts.exclude(weibo_connection=None).values_list("weibo_connection__uid", flat=True))


def test_a_post_by_one_of_the_brand_s_own_accounts_is_stored_as_its_own(demo, own_account):
    result = mentions_store(brand=demo.brand, source=MentionSource.MENTIONS, raws=[
        Raw(text="杭州的第7个奶站今天开业，欢迎街坊来尝鲜", platform_id="A1", author_uid=OWN_UID),
        Raw(text="转发给大家 //@鲜牧乳业:第7个奶站开业", platform_id="A2", author_uid=OWN_UID, root_id="A1"),
        Raw(text="家门口终于有奶站了", platform_id="A3", author_uid="123456"),
    ])
    assert [(m.platform_id, m.own) for m in result.new] == [("A1", True), ("A2", True), ("A3", False)]
    assert set(Mention.objects.filter(own=True).values_list("platform_id", flat=True)) == {"A1", "A2"}
    assert [mention_label(m) for m in result.new][:2] == ["", ""]  # the brand's voice carries no fans' label


def test_the_brand_s_own_posts_are_never_counted_as_fans_sentiment(demo, own_account):
    own_negative = mention_make(demo.brand, "第7个奶站开业，排队的人太多了抱歉", Sentiment.NEGATIVE, uid=OWN_UID,
                                own=True, author_followers=900_000)
    own_positive = mention_make(demo.brand, "感谢大家支持鲜牧", Sentiment.POSITIVE, uid=OWN_UID, own=True,
                                author_followers=900_000)
    fan_negative = mention_make(demo.brand, "鲜牧的奶喝出了怪味", Sentiment.NEGATIVE, author_followers=10)
    fan_positive = mention_make(demo.brand, "鲜牧酸奶真好喝", Sentiment.POSITIVE, author_followers=5)

    today = monitoring_today(user=demo.people["manager"])
    assert (today["total"], today["negative"], today["positive"]) == (2, 1, 1)
    counts = trends.today_counts(demo.brand)
    assert counts.by_sentiment == {"negative": 1, "neutral": 0, "positive": 1}
    assert trends.positive_board(demo.brand) == [fan_positive]

    incident = Incident.objects.create(brand=demo.brand, title="怪味")
    incident.mentions.add(own_negative, own_positive, fan_negative)
    cascade = Cascade.objects.create(brand=demo.brand, root_id=fan_negative.platform_id, mention=fan_negative,
                                     watch_until=timezone.now() + timedelta(hours=1))
    Repost.objects.create(cascade=cascade, platform_id="R-own", uid=OWN_UID, text="我们在跟进",
                          posted_at=timezone.now(), followers=900_000)
    Repost.objects.create(cascade=cascade, platform_id="R-fan", uid="fan-x", text="同样遇到", posted_at=timezone.now(),
                          followers=3)
    people, reach, negative = incident_services.incident_figures(incident)
    assert (people, reach, negative) == (2, 13, 1)  # the fan who posted and the fan who reposted; not the brand


def test_the_cascade_list_and_the_board_show_the_same_stored_label_corrections_included(demo, own_account, login):
    # A fan's praise whose reposts include complaints: the list used to say "negative" (any negative repost),
    # the board "positive" (the post's own label).
    praise = mention_make(demo.brand, "鲜牧新开的奶站服务太贴心了", Sentiment.POSITIVE, platform_id="ROOT1")
    mention_make(demo.brand, "排队一小时也没买到", Sentiment.NEGATIVE, root_id="ROOT1")
    # The brand's own post: "第7个奶站开业" was negative on the list and positive on the board.
    own = mention_make(demo.brand, "杭州的第7个奶站今天开业", Sentiment.POSITIVE, uid=OWN_UID, own=True,
                       platform_id="ROOT2")
    for root in (praise, own):
        Cascade.objects.create(brand=demo.brand, root_id=root.platform_id, mention=root, root_text=root.text,
                               negative=True, watch_until=timezone.now() + timedelta(hours=1))
    pr = login(demo.people["pr"])

    def pages() -> tuple[str, str]:
        cascades = pr.get(reverse("sentiment:cascades"), **EN).content.decode()
        board = pr.get(reverse("sentiment:board"), **EN).content.decode()
        return cascades, board

    cascades, board = pages()
    assert _badge(cascades, praise.text) == "positive" and praise.text in board
    assert _badge(cascades, own.text) == "the brand's own post" and own.text not in board
    assert {c.root_id: c.label for c in cascade_rows([demo.brand], limit=10)} == {"ROOT1": "positive", "ROOT2": ""}

    services.mention_correct(mention=praise, by=demo.people["pr"], label=Sentiment.NEUTRAL)
    cascades, board = pages()
    assert _badge(cascades, praise.text) == "neutral" and praise.text not in board
    assert mention_label(Mention.objects.get(pk=praise.pk)) == "neutral"
