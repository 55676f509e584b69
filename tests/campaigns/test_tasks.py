"""Campaigns' Celery entry points and the clock, on the embedded defaults too (SQLite, the filesystem broker):
they take ids, call one service, and queue their work only once the transaction commits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns import tasks
from campaigns.harvest import harvests_due
from campaigns.models import CampaignState, Entry, Harvest

from .sandbox import campaign_with_post, connect, lottery, publish

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]


def test_beat_polls_the_due_harvests_through_tasks_that_take_ids(demo, weibo, settings,
                                                                   django_capture_on_commit_callbacks):
    mid = publish(weibo)
    campaign = campaign_with_post(demo, connect(demo), mid)
    lottery(weibo, mid, size=20)
    assert settings.CELERY_BEAT_SCHEDULE["campaigns-harvest"]["task"] == tasks.HARVESTS_TASK
    with django_capture_on_commit_callbacks() as queued:
        assert tasks.harvests_poll() == 1  # the published post got its cursor and is due
    assert len(queued) == 1  # one poll task, sent once the transaction commits
    [cursor] = Harvest.objects.filter(campaign=campaign)
    assert tasks.harvest_poll(cursor.pk) == Entry.objects.count() > 0
    assert harvests_due() == []  # polled: next time after CAMPAIGNS_HARVEST_SECONDS
    assert tasks.harvest_sources_sync(campaign.pk) == 1 and tasks.harvest_sources_sync(999_999) == 0


def test_the_clock_is_one_beat_task(demo, settings):
    from campaigns import services

    assert settings.CELERY_BEAT_SCHEDULE["campaigns-tick"]["task"] == tasks.TICK_TASK
    now = timezone.now()
    campaign = services.campaign_create(brand=demo.brand, by=demo.people["operator"], title="到点开始",
                                        kind="repost_prize", lead=demo.people["operator"],
                                        accounts=[demo.accounts["鲜牧乳业"]], starts_at=now - timedelta(minutes=1),
                                        ends_at=now + timedelta(days=1))
    assert tasks.tick() == {"started": 1, "overdue": 0, "pin_reminders": 0}
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.LIVE
