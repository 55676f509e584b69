"""The playbook's campaign section (活动策划): how often, themes, the prize process, which reports go to whom."""

from __future__ import annotations

import pytest
from django.urls import reverse

from positioning import services
from positioning.models import PlaybookVersion

pytestmark = pytest.mark.django_db
LANGUAGE = "en"
CAMPAIGN = {"campaign_frequency": "每月一次", "campaign_themes": "牧场开放日\n新品试吃",
            "prize_process": "运营申请，主管审批；优先自有产品", "campaign_reports": "月报给市场部 <b>总监</b>"}


def test_the_playbook_form_publishes_the_campaign_section_and_pages_show_it_escaped(demo, login):
    client = login(demo.people["manager"])
    account = demo.accounts["鲜牧乳业"]
    current = PlaybookVersion.objects.filter(account=account).latest()
    form = client.get(reverse("positioning:playbook_edit", args=[account.pk])).context["form"]
    data = {**{k: v for k, v in form.initial.items() if v is not None}, **CAMPAIGN,
            "approvers": [p.pk for p in current.approvers.all()], "approval_required": "on"}
    response = client.post(reverse("positioning:playbook_edit", args=[account.pk]), data)
    assert response.status_code == 302
    version = PlaybookVersion.objects.filter(account=account).latest()
    assert version.number == current.number + 1
    assert {k: getattr(version, k) for k in CAMPAIGN} == CAMPAIGN
    page = client.get(reverse("positioning:handover", args=[account.pk])).content.decode()
    assert "每月一次" in page and "优先自有产品" in page
    assert "&lt;b&gt;总监&lt;/b&gt;" in page and "<b>总监</b>" not in page
    # The next edit starts from it.
    again = client.get(reverse("positioning:playbook_edit", args=[account.pk])).context["form"]
    assert again.initial["prize_process"] == CAMPAIGN["prize_process"]


def test_a_version_published_without_the_section_carries_it_over(demo):
    account = demo.accounts["鲜牧乳业"]
    services.playbook_publish(account=account, by=demo.people["manager"], **CAMPAIGN)
    version = services.playbook_publish(account=account, by=demo.people["manager"], change_note="只改时段",
                                        time_slots=["09:00"])
    assert {k: getattr(version, k) for k in CAMPAIGN} == CAMPAIGN


def test_too_long_a_frequency_is_a_field_error(demo, login):
    client = login(demo.people["manager"])
    account = demo.accounts["鲜牧乳业"]
    before = PlaybookVersion.objects.filter(account=account).count()
    response = client.post(reverse("positioning:playbook_edit", args=[account.pk]), {
        "reply_within_hours": "2", "resolve_within_hours": "24", "approval_mode": "any",
        "approval_target_minutes": "30", "campaign_frequency": "x" * 201})
    assert response.status_code == 200 and "campaign_frequency" in response.context["form"].errors
    assert PlaybookVersion.objects.filter(account=account).count() == before
