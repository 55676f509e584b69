"""``{% load fans_desks %}{% department_deadlines as rows %}``: each department with its "Weibo first"
deadline, read where tickets read it (``fans.selectors.department_desks``). The playbook shows them
through this tag: positioning may not import the fans app, and a deadline typed into the playbook's
text would be a second definition that drifts from the one tickets are given."""

from __future__ import annotations

from django import template

from fans import selectors

register = template.Library()


@register.simple_tag
def department_deadlines() -> list[dict]:
    return [{"department": department, "hours": desk.weibo_first_hours}
            for department, desk in selectors.department_desks()]
