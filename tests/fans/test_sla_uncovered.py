"""An answer about to be late on an account with nobody on inbox duty is an alert, once per item (issue 17)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fans import duty, tasks
from fans.models import Fan, Interaction, Kind, Source
from positioning import roster
from team.models import Duty, Notice

pytestmark = pytest.mark.django_db


def make_item(account, n: int, due_in: timedelta) -> Interaction:
    fan, _created = Fan.objects.get_or_create(uid=f"76000003{n:02d}", defaults={"screen_name": f"粉丝{n}"})
    return Interaction.objects.create(
        account=account, kind=Kind.COMMENT, source=Source.COMMENTS_TO_ME, object_type="comment",
        platform_id=f"47{n:08d}", fan=fan, text="在吗", created_at=timezone.now(), thread_key=f"s:{n}",
        first_response_due=timezone.now() + due_in)


def keeps_a_roster(demo, account) -> None:
    """A shift of this morning, over by now: the account keeps a roster, with nobody on duty now."""
    now = timezone.now()
    roster.shift_create(account=account, person=demo.people["manager"], duty=Duty.INBOX,
                        starts_at=now - timedelta(hours=6), ends_at=now - timedelta(hours=1), by=demo.people["manager"])


def test_an_answer_about_to_be_late_with_nobody_on_duty_tells_the_managers_once(demo):
    cs = demo.accounts["鲜牧客服"]
    keeps_a_roster(demo, cs)
    soon = make_item(cs, 1, timedelta(minutes=20))
    make_item(cs, 2, timedelta(hours=2))  # not about to be late
    assert tasks.sla_uncovered() == 1
    notices = Notice.objects.filter(kind=duty.NOTICE_KIND)
    assert sorted(n.recipient.username for n in notices) == ["admin", "manager"]
    assert {n.url for n in notices} == {f"/fans/items/{soon.pk}/"}
    assert {n.dedupe_key for n in notices} == {f"uncovered:{soon.pk}"}
    assert tasks.sla_uncovered() == 0  # told once
    assert Notice.objects.filter(kind=duty.NOTICE_KIND).count() == 2


def test_someone_on_inbox_duty_means_no_alert(demo):
    cs = demo.accounts["鲜牧客服"]
    now = timezone.now()
    roster.shift_create(account=cs, person=demo.people["agent"], duty=Duty.INBOX, starts_at=now - timedelta(hours=1),
                        ends_at=now + timedelta(hours=2), by=demo.people["manager"])
    make_item(cs, 3, timedelta(minutes=10))
    # Monitoring duty is not inbox duty: the main account's item is still uncovered.
    roster.shift_create(account=demo.accounts["鲜牧乳业"], person=demo.people["pr"], duty=Duty.MONITORING,
                        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=2),
                        by=demo.people["manager"])
    main = make_item(demo.accounts["鲜牧乳业"], 4, timedelta(minutes=10))
    assert duty.sla_uncovered_alert() == 1
    assert set(Notice.objects.filter(kind=duty.NOTICE_KIND).values_list("dedupe_key", flat=True)) == {
        f"uncovered:{main.pk}"}


def test_an_account_that_keeps_no_roster_is_not_watched(demo):
    """Nobody plans shifts for 鲜牧华东: its items are answered as they always were, and nobody is told."""
    make_item(demo.accounts["鲜牧华东"], 5, timedelta(minutes=10))
    assert duty.sla_uncovered_alert() == 0
    keeps_a_roster(demo, demo.accounts["鲜牧华东"])
    assert duty.sla_uncovered_alert() == 1
