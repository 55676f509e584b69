"""Services queue tasks by name once their transaction commits (CONVENTIONS 14), never before or on rollback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignState
from weibo_ops.celery import app
from weibo_ops.queue import enqueue_on_commit

pytestmark = [pytest.mark.embedded, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def due(demo):
    now = timezone.now()
    lead = demo.people["operator"]
    campaign = Campaign.objects.create(brand=demo.brand, title="到点开始", kind="repost_prize", lead=lead,
                                       created_by=lead, starts_at=now - timedelta(minutes=1),
                                       ends_at=now + timedelta(days=1))
    campaign.accounts.add(demo.accounts["鲜牧乳业"])
    return campaign


@pytest.fixture
def eager():
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_the_task_runs_after_the_commit_by_its_registered_name(due, eager):
    with transaction.atomic():
        enqueue_on_commit("campaigns.tick")
        assert Campaign.objects.get(pk=due.pk).state == CampaignState.PLANNING  # not before the commit
    assert Campaign.objects.get(pk=due.pk).state == CampaignState.LIVE


def test_nothing_is_queued_when_the_transaction_rolls_back(due, eager):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit("campaigns.tick")
        raise RuntimeError("the service failed")
    assert Campaign.objects.get(pk=due.pk).state == CampaignState.PLANNING
