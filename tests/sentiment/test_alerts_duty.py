"""A crisis alert goes first to the PR person on monitoring duty for the brand's accounts (issue 17)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from positioning import roster
from sentiment import alerts
from sentiment.models import RuleGroup
from team.models import Duty, Notice

from .test_alerts import WIDTH, store

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return alerts.bucket_of(timezone.now(), WIDTH) + timedelta(minutes=5)


def told_in_order() -> list[str]:
    return list(Notice.objects.filter(kind="sentiment_alert").order_by("id").values_list("recipient__username",
                                                                                         flat=True))


def test_without_anyone_on_duty_the_usual_order(demo, now):
    group = RuleGroup.objects.create(brand=demo.brand, name="鲜牧牛奶", include_terms=["鲜牧"])
    alerts.alerts_check(brand=demo.brand, mentions=store(demo.brand, 12, now - timedelta(minutes=4), groups=[group]),
                        now=now)
    assert told_in_order() == ["admin", "manager", "pr"]


def test_the_pr_person_on_monitoring_duty_is_told_first(demo, now):
    group = RuleGroup.objects.create(brand=demo.brand, name="鲜牧牛奶", include_terms=["鲜牧"])
    real_now = timezone.now()
    roster.shift_create(account=demo.accounts["鲜牧华东"], person=demo.people["pr"], duty=Duty.MONITORING,
                        starts_at=real_now - timedelta(hours=1), ends_at=real_now + timedelta(hours=1),
                        by=demo.people["manager"])
    alerts.alerts_check(brand=demo.brand, mentions=store(demo.brand, 12, now - timedelta(minutes=4), groups=[group]),
                        now=now)
    assert told_in_order() == ["pr", "admin", "manager"]


def test_pr_on_duty_only_counts_while_the_shift_runs(demo):
    real_now = timezone.now()
    roster.shift_create(account=demo.accounts["鲜牧乳业"], person=demo.people["pr"], duty=Duty.MONITORING,
                        starts_at=real_now - timedelta(hours=3), ends_at=real_now - timedelta(hours=1),
                        by=demo.people["manager"])
    # An operator monitoring is on duty but not PR: the alert's PR-first rule does not pick them.
    roster.shift_create(account=demo.accounts["鲜牧乳业"], person=demo.people["operator"], duty=Duty.MONITORING,
                        starts_at=real_now - timedelta(hours=1), ends_at=real_now + timedelta(hours=1),
                        by=demo.people["manager"])
    assert alerts.pr_on_duty(demo.brand) == []


def test_an_incident_escalated_to_pr_tells_the_pr_person_on_duty_first(demo, now):
    from django.utils import translation

    from positioning.models import AccountMember
    from sentiment import incidents
    from team.models import Role, User

    # A second PR person, on monitoring duty for 鲜牧华东 now; the demo's PR person (created first) is not.
    second = User.objects.create(username="pr2", display_name="钱多（公关专员）", role=Role.PR)
    AccountMember.objects.create(account=demo.accounts["鲜牧华东"], user=second)
    real_now = timezone.now()
    roster.shift_create(account=demo.accounts["鲜牧华东"], person=second, duty=Duty.MONITORING,
                        starts_at=real_now - timedelta(hours=1), ends_at=real_now + timedelta(hours=1),
                        by=demo.people["manager"])
    [mention] = store(demo.brand, 1, now - timedelta(minutes=3), followers=800)
    with translation.override("en"):
        incident = incidents.incident_open(brand=demo.brand, by=demo.people["pr"], title="鲜牧牛奶喝出异味",
                                           mention=mention)
        incident.mentions.add(*store(demo.brand, 19, now, followers=100))
        incidents.incident_regrade(incident=incident)
    told = list(Notice.objects.filter(dedupe_key__contains=":grade:").order_by("id")
                .values_list("recipient__username", flat=True))
    assert told == ["pr2", "pr"]
