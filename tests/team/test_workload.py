"""Workload (issue 17, point 6): open items per person by kind and age, counted by hand; the one-move rebalance
with the handover's grant checks; managers only (people see their own); the page's query count does not grow
with the items."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from content.models import Post
from content.services import pillars_ensure, post_create
from fans.models import Interaction
from team.handover import work_rebalance
from team.models import AuditEvent
from team.selectors_work import workload
from tests.team.test_handover import make_item

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]

LINK = "https://xianmu.example.com/w"
NOTHING = {"day": 0, "days": 0, "older": 0}


def draft(demo, n: int, *, at) -> Post:
    pillar = pillars_ensure(brand=demo.brand)[0]
    post = post_create(by=demo.people["operator"], pillar=pillar, text=f"草稿{n} {LINK}/{n}",
                       accounts=[demo.accounts["鲜牧乳业"]])
    Post.objects.filter(pk=post.pk).update(created_at=at)
    return post


def inbox(demo, n: int, *, person, at) -> Interaction:
    item = make_item(demo.accounts["鲜牧客服"], n, assignee=person, assigned_at=at)
    Interaction.objects.filter(pk=item.pk).update(received_at=at)
    return item


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def load(demo, now):
    """李想: drafts 2 hours, 30 hours and 4 days old; inbox items 10 minutes, exactly 1 day and exactly 3 days
    old (a bucket's upper bound belongs to the next bucket). 陈晨: one inbox item 2 days old."""
    operator, agent = demo.people["operator"], demo.people["agent"]
    for n, age in enumerate([timedelta(hours=2), timedelta(hours=30), timedelta(days=4)], start=1):
        draft(demo, n, at=now - age)
    for n, age in enumerate([timedelta(minutes=10), timedelta(days=1), timedelta(days=3)], start=1):
        inbox(demo, n, person=operator, at=now - age)
    inbox(demo, 9, person=agent, at=now - timedelta(days=2))


def test_workload_counts_open_items_by_kind_and_age(demo, load, now):
    operator, agent = demo.people["operator"], demo.people["agent"]
    rows = {r.person.username: r for r in workload(people=[operator, agent], now=now)}
    assert rows["operator"].counts == {
        "content.post": {"day": 1, "days": 1, "older": 1},
        "campaigns.task": NOTHING,
        "fans.inbox": {"day": 1, "days": 1, "older": 1},
        "fans.ticket": NOTHING,
        "sentiment.step": NOTHING,
    }
    assert rows["operator"].total == 6
    assert rows["agent"].counts["fans.inbox"] == {"day": 0, "days": 1, "older": 0}
    assert rows["agent"].total == 1


def test_closed_items_are_not_open_work(demo, load, now):
    Interaction.objects.filter(assignee=demo.people["operator"]).update(state="closed")
    row = workload(people=[demo.people["operator"]], now=now)[0]
    assert row.counts["fans.inbox"] == NOTHING
    assert row.total == 3


def test_rebalance_moves_a_persons_items_of_one_kind_in_one_step(demo, load):
    operator, agent, manager = demo.people["operator"], demo.people["agent"], demo.people["manager"]
    moved = work_rebalance(from_person=operator, kind="fans.inbox", to=agent, by=manager)
    assert moved == 3
    assert Interaction.objects.filter(assignee=agent).count() == 4
    assert Interaction.objects.filter(assignee=operator).count() == 0
    assert Post.objects.filter(owner=operator).count() == 3  # other kinds stay
    event = AuditEvent.objects.get(action="work.rebalance")
    assert event.changes["items"] == [None, 3]
    assert AuditEvent.objects.filter(action="inbox.assign").count() == 3


def test_rebalance_of_chosen_items_only(demo, load):
    operator, agent = demo.people["operator"], demo.people["agent"]
    chosen = list(Interaction.objects.filter(assignee=operator).order_by("pk").values_list("pk", flat=True)[:1])
    assert work_rebalance(from_person=operator, kind="fans.inbox", to=agent, by=demo.people["manager"],
                          object_ids=chosen) == 1
    assert list(Interaction.objects.filter(assignee=agent, pk__in=chosen).values_list("pk", flat=True)) == chosen


def test_rebalance_refuses_a_person_without_the_grant_and_moves_nothing(demo, load, english):
    operator, reviewer = demo.people["operator"], demo.people["reviewer"]
    with pytest.raises(ValidationError) as refused:
        work_rebalance(from_person=operator, kind="fans.inbox", to=reviewer, by=demo.people["manager"])
    assert refused.value.message_dict == {"to_person": [
        "周婷（内容审核） lacks the “reply” permission on the account 鲜牧客服."]}
    assert Interaction.objects.filter(assignee=operator).count() == 3


def test_rebalance_is_for_managers(demo, load):
    with pytest.raises(PermissionDenied):
        work_rebalance(from_person=demo.people["agent"], kind="fans.inbox", to=demo.people["operator"],
                       by=demo.people["operator"])
    assert Interaction.objects.filter(assignee=demo.people["agent"]).count() == 1


def test_the_page_shows_everyone_to_managers_and_only_themselves_to_others(demo, load, login):
    page = login(demo.people["manager"]).get("/team/workload/")
    assert page.status_code == 200
    assert {r.person.username for r in page.context["rows"]} >= {"operator", "agent", "manager"}
    page = login(demo.people["operator"]).get("/team/workload/")
    assert [r.person.username for r in page.context["rows"]] == ["operator"]
    assert page.context["form"] is None
    assert "陈晨" not in page.content.decode()
    refused = login(demo.people["operator"]).post("/team/workload/", {
        "from_person": demo.people["agent"].pk, "kind": "fans.inbox", "to_person": demo.people["operator"].pk})
    assert refused.status_code == 403
    assert Interaction.objects.filter(assignee=demo.people["agent"]).count() == 1


def test_the_page_moves_work_and_shows_a_refusal_as_a_form_error(demo, load, login):
    client = login(demo.people["manager"], language="en")
    refused = client.post("/team/workload/", {"from_person": demo.people["operator"].pk, "kind": "fans.inbox",
                                              "to_person": demo.people["reviewer"].pk})
    assert refused.status_code == 400
    assert refused.context["form"].errors["to_person"] == [
        "周婷（内容审核） lacks the “reply” permission on the account 鲜牧客服."]
    done = client.post("/team/workload/", {"from_person": demo.people["operator"].pk, "kind": "fans.inbox",
                                           "to_person": demo.people["agent"].pk})
    assert done.status_code == 302
    assert Interaction.objects.filter(assignee=demo.people["agent"]).count() == 4


def test_the_page_query_count_does_not_grow_with_the_items(demo, load, login, now):
    client = login(demo.people["manager"])
    client.get("/team/workload/")  # warm the per-request caches (menu, language)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/team/workload/").status_code == 200
    for n in range(20, 40):
        inbox(demo, n, person=demo.people["operator"], at=now - timedelta(hours=n))
        draft(demo, n, at=now - timedelta(hours=n))
    with CaptureQueriesContext(connection) as many:
        assert client.get("/team/workload/").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
