"""Drafting, scheduling and approving posts: every refusal says why and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from content import services
from content.models import Post, PostState, PostTarget, TargetState

pytestmark = pytest.mark.embedded  # row locks and on-commit queuing

LINK = "https://xianmu.example.com/p/1"


@pytest.fixture
def pillar(demo):
    return services.pillar_create(brand=demo.brand, name="产品", by=demo.people["manager"])


def draft(demo, pillar, text=f"鲜牧希腊酸奶上新 {LINK}", names=("鲜牧乳业",), by="operator"):
    return services.post_create(by=demo.people[by], pillar=pillar, text=text,
                                accounts=[demo.accounts[n] for n in names])


def test_a_draft_for_two_accounts_has_a_target_on_each(demo, pillar):
    post = draft(demo, pillar, names=("鲜牧乳业", "鲜牧酸奶"))
    assert post.state == PostState.DRAFT
    assert sorted(post.targets.values_list("account__name", flat=True)) == ["鲜牧乳业", "鲜牧酸奶"]


@pytest.mark.parametrize(("text", "field_message"), [
    ("", "empty"),
    ("鲜" * 141 + LINK, "151"),  # 141 and 10 for the link
    ("没有链接的文字", "safe domain"),
    (f"#早餐# {LINK}", "#topics#"),
])
def test_bad_text_is_refused_with_the_reason_and_nothing_is_saved(demo, pillar, text, field_message):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as caught:
        draft(demo, pillar, text=text)
    assert field_message in " ".join(caught.value.message_dict["text"])
    assert not Post.objects.exists()


def test_the_playbooks_forbidden_words_are_refused(demo, pillar):
    from positioning.selectors import playbook_current

    words = playbook_current(account=demo.accounts["鲜牧乳业"]).forbidden_words
    assert words, "the demo playbook has forbidden words"
    with pytest.raises(ValidationError) as caught:
        draft(demo, pillar, text=f"{words[0]} {LINK}")
    assert words[0] in " ".join(caught.value.message_dict["text"])


def test_drafting_needs_the_draft_permission_on_every_account(demo, pillar):
    with pytest.raises(PermissionDenied):
        draft(demo, pillar, names=("鲜牧乳业", "鲜牧华东"))  # the operator has no grant on 鲜牧华东
    assert not Post.objects.exists()


def test_scheduling_in_the_past_is_refused(demo, pillar):
    post = draft(demo, pillar)
    with pytest.raises(ValidationError) as caught:
        services.post_schedule(post=post, at=timezone.now() - timedelta(hours=1), by=demo.people["operator"],
                               ip="203.0.113.1")
    assert "scheduled_at" in caught.value.message_dict
    assert PostTarget.objects.get().state == TargetState.WAITING


def test_a_post_needing_approval_waits_then_goes_with_the_approvers_ip(demo, pillar):
    post = draft(demo, pillar)
    at = timezone.now() + timedelta(hours=2)
    post = services.post_schedule(post=post, at=at, by=demo.people["operator"], ip="203.0.113.1")
    target = PostTarget.objects.get()
    assert target.state == TargetState.WAITING and post.state == PostState.IN_REVIEW
    with pytest.raises(PermissionDenied):
        services.post_approve(post=post, by=demo.people["operator"], ip="203.0.113.1")  # not their own
    services.post_approve(post=post, by=demo.people["reviewer"], ip="198.51.100.7", comment="好")
    target.refresh_from_db()
    assert (target.state, target.rip, target.next_attempt_at) == (TargetState.SCHEDULED, "198.51.100.7", at)
