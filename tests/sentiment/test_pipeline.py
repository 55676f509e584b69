"""The monitoring pipeline: raw items from every source become mentions once, copies fold onto the first
mention, search hits must match a group, keywords come from jieba; and the inbound queue that the inbox,
pushes, imports and reports hand items over through (claimed in batches, taken again when a claim runs
out, deleted in the transaction that stored them)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from positioning.models import Brand
from sentiment import sources
from sentiment.models import Inbound, Mention, MentionSource, RuleGroup, Sentiment
from sentiment.pipeline import MAX_TEXT, Raw, mentions_ingest, mentions_store
from sentiment.sources import CLAIM_FOR, inbound_process, mentions_submit

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]  # embedded: batched inserts, raw SQL and row locks

COPY = "鲜牧酸奶喝出了异物，太恶心了！"  # long enough to fold (more than SHORTEST_FOLDED characters)


@pytest.fixture
def brand():
    return Brand.objects.create(name="鲜牧乳业")


@pytest.fixture
def group(brand):
    return RuleGroup.objects.create(brand=brand, name="鲜牧", include_terms=["鲜牧"], exclude_terms=["招聘"],
                                    context_terms=["酸奶", "牛奶"])


def raw(text: str, pid: str = "", **fields) -> Raw:
    return Raw(text=text, platform_id=pid, **fields)


def store(brand, *raws, source=MentionSource.MENTIONS, **kwargs):
    with transaction.atomic():
        return mentions_store(brand=brand, source=source, raws=list(raws), **kwargs)


def texts(brand) -> list[str]:
    return list(Mention.objects.filter(brand=brand).order_by("pk").values_list("text", flat=True))


# --- deduplication by Weibo id ---------------------------------------------------------------------

def test_a_weibo_id_repeated_in_the_batch_is_stored_once_the_first_time(brand, group):
    result = store(brand, raw("鲜牧牛奶第一条", "1"), raw("鲜牧牛奶又来一次", "1"), raw("鲜牧酸奶第二条", "2"))
    assert [m.platform_id for m in result.new] == ["1", "2"]
    assert (result.known, result.copies, result.unmatched) == (1, 0, 0)
    assert texts(brand) == ["鲜牧牛奶第一条", "鲜牧酸奶第二条"]


def test_a_weibo_id_stored_before_is_not_stored_again(brand, group):
    store(brand, raw("鲜牧牛奶第一条", "1"))
    result = store(brand, raw("鲜牧牛奶第一条，改过", "1"), raw("鲜牧酸奶第三条", "3"), raw("鲜牧牛奶", " 1 "))
    assert [m.platform_id for m in result.new] == ["3"]
    assert result.known == 2
    assert texts(brand) == ["鲜牧牛奶第一条", "鲜牧酸奶第三条"]


def test_the_same_weibo_id_is_another_mention_for_another_brand(brand, group):
    other = Brand.objects.create(name="晨光乳业")
    store(brand, raw("鲜牧牛奶第一条", "1"))
    assert [m.platform_id for m in store(other, raw("鲜牧牛奶第一条", "1")).new] == ["1"]


def test_items_without_a_weibo_id_are_not_deduplicated_by_id(brand, group):
    result = store(brand, raw("好喝！"), raw("好喝！"), source=MentionSource.REPORT)
    assert len(result.new) == 2 and result.known == 0
    assert list(Mention.objects.values_list("platform_id", flat=True)) == ["", ""]


# --- near-identical copies ---------------------------------------------------------------------------

def test_near_identical_copies_in_a_batch_fold_onto_the_first(brand, group):
    result = store(brand, raw(f"{COPY} http://t.cn/a1 @小明", "10"), raw(f"{COPY}http://t.cn/b2 @小红 [怒]", "11"),
                   raw(f"{COPY}//@小刚: 真的假的", "12"), raw("鲜牧牛奶今天到货了，挺新鲜的", "13"))
    assert [m.platform_id for m in result.new] == ["10", "13"]
    assert result.copies == 2
    first = Mention.objects.get(platform_id="10")
    assert first.copies == 3 and first.text == f"{COPY} http://t.cn/a1 @小明"
    assert Mention.objects.get(platform_id="13").copies == 1


def test_a_copy_of_a_stored_mention_is_counted_on_it(brand, group):
    store(brand, raw(COPY, "10"), raw(f"{COPY}!!", "11"))
    assert Mention.objects.get(platform_id="10").copies == 2
    result = store(brand, raw(f"{COPY} http://t.cn/x", "20"), raw(f"@甲 {COPY}", "21"), raw(COPY, "10"))
    assert result.new == [] and result.copies == 2 and result.known == 1
    assert list(Mention.objects.values_list("platform_id", "copies")) == [("10", 4)]


def test_a_copy_of_a_mention_older_than_the_copy_window_is_news_again(brand, group):
    now = timezone.now()
    store(brand, raw(COPY, "10", posted_at=(now - timedelta(days=8)).isoformat()))
    result = store(brand, raw(COPY, "11"), now=now)
    assert [m.platform_id for m in result.new] == ["11"] and result.copies == 0
    assert sorted(Mention.objects.values_list("platform_id", "copies")) == [("10", 1), ("11", 1)]


def test_short_texts_are_never_folded(brand, group):
    result = store(brand, raw("好喝！", "1"), raw("好喝！！", "2"), raw("好喝", "3"))
    assert [m.platform_id for m in result.new] == ["1", "2", "3"] and result.copies == 0
    assert set(Mention.objects.values_list("copies", flat=True)) == {1}
    again = store(brand, raw("好喝!", "4"))
    assert [m.platform_id for m in again.new] == ["4"] and again.copies == 0


# --- matching, sentiment, keywords, fields ------------------------------------------------------------

def test_search_hits_must_match_a_group_other_sources_are_kept_without_one(brand, group):
    unmatched = ["鲜牧招聘冷链司机，酸奶厂", "鲜牧大道今天堵车", "今天天气不错，酸奶真好喝"]
    hit = "鲜牧酸奶太好喝了，回购"
    result = store(brand, *(raw(t, f"s{n}") for n, t in enumerate([*unmatched, hit])), source=MentionSource.SEARCH)
    assert result.unmatched == 3
    assert [m.text for m in result.new] == [hit]
    mentioned = store(brand, *(raw(t, f"m{n}") for n, t in enumerate(unmatched)), source=MentionSource.MENTIONS)
    assert [m.text for m in mentioned.new] == unmatched and mentioned.unmatched == 0
    assert set(Mention.objects.filter(source=MentionSource.MENTIONS).values_list("groups", flat=True)) == {None}
    assert list(Mention.objects.get(text=hit).groups.all()) == [group]


def test_a_mention_gets_every_group_it_matches(brand, group):
    product = RuleGroup.objects.create(brand=brand, name="酸奶杯", kind="product", include_terms=["鲜牧酸奶杯"])
    competitor = RuleGroup.objects.create(brand=brand, name="光明", kind="competitor", include_terms=["光明"])
    RuleGroup.objects.create(brand=brand, name="停用", include_terms=["鲜牧"], is_active=False)
    result = store(brand, raw("鲜牧酸奶杯比光明的好喝", "1"), source=MentionSource.SEARCH)
    mention = Mention.objects.get(platform_id="1")
    assert set(mention.groups.all()) == {group, product, competitor}
    assert {h.group_id: h.terms for h in result.new[0].matched} == {
        group.pk: ["鲜牧"], product.pk: ["鲜牧酸奶杯"], competitor.pk: ["光明"]}


def test_sentiment_and_keywords_are_stored_with_the_monitored_term_whole(brand, group):
    RuleGroup.objects.create(brand=brand, name="酸奶杯", kind="product", include_terms=["鲜牧酸奶杯"])
    store(brand, raw("鲜牧酸奶杯的包装漏了，鲜牧酸奶杯太让人失望了，客服也不回复", "1"),
          raw("超级好喝，回购第三次了[心]", "2"), raw("[心][心]", "3"))
    first, second, third = Mention.objects.order_by("platform_id")
    assert first.keywords == ["鲜牧酸奶杯", "客服", "包装", "回复", "失望"]
    assert first.sentiment == Sentiment.NEGATIVE and 0.5 < first.score <= 1
    assert second.sentiment == Sentiment.POSITIVE and second.keywords == ["好喝", "回购", "超级", "第三次"]
    assert third.keywords == []  # nothing but an emoticon: no word worth keeping
    assert {m.sentiment for m in (first, second, third)} <= set(Sentiment.values)


def test_the_fields_of_a_raw_item_are_kept(brand, group):
    posted = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    store(brand, Raw(text="  鲜牧牛奶怎么还没到  ", platform_id="5001", object_type="comment",
                     url="https://weibo.com/1/2", author_uid="7700000001", author_name="小明", author_followers=321,
                     author_verified=True, author_created_at="2020-01-02T03:04:05+00:00",
                     posted_at=posted.isoformat(), reposts=3, comments=4, likes=-5, root_id="4999",
                     report_note="x" * 600), raw("", "5002"), raw("   ", "5003"), raw("鲜" * (MAX_TEXT + 10), "5004"))
    mention = Mention.objects.get(platform_id="5001")
    assert (mention.text, mention.object_type, mention.url, mention.root_id) == (
        "鲜牧牛奶怎么还没到", "comment", "https://weibo.com/1/2", "4999")
    assert (mention.author_uid, mention.author_name, mention.author_followers, mention.author_verified) == (
        "7700000001", "小明", 321, True)
    assert mention.author_created_at.isoformat() == "2020-01-02T03:04:05+00:00"
    assert mention.posted_at == posted
    assert (mention.reposts, mention.comments, mention.likes, mention.copies) == (3, 4, 0, 1)
    assert len(mention.report_note) == 500 and mention.source == MentionSource.MENTIONS
    assert len(Mention.objects.get(platform_id="5004").text) == MAX_TEXT
    assert not Mention.objects.filter(platform_id__in=["5002", "5003"]).exists()  # no text, nothing to store


def test_an_item_without_a_time_is_posted_when_it_was_handed_over(brand, group):
    now = timezone.now()
    store(brand, raw("鲜牧牛奶", "1"), raw("鲜牧牛奶好", "2", posted_at="not a time"), now=now)
    assert set(Mention.objects.values_list("posted_at", flat=True)) == {now}


def test_storing_a_batch_costs_the_same_queries_whatever_its_size(brand, group, django_assert_num_queries,
                                                                 django_assert_max_num_queries):
    def batch(first: int, size: int) -> list[Raw]:
        return [raw(f"鲜牧酸奶第{n}次喝，味道每次都不一样呢", str(n)) for n in range(first, first + size)]

    store(brand, *batch(0, 1))  # the matcher, jieba and the model are loaded
    # At most 11 (the savepoint and its release, the brand, its accounts' and connections' uids, known ids,
    # known copies, groups, copies to fold, the inserts, the groups of each); PostgreSQL needs fewer, as one
    # statement inserts any number of rows there.
    with django_assert_max_num_queries(11) as small:
        store(brand, *batch(100, 5))
    with django_assert_num_queries(len(small.captured_queries)):
        store(brand, *batch(200, 30))
    # SQLite takes at most 999 parameters a statement, so the bulk insert goes in slices of ~30 rows there.
    with django_assert_max_num_queries(len(small.captured_queries) + 400 // 30):
        store(brand, *batch(1000, 400))
    assert Mention.objects.count() == 436


def test_mentions_ingest_runs_the_alert_check_on_the_new_mentions(brand, group):
    from sentiment.alerts import monitoring_settings
    from sentiment.models import Alert, AlertKind

    monitoring_settings(brand)  # created with the defaults
    result = mentions_ingest(brand=brand, source=MentionSource.MENTIONS, raws=[
        raw("鲜牧牛奶喝出了异物，太恶心了，再也不买了", "1", author_followers=5_000_000),
        raw("鲜牧酸奶挺好喝的", "2")])
    assert len(result.new) == 2
    assert list(Alert.objects.filter(brand=brand).values_list("kind", "mention__platform_id")) == [
        (AlertKind.INFLUENCER, "1")]


# --- the inbound queue ----------------------------------------------------------------------------------

def queue(brand, *raws: Raw, source=MentionSource.MENTIONS) -> list[Inbound]:
    return Inbound.objects.bulk_create(Inbound(brand=brand, source=source, payload=r.to_dict()) for r in raws)


def test_mentions_submit_queues_items_and_wakes_the_worker_after_commit(brand, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert mentions_submit(brand_id=brand.pk, source=MentionSource.PUSH,
                               raws=[raw("鲜牧牛奶", "1"), raw("鲜牧酸奶", "2")]) == 2
        assert mentions_submit(brand_id=brand.pk, source=MentionSource.PUSH, raws=[]) == 0
    assert len(callbacks) == 1
    assert [(i.source, i.payload["platform_id"]) for i in Inbound.objects.order_by("pk")] == [
        ("push", "1"), ("push", "2")]
    assert Raw.from_dict(Inbound.objects.first().payload | {"unknown": 1}) == raw("鲜牧牛奶", "1")


def test_inbound_items_are_stored_labelled_with_their_source_and_deleted(brand, group):
    for n, source in enumerate([MentionSource.MENTIONS, MentionSource.COMMENTS, MentionSource.PUSH,
                                MentionSource.IMPORT, MentionSource.REPORT, MentionSource.SEARCH]):
        queue(brand, raw(f"鲜牧酸奶第{n}次来信，请看一下", str(n)), source=source)
    queue(brand, raw("与我们无关的一条搜索结果", "99"), source=MentionSource.SEARCH)
    result = inbound_process()
    assert len(result.new) == 6 and result.unmatched == 1
    assert dict(Mention.objects.values_list("platform_id", "source")) == {
        "0": "mentions", "1": "comments", "2": "push", "3": "import", "4": "report", "5": "search"}
    assert not Inbound.objects.exists()


def test_inbound_items_are_claimed_and_stored_in_batches(brand, group):
    queue(brand, *(raw(f"鲜牧牛奶第{n}箱已经送到了门口", str(n)) for n in range(7)))
    first = inbound_process(limit=3, rounds=1)
    assert [m.platform_id for m in first.new] == ["0", "1", "2"]
    assert Inbound.objects.count() == 4
    rest = inbound_process(limit=3)
    assert [m.platform_id for m in rest.new] == ["3", "4", "5", "6"]
    assert not Inbound.objects.exists() and Mention.objects.count() == 7
    assert inbound_process(limit=3).new == []


def test_a_second_claim_does_not_take_the_rows_of_the_first(brand, group):
    rows = queue(brand, *(raw(f"鲜牧牛奶第{n}箱已经送到了门口", str(n)) for n in range(7)))
    now = timezone.now()
    first, second = sources._claim(3, now), sources._claim(3, now)
    assert first and second and first != second

    def claimed(token):
        return list(Inbound.objects.filter(claim=token).order_by("pk").values_list("pk", flat=True))

    assert claimed(first) == [r.pk for r in rows[:3]] and claimed(second) == [r.pk for r in rows[3:6]]
    assert set(Inbound.objects.filter(claim__in=[first, second]).values_list("claimed_until", flat=True)) == {
        now + CLAIM_FOR}
    # A worker running now finds only the one row nobody holds.
    assert [m.platform_id for m in inbound_process(limit=3).new] == ["6"]
    assert Inbound.objects.count() == 6
    assert sources._claim(3, now) is None


def test_a_claim_that_ran_out_is_taken_again(brand, group):
    queue(brand, *(raw(f"鲜牧牛奶第{n}箱已经送到了门口", str(n)) for n in range(4)))
    dead = sources._claim(2, timezone.now())  # its worker was killed before storing
    assert [m.platform_id for m in inbound_process().new] == ["2", "3"]
    assert Inbound.objects.filter(claim=dead).count() == 2
    Inbound.objects.filter(claim=dead).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert [m.platform_id for m in inbound_process().new] == ["0", "1"]
    assert not Inbound.objects.exists()


def test_a_batch_that_fails_to_store_stays_queued(brand, group, monkeypatch):
    queue(brand, raw("鲜牧牛奶第一箱已经送到了门口", "1"))

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(sources, "mentions_after_store", broken)
    with pytest.raises(RuntimeError):
        inbound_process()
    assert not Mention.objects.exists()
    assert Inbound.objects.count() == 1  # claimed until its claim runs out, then taken again
    monkeypatch.undo()
    Inbound.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert [m.platform_id for m in inbound_process().new] == ["1"]


def test_an_item_redelivered_after_it_was_stored_is_known(brand, group):
    queue(brand, raw("鲜牧牛奶第一箱已经送到了门口", "1"))
    inbound_process()
    queue(brand, raw("鲜牧牛奶第一箱已经送到了门口", "1"))
    again = inbound_process()
    assert again.new == [] and again.known == 1 and again.copies == 0
    assert list(Mention.objects.values_list("platform_id", "copies")) == [("1", 1)]


@pytest.mark.parametrize("link", ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>",
                                  "https://evil.example/1/2", "//weibo.com/1/2", "https://weibo.com/" + "1" * 490])
def test_a_link_that_is_not_an_http_weibo_link_is_not_stored_whatever_the_source(brand, group, link, caplog):
    # The mentions are written with a plain INSERT, past the model's validation: the pipeline checks the link.
    result = store(brand, raw("鲜牧牛奶好喝", "1", url=link), raw("鲜牧酸奶好喝", "2", url="https://m.weibo.cn/detail/2"),
                   source=MentionSource.IMPORT)
    assert [m.url for m in result.new] == ["", "https://m.weibo.cn/detail/2"]
    assert list(Mention.objects.order_by("platform_id").values_list("url", flat=True)) == [
        "", "https://m.weibo.cn/detail/2"]
    assert "mention link dropped: not an http(s) Weibo link (status, item 1)" in caplog.text
