"""Routing rules' "assign to the account's person on inbox duty" (issue 17): the roster decides at arrival."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fans import ingest, services
from fans.models import Interaction, Kind, Source
from positioning import roster
from team.models import AuditEvent, Duty

pytestmark = pytest.mark.django_db


def _arrive(account, n: int) -> Interaction:
    incoming = ingest.Incoming(kind=Kind.COMMENT, source=Source.COMMENTS_TO_ME, object_type="comment",
                               platform_id=f"48000{n:06d}", user=None, uid=f"57{n:08d}", text=f"请问第{n}个问题",
                               created_at=timezone.now(), thread_key=f"s:{n}")
    (item,) = ingest.items_store(account=account, incoming=[incoming])
    return Interaction.objects.select_related("assignee").get(pk=item.pk)


@pytest.fixture
def duty_rule(demo):
    return services.rule_create(brand=demo.brand, by=demo.people["manager"], name="客服号给值班的人", position=1,
                                accounts=[demo.accounts["鲜牧客服"]], assign_on_duty=True)


def test_an_item_goes_to_the_person_on_inbox_duty_at_arrival(demo, duty_rule, login):
    now = timezone.now()
    cs = demo.accounts["鲜牧客服"]
    roster.shift_create(account=cs, person=demo.people["agent"], duty=Duty.INBOX, starts_at=now - timedelta(hours=1),
                        ends_at=now + timedelta(hours=1), by=demo.people["manager"])
    # Someone on duty earlier, and someone monitoring now, are not the person on inbox duty now.
    roster.shift_create(account=cs, person=demo.people["operator"], duty=Duty.INBOX,
                        starts_at=now - timedelta(hours=5), ends_at=now - timedelta(hours=1),
                        by=demo.people["manager"])
    item = _arrive(cs, 1)
    assert (item.assignee.username, item.routed_by_id) == ("agent", duty_rule.pk)
    assert AuditEvent.objects.get(object_id=str(item.pk), action="inbox.route_duty").changes == {
        "assignee": [None, str(demo.people["agent"])]}
    page = login(demo.people["manager"]).get(reverse("fans:item", args=[item.pk])).content.decode()
    assert "分配给" in page and 'id="duty-routing"' in page


def test_nobody_on_duty_leaves_the_item_unassigned_and_its_page_says_so(demo, duty_rule, login, english):
    item = _arrive(demo.accounts["鲜牧客服"], 2)
    assert (item.assignee, item.routed_by_id) == (None, duty_rule.pk)
    assert AuditEvent.objects.filter(object_id=str(item.pk), action="inbox.route_duty_none").count() == 1
    page = login(demo.people["manager"], language="en").get(reverse("fans:item", args=[item.pk])).content.decode()
    assert "Nobody was on inbox duty for this account when it arrived: left unassigned." in page


def test_a_rule_assigns_to_one_kind_of_person_only(demo):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.rule_create(brand=demo.brand, by=demo.people["manager"], name="两者都要", assign_on_duty=True,
                             assign_to=demo.people["agent"])
    assert list(refused.value.message_dict) == ["assign_on_duty"]
