"""The content pages: composer with live checks, review queue, post page, calendar, pillars."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from content import selectors, services
from content.models import Approval, Decision, Post, PostState, PostTarget, TargetState

pytestmark = pytest.mark.django_db
LINK = "https://xianmu.example.com/p/1"


@pytest.fixture
def pillar(demo):
    return services.pillar_create(brand=demo.brand, name="产品资讯", by=demo.people["manager"])


def _local(at):
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


def compose(client, demo, pillar, text, names=("鲜牧乳业", "鲜牧酸奶"), intent="save", at=None, **extra):
    data = {"text": text, "accounts": [demo.accounts[n].pk for n in names], "pillar": pillar.pk,
            "is_original": "on", "intent": intent, **extra}
    if at:
        data["scheduled_at"] = _local(at)
    return client.post(reverse("content:compose"), data)


def test_the_composer_saves_a_draft_for_two_accounts(demo, login, pillar):
    client = login(demo.people["operator"])
    assert client.get(reverse("content:compose")).status_code == 200
    response = compose(client, demo, pillar, f"鲜牧低温鲜奶今日到店 {LINK}")
    post = Post.objects.get()
    assert response.status_code == 302 and response.url == reverse("content:post", args=[post.pk])
    assert post.state == PostState.DRAFT
    assert sorted(post.targets.values_list("account__name", flat=True)) == ["鲜牧乳业", "鲜牧酸奶"]


def test_the_composer_refuses_bad_text_in_the_page_and_saves_nothing(demo, login, pillar):
    client = login(demo.people["operator"], language="en")
    with translation.override("en"):
        response = compose(client, demo, pillar, "没有链接", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert not Post.objects.exists()


def test_an_account_the_person_may_not_draft_on_is_not_offered(demo, login, pillar):
    client = login(demo.people["operator"])
    response = compose(client, demo, pillar, f"上新 {LINK}", names=("鲜牧华东",))
    assert response.status_code == 400
    assert not Post.objects.exists()


def test_live_checks_show_length_rules_forbidden_words_and_the_closest_post(demo, login, pillar):
    earlier = services.post_create(by=demo.people["operator"], pillar=pillar,
                                   text=f"鲜牧希腊酸奶上新，高蛋白低糖，早餐搭配燕麦刚刚好 {LINK}",
                                   accounts=[demo.accounts["鲜牧乳业"]])
    client = login(demo.people["operator"], language="en")
    account = demo.accounts["鲜牧乳业"]
    with translation.override("en"):
        page = client.post(reverse("content:check"), {
            "text": "鲜牧希腊酸奶上新！高蛋白低糖，早餐配燕麦刚刚好 最好", "accounts": [account.pk],
        }, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "of 140 Weibo characters" in page
    assert "safe domain" in page or "xianmu.example.com" in page  # no link on the safe domain
    assert "最好" in page  # the playbook's forbidden word
    assert "% similar" in page and reverse("content:post", args=[earlier.pk]) in page
    with translation.override("en"):
        page = client.post(reverse("content:check"), {
            "text": f"牧场开放日报名开始，周六带孩子来看小牛 {LINK}", "accounts": [account.pk],
        }, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No similar post in the last 30 days" in page


def test_submitting_with_a_slot_puts_it_in_the_review_queue_and_one_click_approves_it(demo, login, pillar):
    at = timezone.now() + timedelta(hours=2)
    operator = login(demo.people["operator"])
    compose(operator, demo, pillar, f"鲜牧低温鲜奶今日到店 {LINK}", intent="submit", at=at)
    post = Post.objects.get()
    assert post.state == PostState.IN_REVIEW
    assert set(post.targets.values_list("state", flat=True)) == {TargetState.WAITING}

    reviewer = login(demo.people["reviewer"])
    queue = reviewer.get(reverse("content:queue")).content.decode()
    assert "鲜牧低温鲜奶今日到店" in queue
    response = reviewer.post(reverse("content:post_review", args=[post.pk]), {"decision": "approve"},
                             HTTP_HX_REQUEST="true", REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 200 and f'id="q-{post.pk}"' not in response.content.decode()
    post.refresh_from_db()
    assert post.state == PostState.APPROVED
    targets = list(post.targets.all())
    assert {t.state for t in targets} == {TargetState.SCHEDULED}
    assert {t.rip for t in targets} == {"198.51.100.7"}
    assert abs(targets[0].scheduled_at - at) < timedelta(minutes=1)


def test_a_rejection_needs_a_comment_and_reaches_the_author(demo, login, pillar):
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"上新 {LINK}",
                                accounts=[demo.accounts["鲜牧乳业"]])
    services.post_submit(post=post, by=demo.people["operator"])
    reviewer = login(demo.people["reviewer"])
    reviewer.post(reverse("content:post_review", args=[post.pk]), {"decision": "reject"})
    assert Post.objects.get(pk=post.pk).state == PostState.IN_REVIEW  # no comment: refused
    reviewer.post(reverse("content:post_review", args=[post.pk]), {"decision": "reject", "comment": "换个开头"})
    post.refresh_from_db()
    assert post.state == PostState.REJECTED and post.review_comment == "换个开头"
    page = login(demo.people["operator"]).get(reverse("content:post", args=[post.pk])).content.decode()
    assert "换个开头" in page


def test_editing_an_approved_post_sends_it_back_with_a_diff(demo, login, pillar):
    at = timezone.now() + timedelta(hours=3)
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"鲜奶到店 {LINK}",
                                accounts=[demo.accounts["鲜牧乳业"]])
    services.post_schedule(post=post, at=at, by=demo.people["operator"], ip="198.51.100.1")
    services.post_approve(post=post, by=demo.people["reviewer"], ip="198.51.100.2")
    client = login(demo.people["operator"])
    client.post(reverse("content:post_edit", args=[post.pk]), {
        "text": f"低温鲜奶今早到店 {LINK}", "accounts": [demo.accounts["鲜牧乳业"].pk], "pillar": pillar.pk,
        "is_original": "on", "intent": "save", "scheduled_at": _local(at)})
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW and post.version == 2
    assert post.targets.get().state == TargetState.WAITING
    queue = login(demo.people["reviewer"]).get(reverse("content:queue")).content.decode()
    assert "<ins" in queue and "今早" in queue


def test_a_manager_fast_tracks_with_the_override_recorded(demo, login, pillar):
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"致歉声明 {LINK}",
                                accounts=[demo.accounts["鲜牧乳业"]])
    services.post_schedule(post=post, at=timezone.now() + timedelta(minutes=5), by=demo.people["operator"],
                           ip="198.51.100.1")
    login(demo.people["operator"]).post(reverse("content:post_fast_track", args=[post.pk]), {"reason": "危机"})
    assert Post.objects.get(pk=post.pk).state == PostState.IN_REVIEW  # not a manager
    login(demo.people["manager"]).post(reverse("content:post_fast_track", args=[post.pk]),
                                       {"reason": "产品质量危机，统一口径"})
    post.refresh_from_db()
    assert post.state == PostState.APPROVED and post.urgent
    override = Approval.objects.get(post=post)
    assert override.decision == Decision.FAST_TRACKED and override.comment == "产品质量危机，统一口径"
    assert post.targets.get().state == TargetState.SCHEDULED


def test_scheduling_in_the_past_is_refused_with_the_reason(demo, login, pillar):
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"上新 {LINK}",
                                accounts=[demo.accounts["鲜牧乳业"]])
    client = login(demo.people["operator"], language="en")
    with translation.override("en"):
        response = client.post(reverse("content:post_schedule", args=[post.pk]),
                               {"scheduled_at": _local(timezone.now() - timedelta(hours=1))}, follow=True,
                               HTTP_ACCEPT_LANGUAGE="en")
    assert "That time has passed" in response.content.decode()
    assert PostTarget.objects.get().scheduled_at is None


def test_calendar_shows_slots_posts_and_gaps_and_moves_a_draft(demo, login, pillar):
    today = timezone.localdate()
    tomorrow_slot = timezone.make_aware(timezone.datetime.combine(today + timedelta(days=1),
                                                                  timezone.datetime.min.time())) + timedelta(hours=12)
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"鲜奶到店 {LINK}",
                                accounts=[demo.accounts["鲜牧乳业"]])
    services.post_schedule(post=post, at=tomorrow_slot, by=demo.people["operator"], ip="198.51.100.1")
    client = login(demo.people["operator"])
    page = client.get(reverse("content:calendar"), {"start": str(today + timedelta(days=1))}).content.decode()
    assert "鲜奶到店" in page and "12:00" in page
    assert 'class="slot gap' in page  # the other slots of the plan are gaps
    assert "鲜牧华东" not in page  # no access
    month = client.get(reverse("content:calendar"), {"view": "month"}).status_code
    assert month == 200
    target = post.targets.get()
    later = tomorrow_slot + timedelta(hours=5, minutes=30)
    response = client.post(reverse("content:target_move", args=[target.pk]), {"scheduled_at": _local(later)},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    target.refresh_from_db()
    assert target.scheduled_at == later


def test_pages_of_posts_on_other_accounts_are_404(demo, login, pillar):
    post = services.post_create(by=demo.people["manager"], pillar=pillar, text=f"华东门店 {LINK}",
                                accounts=[demo.accounts["鲜牧华东"]])
    client = login(demo.people["operator"])
    assert client.get(reverse("content:post", args=[post.pk])).status_code == 404
    assert client.post(reverse("content:post_submit", args=[post.pk])).status_code == 404


def test_post_text_is_escaped_everywhere(demo, login, pillar):
    text = f"<script>alert(1)</script> {LINK}"
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=text,
                                accounts=[demo.accounts["鲜牧乳业"]])
    services.post_submit(post=post, by=demo.people["operator"])
    for url in [reverse("content:post", args=[post.pk]), reverse("content:posts"), reverse("content:queue")]:
        page = login(demo.people["manager"]).get(url).content.decode()
        assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_post_list_queries_do_not_grow_with_posts(demo, login, pillar, django_assert_max_num_queries):
    client = login(demo.people["manager"])
    for n in range(25):
        services.post_create(by=demo.people["operator"], pillar=pillar, text=f"第{n}条 {LINK}",
                             accounts=[demo.accounts["鲜牧乳业"], demo.accounts["鲜牧酸奶"]])
    with django_assert_max_num_queries(12):
        assert client.get(reverse("content:posts")).status_code == 200


def test_only_managers_add_pillars(demo, login):
    operator = login(demo.people["operator"])
    operator.post(reverse("content:pillars"), {"brand": demo.brand.pk, "name": "新品", "colour": "#112233"})
    manager = login(demo.people["manager"])
    response = manager.post(reverse("content:pillars"), {"brand": demo.brand.pk, "name": "新品",
                                                          "colour": "#112233", "needs_approval": "on",
                                                          "is_active": "on"})
    assert response.status_code == 302
    assert list(demo.brand.pillars.values_list("name", flat=True)) == ["新品"]


def test_the_dashboard_counts_what_waits_for_review_and_todays_plan(demo, login, pillar):
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"上新 {LINK}",
                                accounts=[demo.accounts["鲜牧乳业"]])
    services.post_schedule(post=post, at=timezone.now() + timedelta(minutes=30), by=demo.people["operator"],
                           ip="198.51.100.1")
    from content.selectors import content_today

    today = content_today(user=demo.people["reviewer"])
    assert (today.to_review, today.sent_back) == (1, 0)
    assert content_today(user=demo.people["operator"]).to_review == 0  # not their own
    # 鲜牧乳业 plans 4 a day and 鲜牧客服 2; the reviewer sees 鲜牧乳业 and 鲜牧酸奶 (no playbook).
    assert today.planned == 4
    page = login(demo.people["reviewer"], language="en").get(reverse("reports:dashboard"))
    assert "1 post waits for your review" in page.content.decode()


def test_a_slot_typed_as_0900_is_0900_in_shanghai_stored_as_utc(demo, login, pillar):
    from datetime import UTC, datetime

    day = timezone.localdate() + timedelta(days=2)
    client = login(demo.people["operator"])
    client.post(reverse("content:compose"), {
        "text": f"早安，鲜奶到家 {LINK}", "accounts": [demo.accounts["鲜牧乳业"].pk], "pillar": pillar.pk,
        "is_original": "on", "intent": "submit", "scheduled_at": f"{day:%Y-%m-%d}T09:00"})
    target = PostTarget.objects.get()
    assert target.scheduled_at == datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 09:00 +08:00
    page = client.get(reverse("content:post", args=[target.post_id])).content.decode()
    assert f"{day:%Y-%m-%d} 09:00" in page


def test_calendar_and_queue_queries_do_not_grow_with_posts(demo, login, pillar, django_assert_max_num_queries):
    def add(n):
        for i in range(n):
            post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"第{i}号 {LINK}{i}",
                                        accounts=[demo.accounts["鲜牧乳业"], demo.accounts["鲜牧酸奶"]])
            services.post_schedule(post=post, at=timezone.now() + timedelta(hours=1, minutes=i),
                                   by=demo.people["operator"], ip="198.51.100.1")

    reviewer = login(demo.people["reviewer"])
    add(3)
    with django_assert_max_num_queries(30) as few:
        reviewer.get(reverse("content:queue"))
        reviewer.get(reverse("content:calendar"))
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert reviewer.get(reverse("content:queue")).status_code == 200
        assert reviewer.get(reverse("content:calendar")).status_code == 200


def test_a_post_out_on_every_account_offers_no_schedule_or_publish_now(demo, login, pillar):
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"已发出 {LINK}",
                                accounts=[demo.accounts["鲜牧乳业"]])
    Post.objects.filter(pk=post.pk).update(state=PostState.APPROVED)
    client = login(demo.people["operator"])
    assert reverse("content:post_publish_now", args=[post.pk]) in client.get(
        reverse("content:post", args=[post.pk])).content.decode()
    PostTarget.objects.update(state=TargetState.PUBLISHED, mid="4900000000000001")
    page = client.get(reverse("content:post", args=[post.pk])).content.decode()
    assert reverse("content:post_publish_now", args=[post.pk]) not in page
    assert reverse("content:post_schedule", args=[post.pk]) not in page


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00+08:00"])
def test_a_far_time_in_the_composer_link_is_dropped(demo, login, at):
    response = login(demo.people["operator"]).get(reverse("content:compose"), {"at": at})
    assert response.status_code == 200
    assert response.context["form"]["scheduled_at"].value() is None


def test_the_page_offers_no_approve_button_to_someone_who_edited_the_draft(demo, login, pillar):
    from positioning.models import AccountMember

    AccountMember.objects.filter(account=demo.accounts["鲜牧乳业"], user=demo.people["reviewer"]).update(
        can_draft=True)
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"上新 {LINK}",
                                accounts=[demo.accounts["鲜牧乳业"]])
    reviewer = login(demo.people["reviewer"], language="en")
    reviewer.post(reverse("content:post_edit", args=[post.pk]), {
        "text": f"审核员改写的上新文案 {LINK}", "accounts": [demo.accounts["鲜牧乳业"].pk], "pillar": pillar.pk,
        "is_original": "on", "intent": "save"})
    assert Post.objects.get(pk=post.pk).edited_by == demo.people["reviewer"]
    services.post_submit(post=post, by=demo.people["operator"])
    with translation.override("en"):
        page = reviewer.get(reverse("content:post", args=[post.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'value="approve"' not in page
        assert "You wrote or edited this post's text; someone who wrote none of it reviews it" in page
        response = reviewer.post(reverse("content:post_review", args=[post.pk]), {"decision": "approve"},
                                 HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "You wrote or edited this post&#x27;s text" in response.content.decode()
    assert Post.objects.get(pk=post.pk).state == PostState.IN_REVIEW
    assert not Approval.objects.exists()


def _on_two_accounts(demo, pillar):
    """A post of the operator on 鲜牧乳业 and 鲜牧酸奶, in review; 酸奶's target has its own text, a
    slot and an error. ``pr`` sees 鲜牧乳业 only (and may approve there)."""
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=f"两个号的新品 {LINK}",
                                accounts=[demo.accounts["鲜牧乳业"], demo.accounts["鲜牧酸奶"]],
                                variants={demo.accounts["鲜牧酸奶"].pk: f"酸奶号内部文案 {LINK}"})
    services.post_submit(post=post, by=demo.people["operator"])
    post.targets.filter(account=demo.accounts["鲜牧酸奶"]).update(
        scheduled_at=timezone.now() + timedelta(days=3), state=TargetState.FAILED, message="酸奶号的失败原因")
    return post


def test_post_list_and_queue_show_only_the_accounts_the_person_sees(demo, login, pillar):
    _on_two_accounts(demo, pillar)
    pr = login(demo.people["pr"])
    for url in [reverse("content:posts"), reverse("content:queue")]:
        page = pr.get(url).content.decode()
        assert "两个号的新品" in page
        assert "鲜牧乳业" in page
        assert "鲜牧酸奶" not in page and "酸奶号内部文案" not in page and "酸奶号的失败原因" not in page
        assert "state-failed" not in page
    items = selectors.review_queue(user=demo.people["pr"])
    assert [[t.account.name for t in item.post.targets.all()] for item in items] == [["鲜牧乳业"]]
    assert [[a.account.name for a in item.awaiting] for item in items] == [["鲜牧乳业"]]
    # Someone who sees both accounts still sees both.
    both = login(demo.people["reviewer"]).get(reverse("content:posts")).content.decode()
    assert "鲜牧酸奶" in both and "state-failed" in both
