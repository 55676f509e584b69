"""The paths an independent review found: nothing goes out unapproved, twice, early or by someone
who may not publish; nothing another team may not see leaks; bad input never 500s."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from content import publishing, services
from content.models import Post, PostState, PostTarget, TargetState
from positioning.management.commands.weibo_sandbox import connect_through_sandbox
from positioning.models import AccountMember

pytestmark = pytest.mark.django_db
LINK = "https://xianmu.example.com/p/1"


@pytest.fixture
def pillar(demo):
    return services.pillar_create(brand=demo.brand, name="产品资讯", by=demo.people["manager"])


def approved(demo, pillar, at=None, text=f"鲜奶到店 {LINK}", names=("鲜牧乳业",)):
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=text,
                                accounts=[demo.accounts[n] for n in names])
    post = services.post_schedule(post=post, at=at or timezone.now() + timedelta(hours=1),
                                  by=demo.people["operator"], ip="198.51.100.1")
    return services.post_approve(post=post, by=demo.people["reviewer"], ip="198.51.100.2")


def test_a_target_queued_before_its_post_went_back_to_review_is_not_published(demo, pillar, weibo):
    connect_through_sandbox(demo.accounts["鲜牧乳业"], uid="5500000001", app_url="http://testserver")
    post = approved(demo, pillar)
    target = post.targets.get()
    PostTarget.objects.filter(pk=target.pk).update(next_attempt_at=timezone.now())  # due, and queued
    Post.objects.filter(pk=post.pk).update(state=PostState.REJECTED)  # a reviewer changes their mind
    publishing.target_publish(target_id=target.pk)
    target.refresh_from_db()
    assert target.state == TargetState.WAITING and not target.mid


def test_a_paused_target_of_a_post_sent_back_waits_after_reconnection(demo, pillar, weibo):
    account = demo.accounts["鲜牧乳业"]
    connect_through_sandbox(account, uid="5500000001", app_url="http://testserver")
    post = approved(demo, pillar)
    PostTarget.objects.update(state=TargetState.NEEDS_REAUTH)
    services.post_update(post=Post.objects.get(pk=post.pk), by=demo.people["operator"], pillar=pillar,
                         text=f"改过的文案 {LINK}", accounts=[account])
    assert PostTarget.objects.get().state == TargetState.WAITING  # back to review takes the paused one too
    PostTarget.objects.update(state=TargetState.NEEDS_REAUTH)  # even if it were still paused
    publishing.targets_resume()
    assert PostTarget.objects.get().state == TargetState.WAITING


def test_a_resumed_target_keeps_a_slot_that_is_still_ahead(demo, pillar, weibo):
    account = demo.accounts["鲜牧乳业"]
    connect_through_sandbox(account, uid="5500000001", app_url="http://testserver")
    at = timezone.now() + timedelta(days=1)
    approved(demo, pillar, at=at)
    PostTarget.objects.update(state=TargetState.NEEDS_REAUTH)
    publishing.targets_resume()
    target = PostTarget.objects.get()
    assert (target.state, target.next_attempt_at) == (TargetState.SCHEDULED, at)  # not "now"


def test_a_post_weibo_may_hold_cannot_be_edited_until_confirmed(demo, pillar):
    post = approved(demo, pillar)
    PostTarget.objects.update(state=TargetState.NEEDS_REAUTH, needs_lookup=True)
    with pytest.raises(ValidationError):
        services.post_update(post=Post.objects.get(pk=post.pk), by=demo.people["operator"], pillar=pillar,
                             text=f"改过的文案 {LINK}", accounts=[demo.accounts["鲜牧乳业"]])
    assert Post.objects.get(pk=post.pk).text == f"鲜奶到店 {LINK}"


def test_pacing_never_undoes_a_move_made_meanwhile(demo, pillar, settings):
    settings.CONTENT_POSTS_PER_MINUTE = 1
    account = demo.accounts["鲜牧乳业"]
    first = approved(demo, pillar, text=f"早安鲜奶 {LINK}").targets.get()
    second = approved(demo, pillar, text=f"午后酸奶 {LINK}").targets.get()
    now = timezone.now()
    PostTarget.objects.update(next_attempt_at=now, scheduled_at=now)
    second_due = PostTarget.objects.get(pk=second.pk).next_attempt_at
    later = now + timedelta(hours=6)
    # The person moves the second post between the dispatcher's read and its write.
    original = PostTarget.objects.filter

    def moved_meanwhile(*args, **kwargs):
        if kwargs.get("next_attempt_at") == second_due and "pk__in" in kwargs:
            original(pk=second.pk).update(next_attempt_at=later, scheduled_at=later)
        return original(*args, **kwargs)

    PostTarget.objects.filter = moved_meanwhile
    try:
        queued = publishing.targets_dispatch(now=now)
    finally:
        PostTarget.objects.filter = original
    assert [q.target_id for q in queued] == [first.pk]
    second.refresh_from_db()
    assert second.next_attempt_at == later
    assert account.pk == second.account_id


def test_scheduling_again_does_not_revive_a_cancelled_account(demo, pillar):
    post = approved(demo, pillar, names=("鲜牧乳业", "鲜牧酸奶"))
    cancelled = post.targets.get(account=demo.accounts["鲜牧酸奶"])
    services.target_cancel(target=cancelled, by=demo.people["operator"])
    services.post_schedule(post=post, at=timezone.now() + timedelta(hours=3), by=demo.people["operator"],
                           ip="198.51.100.1")
    cancelled.refresh_from_db()
    assert cancelled.state == TargetState.CANCELLED


def test_whoever_wrote_the_current_version_does_not_approve_it(demo, pillar):
    post = approved(demo, pillar)
    pr = demo.people["pr"]  # may draft and approve on 鲜牧乳业
    post = services.post_update(post=Post.objects.get(pk=post.pk), by=pr, pillar=pillar,
                                text=f"公关改过的文案 {LINK}", accounts=[demo.accounts["鲜牧乳业"]])
    assert post.state == PostState.IN_REVIEW and post.edited_by == pr
    with pytest.raises(PermissionDenied):
        services.post_approve(post=post, by=pr, ip="198.51.100.3")


def test_moving_a_waiting_target_of_an_approved_post_schedules_it_and_needs_publish(demo, pillar):
    post = approved(demo, pillar, names=("鲜牧乳业",))
    target = post.targets.get()
    PostTarget.objects.filter(pk=target.pk).update(state=TargetState.WAITING, scheduled_at=None)
    at = timezone.now() + timedelta(hours=4)
    services.target_move(target=target, at=at, by=demo.people["operator"])
    target.refresh_from_db()
    assert (target.state, target.next_attempt_at) == (TargetState.SCHEDULED, at)
    AccountMember.objects.filter(user=demo.people["operator"], account=target.account).update(can_publish=False)
    operator = type(demo.people["operator"]).objects.get(pk=demo.people["operator"].pk)
    with pytest.raises(PermissionDenied):
        services.target_move(target=target, at=at + timedelta(hours=1), by=operator)


def test_the_calendar_answers_impossible_dates_without_an_error(demo, login):
    client = login(demo.people["operator"])
    for start in ["2025-02-30", "9999-12-31", "not-a-date"]:
        assert client.get(reverse("content:calendar"), {"start": start, "view": "month"}).status_code == 200
    assert client.get(reverse("content:calendar"), {"account": "x"}).status_code == 404


def test_a_close_post_on_an_account_the_person_cannot_see_shows_its_score_not_its_words(demo, login, pillar):
    services.post_create(by=demo.people["manager"], pillar=pillar, accounts=[demo.accounts["鲜牧华东"]],
                         text=f"华东门店周末买一送一，限时三天 {LINK}")
    page = login(demo.people["operator"]).post(reverse("content:check"), {
        "text": "华东门店周末买一送一！限时三天", "accounts": [demo.accounts["鲜牧乳业"].pk]}).content.decode()
    assert "similar" in page or "相似" in page
    assert "限时三天 https" not in page


def test_an_uploaded_picture_is_stored_under_a_random_name_of_its_real_type(demo, pillar, login):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"图 {LINK}",
                                accounts=[demo.accounts["鲜牧乳业"]], image=SimpleUploadedFile("evil.html", png))
    assert post.image.name.endswith(".png") and "evil" not in post.image.name
    response = login(demo.people["operator"]).get(reverse("content:post_image", args=[post.pk]))
    assert response["Content-Type"] == "image/png"


def test_next_cannot_send_people_off_site(demo, login, pillar):
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"上新 {LINK}",
                                accounts=[demo.accounts["鲜牧乳业"]])
    response = login(demo.people["operator"]).post(reverse("content:post_submit", args=[post.pk]),
                                                   {"next": "https://evil.example/"})
    assert response.url == reverse("content:post", args=[post.pk])
