"""The demo's handover trace (seed_demo_handover): the editor on leave next week, a proposed handover that lists
his open work, nothing moved yet and the editor still assignable today; running it again changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from content.models import Post
from content.services import pillars_ensure, post_create
from team.models import Absence, Handover, HandoverState
from team.selectors_work import absent_ids

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]


def test_seed_demo_handover_leaves_a_proposed_handover_for_next_week(demo):
    operator = demo.people["operator"]
    draft = post_create(by=operator, pillar=pillars_ensure(brand=demo.brand)[0], text="草稿 https://xianmu.example.com/d",
                        accounts=[demo.accounts["鲜牧乳业"]])
    call_command("seed_demo_handover")
    call_command("seed_demo_handover")
    absence = Absence.objects.get(person=operator)
    assert absence.starts_on.weekday() == 0 and absence.starts_on > timezone.localdate()
    assert (absence.ends_on - absence.starts_on).days == 4
    handover = Handover.objects.get()
    assert handover.state == HandoverState.PROPOSED
    assert handover.items.filter(kind="content.post", object_id=draft.pk).exists()
    assert handover.to_person is not None and handover.to_person != operator
    assert operator.pk not in absent_ids()  # on leave from next week: still at work today
    assert Post.objects.get(pk=draft.pk).owner == operator
