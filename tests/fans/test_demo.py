"""The demo's fan-interaction set-up, as make run creates it."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from fans.models import DepartmentDesk, ReplyTemplate, RoutingRule, Tag

pytestmark = pytest.mark.django_db


def test_seed_demo_fans_sets_up_rules_templates_tags_and_desks_once(demo):
    call_command("seed_demo_fans")
    call_command("seed_demo_fans")  # a second make run keeps what is there
    rules = list(RoutingRule.objects.filter(brand=demo.brand).order_by("position"))
    assert [r.name for r in rules][:2] == ["客服号投诉：客服部轮流接", "主号投诉：运营编辑跟进"]
    assert len(rules) == 6 and all(r.is_active for r in rules)
    assert rules[0].assign_department.name == "客户服务部" and rules[0].mark_complaint
    assert ReplyTemplate.objects.filter(brand=demo.brand).count() == 4
    assert Tag.objects.get(brand=demo.brand, name="公关审核").replies_need_approval
    desks = {d.department.name: (d.normal_hours, d.weibo_first_hours) for d in DepartmentDesk.objects.all()}
    assert desks["客户服务部"] == (48, 4) and all(first < normal for normal, first in desks.values())
    assert demo.people["service"].department.name == "客户服务部"
