"""Fan scores: influence, activity, loyalty and zombie likelihood, each with its reasons, in a constant
number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from fans import scoring
from fans.models import Fan, Interaction, Kind, Source
from fans.text import reposted_via

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def zombie_fan(**extra) -> Fan:
    return Fan(uid="7700000201", screen_name="用户58231977", avatar_url="https://tva1.example/default_avatar_1.jpg",
               followers_count=3, friends_count=1500, statuses_count=0, registered_at=NOW - timedelta(days=5),
               profile_at=NOW, **extra)


def normal_fan(**extra) -> Fan:
    return Fan(uid="7700000202", screen_name="上海奶爸老周", avatar_url="https://tva1.example/u/7700000202.jpg",
               followers_count=850, friends_count=320, statuses_count=2400,
               registered_at=NOW - timedelta(days=2000), profile_at=NOW, **extra)


def test_an_obvious_zombie_scores_every_reason_with_its_weight():
    score = scoring.profile_score(zombie_fan(), now=NOW)
    assert score.zombie == 1.0  # 0.25 + 0.2 + 0.2 + 0.2 + 0.15
    assert score.reasons["zombie"] == [
        ["no_avatar", {}], ["default_name", {}], ["no_posts", {"n": 0}], ["following", {"f": 1500, "b": 3}],
        ["young", {"d": 5}],
    ]
    assert score.zombie >= scoring.ZOMBIE_THRESHOLD
    assert score.influence == round(12 * 0.6020599913)  # log10(4) × 12: three followers count for little


def test_weights_add_up_reason_by_reason():
    fan = zombie_fan()
    fan.avatar_url = "https://tva1.example/u/1.jpg"
    fan.registered_at = NOW - timedelta(days=400)
    score = scoring.profile_score(fan, now=NOW)
    assert score.zombie == 0.6  # default name, no posts, following ≫ followers
    assert [code for code, _v in score.reasons["zombie"]] == ["default_name", "no_posts", "following"]


def test_a_normal_fan_is_no_zombie():
    score = scoring.profile_score(normal_fan(), now=NOW)
    assert score.zombie == 0.0 and score.reasons["zombie"] == []
    assert score.influence == round(12 * 2.9299)  # log10(851)
    assert score.reasons["influence"] == [["followers", {"n": 850}]]


def test_a_fan_known_only_by_uid_gets_no_verdict():
    score = scoring.profile_score(Fan(uid="7700000203"), now=NOW)
    assert score.zombie == 0.0 and score.reasons["zombie"] == []
    assert score.influence == 0 and score.reasons["influence"] == [["followers", {"n": 0}]]


def test_influence_counts_reach_verification_and_downstream_reposts():
    big = normal_fan(verified=True, verified_reason="知名育儿博主")
    big.followers_count = 120_000
    big.downstream_reposts = 99
    score = scoring.profile_score(big, now=NOW)
    assert score.influence == 60 + 15 + 20  # reach capped at 60, verified, 10 × log10(100)
    assert score.reasons["influence"] == [["followers", {"n": 120_000}], ["verified", {"why": "知名育儿博主"}],
                                          ["downstream", {"n": 99}]]
    big.downstream_reposts = 10**6
    assert scoring.profile_score(big, now=NOW).influence == 100  # capped


def stored(account, fan, n, *, text="", at=None, **fields) -> Interaction:
    at = at or NOW
    return Interaction.objects.create(
        account=account, kind=Kind.MENTION, source=Source.MENTIONS, object_type="status",
        platform_id=f"{fan.pk:04d}{n:06d}", fan=fan, text=text, created_at=at, thread_key=f"s:{n}",
        reposted_from=reposted_via(text), **fields)


def test_downstream_reposts_credit_the_fan_named_in_the_repost_chain(demo):
    account = demo.accounts["鲜牧客服"]
    sharer = Fan.objects.create(uid="7700000210", screen_name="奶茶不如牛奶", followers_count=100, profile_at=NOW)
    others = [Fan.objects.create(uid=f"77000002{20 + i}", screen_name=f"路人{i}") for i in range(3)]
    stored(account, sharer, 1, text="鲜牧的新品真不错 @鲜牧客服")
    for i, fan in enumerate(others):
        stored(account, fan, 10 + i, text=f"转发微博 //@奶茶不如牛奶: 鲜牧的新品真不错 {i}")
    stored(account, others[0], 20, text="//@别人: 与她无关")
    assert scoring.fans_rescore(fan_ids=[sharer.pk]) == 1
    sharer.refresh_from_db()
    assert sharer.downstream_reposts == 3
    assert ["downstream", {"n": 3}] in sharer.score_reasons["influence"]
    assert sharer.influence == round(12 * 2.0043 + 10 * 0.60206)


def test_loyalty_counts_praise_on_separate_days_and_defending_the_brand(demo):
    account = demo.accounts["鲜牧客服"]
    once = Fan.objects.create(uid="7700000230")
    same_day = Fan.objects.create(uid="7700000231")
    loyal = Fan.objects.create(uid="7700000232")
    defender = Fan.objects.create(uid="7700000233")
    stored(account, once, 1, text="真好喝", is_praise=True)
    for n in range(3):  # three compliments in one afternoon are one day
        stored(account, same_day, 10 + n, text="好喝", is_praise=True, at=NOW - timedelta(minutes=n))
    for day in range(3):
        stored(account, loyal, 20 + day, text="回购第 N 次", is_praise=True, at=NOW - timedelta(days=day))
    stored(account, loyal, 30, text="别带节奏", defends=True)
    stored(account, defender, 40, text="造谣", defends=True, at=NOW - timedelta(days=40))
    stored(account, defender, 41, text="不实", defends=True)
    stored(account, defender, 42, text="黑粉", defends=True)
    scoring.fans_rescore(fan_ids=[once.pk, same_day.pk, loyal.pk, defender.pk])
    for fan in (once, same_day, loyal, defender):
        fan.refresh_from_db()
    assert (once.loyalty, once.positive_count) == (10, 1)
    assert (same_day.loyalty, same_day.positive_count) == (10, 1)
    assert (loyal.loyalty, loyal.positive_count, loyal.defends_count) == (45 + 25, 3, 1)
    assert loyal.score_reasons["loyalty"] == [["praise_days", {"n": 3}], ["defends", {"n": 1}]]
    assert (defender.loyalty, defender.defends_count) == (50, 3)  # defending counts up to 50
    assert (defender.activity, loyal.activity) == (2, 4)  # interactions in the last 30 days
    assert defender.last_interaction_at == NOW and defender.scored_at is not None


def _queries(fan_ids) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert scoring.fans_rescore(fan_ids=fan_ids) == len(fan_ids)
    return len(ctx.captured_queries)


def test_rescoring_takes_the_same_number_of_queries_for_3_and_30_fans(demo):
    account = demo.accounts["鲜牧客服"]
    fans = [Fan.objects.create(uid=f"78000000{i:02d}", screen_name=f"粉丝{i}") for i in range(30)]
    for n, fan in enumerate(fans):
        stored(account, fan, n, text="好喝 //@粉丝0: 推荐", is_praise=True)
    few, many = _queries([f.pk for f in fans[:3]]), _queries([f.pk for f in fans])
    assert few == many <= 8  # the fans read under lock, four grouped reads, one bulk update, and a savepoint
    assert Fan.objects.get(screen_name="粉丝0").downstream_reposts == 30


def test_reasons_are_put_into_words_in_the_readers_language(demo):
    fan = zombie_fan()
    fan.verified, fan.verified_reason = True, "认证"
    score = scoring.profile_score(fan, now=NOW)
    fan.score_reasons = {**score.reasons, "loyalty": [["praise_days", {"n": 2}]], "bad": [["gone", {}], "x", []]}
    with translation.override("en"):
        english = scoring.reasons_text(fan)
    assert english["zombie"] == ["no avatar", "default-looking name", "0 posts", "follows 1500, followed by 3",
                                 "account 5 days old"]
    assert english["influence"] == ["3 followers", "verified 认证"]
    assert english["loyalty"] == ["praised the brand on 2 days"]
    assert english["bad"] == []  # reasons of an older version are skipped, never a crash
    with translation.override("zh-hans"):
        chinese = scoring.reasons_text(fan)
        expected = [str(scoring.REASON_TEXT["no_avatar"]), str(scoring.REASON_TEXT["praise_days"]) % {"n": 2}]
    assert chinese["zombie"][0] == expected[0] and chinese["loyalty"] == [expected[1]]


def hunter_fan(**extra) -> Fan:
    return Fan(uid="7700000203", screen_name="锦鲤附体1994", description="逢抽必转",
               avatar_url="https://tva1.example/u/7700000203.jpg", followers_count=120, friends_count=1800,
               statuses_count=52000, registered_at=NOW - timedelta(days=1500), profile_at=NOW, **extra)


def test_a_lottery_hunter_scores_every_reason_with_its_weight():
    score = scoring.profile_score(hunter_fan(lottery_posts=14, lottery_brands=5), now=NOW)
    assert score.hunter == 1.0  # 0.45 + 0.15 + 0.2 + 0.2
    assert score.reasons["hunter"] == [
        ["lottery_posts", {"n": 14, "d": 30}], ["lottery_brands", {"n": 5}], ["lottery_words", {"word": "锦鲤"}],
        ["following_many", {"n": 1800}],
    ]
    with translation.override("en"):
        assert scoring.reason_words(score.reasons["hunter"]) == [
            "14 lottery reposts in 30 days", "entered the draws of 5 brands", "“锦鲤” in the name or profile",
            "follows 1800 accounts"]


def test_the_profile_alone_never_makes_a_hunter_and_a_fan_seen_only_by_uid_gets_no_verdict():
    assert scoring.profile_score(hunter_fan(), now=NOW).hunter == 0.4  # words and following: below the threshold
    assert scoring.profile_score(hunter_fan(), now=NOW).hunter < scoring.HUNTER_THRESHOLD
    assert scoring.profile_score(hunter_fan(lottery_posts=5, lottery_brands=2), now=NOW).hunter == 0.62
    assert scoring.profile_score(normal_fan(), now=NOW).hunter == 0.0
    assert scoring.profile_score(Fan(uid="1", lottery_posts=30), now=NOW).hunter == 0.0


def test_rescoring_keeps_the_hunter_likelihood():
    fan = hunter_fan(lottery_posts=10, lottery_brands=3)
    fan.save()
    scoring.fans_rescore(fan_ids=[fan.pk])
    fan.refresh_from_db()
    assert fan.hunter == 1.0 and [r[0] for r in fan.score_reasons["hunter"]] == [
        "lottery_posts", "lottery_brands", "lottery_words", "following_many"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("writer", ["rescore", "profile"])
def test_a_score_written_meanwhile_by_another_worker_is_not_overwritten_with_a_stale_one(writer):
    """The harvest records an entrant's lottery posts while the inbox's ingest (or a profile refresh) scores
    the same fan: the second writer waits for the first and scores the row as it is, so the hunter score
    stays (it once went back to 0 with the lottery count still stored: the fan was then never checked again)."""
    import threading

    from django.db import transaction

    from fans.ingest import fans_upsert
    from fans.services import fans_lottery_record
    from weibo_ops.weibo.types import User as WeiboUser

    fan = normal_fan()
    fan.profile_at = NOW - timedelta(days=30)  # stale: the ingest refreshes the profile
    fan.save()
    recorded, release, done = threading.Event(), threading.Event(), threading.Event()

    def lottery():  # the harvest: lottery posts found, committed only once the other writer has started
        try:
            with transaction.atomic():
                fans_lottery_record(found={fan.pk: (14, 4)})
                recorded.set()
                release.wait(10)
        finally:
            connection.close()

    def other():
        try:
            if writer == "rescore":
                scoring.fans_rescore(fan_ids=[fan.pk])
            else:
                fans_upsert(users={fan.uid: WeiboUser(id=fan.uid, screen_name=fan.screen_name, friends_count=320,
                                                       followers_count=900, statuses_count=2401)})
            done.set()
        finally:
            connection.close()

    first = threading.Thread(target=lottery)
    first.start()
    assert recorded.wait(10)
    second = threading.Thread(target=other)
    second.start()
    assert not done.wait(0.5)  # it waits for the lottery record's transaction
    release.set()
    first.join(10)
    second.join(10)
    assert done.is_set()
    fan.refresh_from_db()
    assert (fan.lottery_posts, fan.lottery_brands) == (14, 4)
    assert fan.hunter == scoring.HUNTER_WEIGHTS["lottery_posts"] + scoring.HUNTER_WEIGHTS["lottery_brands"]
    assert [code for code, _v in fan.score_reasons["hunter"]] == ["lottery_posts", "lottery_brands"]
