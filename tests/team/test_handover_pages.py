"""The absence and handover pages: mark someone absent, review (items, the accounts' playbook handover pages,
the checklist), apply, undo; form errors, permissions, escaped user text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from team.models import HANDOVER_CHECKLIST, Absence, Handover, HandoverState
from tests.team.test_handover import Work, everything_with, give_pr_replies, holders, make_item, work_make

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]

LANGUAGE = "en"


@pytest.fixture
def work(demo) -> Work:
    return work_make(demo)


def form(demo, **extra) -> dict:
    today = timezone.localdate()
    return {"person": demo.people["operator"].pk, "kind": "leave", "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=5)).isoformat(), "note": "", "to_person": "", **extra}


def test_mark_review_apply_undo_through_the_pages(demo, work, login):
    give_pr_replies(demo)
    client = login(demo.people["manager"])
    marked = client.post("/team/absences/", form(demo))
    handover = Handover.objects.get()
    assert marked.status_code == 302 and marked.url == f"/team/handovers/{handover.pk}/"
    page = client.get(marked.url)
    html = page.content.decode()
    assert page.status_code == 200
    for account in ("鲜牧乳业", "鲜牧客服"):  # each account's stand-in page, linked, with its playbook summary
        assert f'href="/positioning/accounts/{demo.accounts[account].pk}/handover/"' in html
    assert "reply within 2 h, resolve within 24 h" in html
    assert str(HANDOVER_CHECKLIST["incidents"]) in html
    assert "password" not in str(list(HANDOVER_CHECKLIST.values())).lower()

    refused = client.post(marked.url, {"to_person": demo.people["pr"].pk, "checklist": ["playbook"]})
    assert refused.status_code == 400
    assert "Tick every item of the checklist first" in refused.context["form"].errors["checklist"][0]
    assert holders(work) == everything_with(demo.people["operator"])

    applied = client.post(marked.url, {"to_person": demo.people["pr"].pk, "checklist": list(HANDOVER_CHECKLIST)})
    assert applied.status_code == 302
    assert holders(work) == everything_with(demo.people["pr"])
    undone = client.post(f"/team/handovers/{handover.pk}/undo/")
    assert undone.status_code == 302
    handover.refresh_from_db()
    assert handover.state == HandoverState.UNDONE
    assert holders(work) == everything_with(demo.people["operator"])


def test_a_bad_absence_is_a_form_error(demo, work, login):
    today = timezone.localdate()
    page = login(demo.people["manager"]).post("/team/absences/", form(demo, ends_on=(today - timedelta(days=2))
                                                                       .isoformat()))
    assert page.status_code == 400
    assert page.context["form"].errors["ends_on"] == ["The absence ends before it starts: give a later day."]
    assert not Absence.objects.exists()


def test_people_see_only_handovers_that_concern_them(demo, work, login):
    login(demo.people["manager"]).post("/team/absences/", form(demo))
    handover = Handover.objects.get()
    assert login(demo.people["agent"]).get(f"/team/handovers/{handover.pk}/").status_code == 403
    own = login(demo.people["operator"]).get(f"/team/handovers/{handover.pk}/")
    assert own.status_code == 200 and own.context["form"] is None
    assert login(demo.people["operator"]).post(f"/team/handovers/{handover.pk}/", {
        "to_person": demo.people["pr"].pk, "checklist": list(HANDOVER_CHECKLIST)}).status_code == 403
    assert login(demo.people["operator"]).post("/team/absences/", form(demo)).status_code == 403
    assert holders(work) == everything_with(demo.people["operator"])


def test_user_text_is_escaped(demo, work, login):
    make_item(demo.accounts["鲜牧客服"], 7, text="<script>alert(1)</script>", assignee=demo.people["operator"],
              assigned_at=timezone.now())
    client = login(demo.people["manager"])
    client.post("/team/absences/", form(demo, note="<b>家事</b>"))
    html = client.get(f"/team/handovers/{Handover.objects.get().pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    listing = client.get("/team/absences/").content.decode()
    assert "<b>家事</b>" not in listing and "&lt;b&gt;家事&lt;/b&gt;" in listing


def test_the_pages_speak_chinese_by_default(demo, work, login):
    client = login(demo.people["manager"], language="zh-hans")
    for url in ("/team/absences/", "/team/workload/"):
        assert client.get(url).status_code == 200
