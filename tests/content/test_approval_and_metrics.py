"""Approval as the playbooks say (any/all approvers, pillars without approval), near duplicates,
the calendar's plan and cadence, and metric snapshots read from the sandbox."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from content import metrics, publishing, selectors, services
from content.models import MetricSnapshot, Pillar, Post, PostState, PostTarget, TargetState
from positioning import services as positioning_services
from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from positioning.selectors import playbook_current
from positioning.weibo import account_client

pytestmark = pytest.mark.django_db
LINK = "https://xianmu.example.com/p/1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def pillar(demo):
    return services.pillar_create(brand=demo.brand, name="产品资讯", by=demo.people["manager"])


def _republish(demo, account, **changes):
    """A new playbook version for ``account`` with ``changes``."""
    current = playbook_current(account=account)
    fields = {name: getattr(current, name) for name in [
        "content_mix", "time_slots", "reply_within_hours", "interaction_rules", "escalation_rules",
        "forbidden_words", "approval_required", "approval_mode", "approval_target_minutes"]}
    approvers = changes.pop("approvers", list(current.approvers.all()))
    positioning_services.playbook_publish(account=account, by=demo.people["manager"], approvers=approvers,
                                          change_note="test", **(fields | changes))


def _submitted(demo, pillar, names=("鲜牧乳业",), at=None):
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"鲜奶到店 {LINK}",
                                accounts=[demo.accounts[n] for n in names])
    return services.post_schedule(post=post, at=at or timezone.now() + timedelta(hours=1),
                                  by=demo.people["operator"], ip="198.51.100.1")


def test_all_approvers_must_approve_when_the_playbook_says_all(demo, pillar):
    _republish(demo, demo.accounts["鲜牧乳业"], approval_mode="all",
               approvers=[demo.people["reviewer"], demo.people["pr"]])
    post = _submitted(demo, pillar)
    post = services.post_approve(post=post, by=demo.people["reviewer"], ip="198.51.100.2")
    assert post.state == PostState.IN_REVIEW
    assert PostTarget.objects.get().state == TargetState.WAITING
    [waiting] = [item for item in services.approval_plan(post) if not item.satisfied]
    assert [u.username for u in waiting.awaiting] == ["pr"]
    post = services.post_approve(post=post, by=demo.people["pr"], ip="198.51.100.3")
    assert post.state == PostState.APPROVED
    assert PostTarget.objects.get().state == TargetState.SCHEDULED


def test_someone_not_named_by_the_playbook_cannot_approve(demo, pillar):
    _republish(demo, demo.accounts["鲜牧乳业"], approvers=[demo.people["pr"]])
    post = _submitted(demo, pillar)
    with pytest.raises(PermissionDenied):
        services.post_approve(post=post, by=demo.people["reviewer"], ip="198.51.100.2")
    assert Post.objects.get(pk=post.pk).state == PostState.IN_REVIEW


def test_a_pillar_without_approval_goes_straight_to_the_schedule(demo):
    care = services.pillar_create(brand=demo.brand, name="客户关怀", needs_approval=False, by=demo.people["manager"])
    post = _submitted(demo, care)
    assert post.state == PostState.APPROVED
    assert PostTarget.objects.get().state == TargetState.SCHEDULED


def test_a_platform_rejection_keeps_the_post_editable_and_reschedulable(demo, pillar):
    post = _submitted(demo, pillar)
    services.post_approve(post=post, by=demo.people["reviewer"], ip="198.51.100.2")
    PostTarget.objects.update(state=TargetState.DUPLICATE, message="Weibo: repeated content")
    post = services.post_update(post=Post.objects.get(pk=post.pk), by=demo.people["operator"], pillar=pillar,
                                text=f"今早到店的低温鲜奶 {LINK}", accounts=[demo.accounts["鲜牧乳业"]])
    assert post.state == PostState.IN_REVIEW and post.version == 2
    post = services.post_approve(post=post, by=demo.people["reviewer"], ip="198.51.100.2")
    services.post_schedule(post=post, at=timezone.now() + timedelta(hours=2), by=demo.people["operator"],
                           ip="198.51.100.1")
    target = PostTarget.objects.get()
    assert (target.state, target.message) == (TargetState.SCHEDULED, "")
    assert list(post.revisions.values_list("version", flat=True)) == [1, 2]


def test_a_bad_picture_is_refused_and_a_good_one_is_kept(demo, pillar):
    from django.core.exceptions import ValidationError

    bad = SimpleUploadedFile("x.png", b"<svg></svg>")
    with pytest.raises(ValidationError) as caught:
        services.post_create(by=demo.people["operator"], pillar=pillar, text=f"图 {LINK}",
                             accounts=[demo.accounts["鲜牧乳业"]], image=bad)
    assert caught.value.message_dict["image"]
    assert not Post.objects.exists()
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"图 {LINK}",
                                accounts=[demo.accounts["鲜牧乳业"]], image=SimpleUploadedFile("milk.png", PNG))
    assert post.image.read() == PNG


def test_similar_post_finds_the_closest_recent_one_and_ignores_old_ones(demo, pillar):
    near = services.post_create(by=demo.people["operator"], pillar=pillar, accounts=[demo.accounts["鲜牧乳业"]],
                                text=f"牧场开放日报名开始，周六带孩子来看小牛 {LINK}")
    old = services.post_create(by=demo.people["operator"], pillar=pillar, accounts=[demo.accounts["鲜牧乳业"]],
                               text=f"冬季限定：热饮牛奶配方公开，快来试试 {LINK}")
    Post.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    found = selectors.similar_post(brand=demo.brand, text="牧场开放日报名开始啦！周六带孩子来看看小牛")
    assert found.post == near and 70 <= found.score < 100
    assert selectors.similar_post(brand=demo.brand, text="冬季限定：热饮牛奶配方公开，快来试试") is None
    assert selectors.similar_post(brand=demo.brand, text="全新包装的奶粉今天开售") is None


def test_calendar_counts_the_plan_and_cadence_counts_the_streak(demo, pillar):
    account = demo.accounts["鲜牧乳业"]  # playbook: 4 slots a day
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    author = demo.people["operator"]
    for days_ago in (1, 2, 3):  # three full days before today, one short day before them
        per_day = 4 if days_ago < 3 else 3
        for n in range(per_day):
            at = datetime.combine(today - timedelta(days=days_ago), time(8 + n), tzinfo=tz)
            post = Post.objects.create(brand=demo.brand, pillar=pillar, text=f"{days_ago}-{n} {LINK}",
                                       created_by=author, state=PostState.APPROVED)
            PostTarget.objects.create(post=post, account=account, scheduled_at=at, published_at=at,
                                      state=TargetState.PUBLISHED)
    [row] = [c for c in selectors.cadence(user=demo.people["manager"]) if c.account == account]
    assert (row.per_day, row.streak) == (4, 2)
    assert row.counts[-2:] == [(today - timedelta(days=1), 4), (today, 0)]
    [cal] = selectors.calendar(user=demo.people["manager"], start=today - timedelta(days=3), days=1, account=account)
    day = cal.days[0]
    assert (day.planned, day.done, day.short) == (4, 3, 1)
    assert sum(1 for slot in day.slots if slot.gap) >= 1


def test_metric_snapshots_are_read_in_batches_and_scheduled_less_often_as_posts_age(demo, weibo):
    brand, service = demo.accounts["鲜牧乳业"], demo.accounts["鲜牧客服"]
    connect_through_sandbox(brand, uid="5500000001", app_url="http://testserver")
    connect_through_sandbox(service, uid="5500000002", app_url="http://testserver")
    pillar = Pillar.objects.create(brand=demo.brand, name="产品")
    post = Post.objects.create(brand=demo.brand, pillar=pillar, text=f"鲜牧有机奶上新 {LINK}",
                               created_by=demo.people["operator"], state=PostState.APPROVED)
    now = timezone.now()
    target = PostTarget.objects.create(post=post, account=brand, state=TargetState.SCHEDULED, scheduled_at=now,
                                       next_attempt_at=now, rip="203.0.113.5")
    publishing.target_publish(target_id=target.pk)
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHED and target.metrics_next_at is not None
    other = account_client(account=service)  # another account reposts and comments: real traffic
    other.repost(target.mid, "转发支持", rip="203.0.113.9")
    other.comment(target.mid, "已经订了！", rip="203.0.113.9")

    assert metrics.metrics_collect(now=timezone.now()) == 0  # not due yet
    stored = metrics.metrics_collect(now=target.metrics_next_at + timedelta(seconds=1))
    target.refresh_from_db()
    assert stored == 1
    assert (target.reposts, target.comments) == (1, 1)
    snapshot = MetricSnapshot.objects.get()
    assert (snapshot.reposts, snapshot.comments) == (1, 1)
    # Young posts are read every 10 minutes; a day later daily; after 30 days never again.
    published = target.published_at
    assert metrics.next_reading(published, published + timedelta(minutes=30)) == published + timedelta(minutes=40)
    assert metrics.next_reading(published, published + timedelta(hours=2)) == published + timedelta(hours=2.5)
    assert metrics.next_reading(published, published + timedelta(days=2)) == published + timedelta(days=3)
    assert metrics.next_reading(published, published + timedelta(days=31)) is None


def test_metrics_ask_for_at_most_100_ids_per_call(demo, weibo):
    account = demo.accounts["鲜牧乳业"]
    connect_through_sandbox(account, uid="5500000001", app_url="http://testserver")
    pillar = Pillar.objects.create(brand=demo.brand, name="产品")
    now = timezone.now()
    for n in range(130):  # ids Weibo does not know are skipped; what matters is how they are asked
        post = Post.objects.create(brand=demo.brand, pillar=pillar, text=f"{n} {LINK}",
                                   created_by=demo.people["operator"], state=PostState.APPROVED)
        PostTarget.objects.create(post=post, account=account, state=TargetState.PUBLISHED, mid=str(4_900_000_000 + n),
                                  published_at=now - timedelta(hours=2), metrics_next_at=now - timedelta(minutes=1))
    metrics.metrics_collect(now=now)
    calls = [r for r in weibo.admin("GET", "/_sandbox/requests?limit=1000") if "statuses/count" in str(r)]
    assert len(calls) == 2
    assert PostTarget.objects.filter(metrics_next_at__gt=now).count() == 130  # rescheduled even when unknown


# --- nobody approves text they wrote (issue 14) ------------------------------------------------

def _rewrite(demo, pillar, post, by, text):
    return services.post_update(post=Post.objects.get(pk=post.pk), by=demo.people[by], pillar=pillar,
                                text=text, accounts=[demo.accounts["鲜牧乳业"]])


def test_an_approver_who_rewrote_someone_elses_draft_does_not_approve_it(english, demo, pillar):
    _republish(demo, demo.accounts["鲜牧乳业"], approvers=[demo.people["pr"], demo.people["reviewer"]])
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"鲜奶到店 {LINK}",
                                accounts=[demo.accounts["鲜牧乳业"]])
    post = _rewrite(demo, pillar, post, "pr", f"公关整篇改写的文案 {LINK}")  # still a draft
    assert (post.state, post.version, post.edited_by) == (PostState.DRAFT, 2, demo.people["pr"])
    assert list(post.revisions.values_list("version", "created_by__username", "text")) == [
        (1, "operator", f"鲜奶到店 {LINK}"), (2, "pr", f"公关整篇改写的文案 {LINK}")]
    post = services.post_submit(post=post, by=demo.people["operator"])
    with pytest.raises(PermissionDenied) as refused:
        services.post_approve(post=post, by=demo.people["pr"], ip="198.51.100.3")
    assert str(refused.value) == ("You wrote or edited this post's text; someone who wrote none of it reviews it "
                                  "(or a manager fast-tracks it).")
    assert Post.objects.get(pk=post.pk).state == PostState.IN_REVIEW
    assert not post.approvals.exists()
    assert [p.pk for p in selectors.review_queue(user=demo.people["pr"])] == []
    assert services.post_approve(post=post, by=demo.people["reviewer"], ip="198.51.100.2").state == PostState.APPROVED


def test_an_earlier_writer_does_not_approve_even_after_someone_rewrote_all_of_it(demo, pillar):
    _republish(demo, demo.accounts["鲜牧乳业"], approvers=[demo.people["pr"], demo.people["reviewer"]])
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"鲜奶到店 {LINK}",
                                accounts=[demo.accounts["鲜牧乳业"]])
    post = _rewrite(demo, pillar, post, "pr", f"公关改过的文案 {LINK}")
    post = _rewrite(demo, pillar, post, "operator", f"完全不同的一段新文字 {LINK}")
    assert post.edited_by == demo.people["operator"] and post.version == 3
    post = services.post_submit(post=post, by=demo.people["operator"])
    with pytest.raises(PermissionDenied):
        services.post_approve(post=post, by=demo.people["pr"], ip="198.51.100.3")
    assert Post.objects.get(pk=post.pk).state == PostState.IN_REVIEW


def test_a_manager_does_not_approve_their_own_post_and_fast_tracks_it_instead(demo, pillar):
    post = services.post_create(by=demo.people["manager"], pillar=pillar, text=f"鲜奶到店 {LINK}",
                                accounts=[demo.accounts["鲜牧乳业"]])
    post = services.post_submit(post=post, by=demo.people["manager"])
    with pytest.raises(PermissionDenied):
        services.post_approve(post=post, by=demo.people["manager"], ip="198.51.100.3")
    post = services.post_fast_track(post=post, by=demo.people["manager"], reason="声明必须马上发", ip="198.51.100.3")
    assert post.state == PostState.APPROVED and post.urgent
