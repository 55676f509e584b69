"""Issue 15 §2–3 on the content pages: one status word per post and account, only the buttons a person
may use (one check per action, shared with the service), approve-and-schedule in one step, no
writing offered on slots already begun, and approval where Weibo's pace allows it."""

from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from content import services
from content.models import Pillar, Post, PostState, PostTarget, TargetState
from content.status import post_status, target_status
from sentiment import incidents as incident_services

LANGUAGE = "en"  # the people these tests sign in have chosen English: the tests read its words


pytestmark = pytest.mark.django_db
LINK = "https://xianmu.example.com/p/1"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}  # the new words reach the Chinese catalogue with the merge


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def pillar(demo):
    return services.pillar_create(brand=demo.brand, name="产品资讯", by=demo.people["manager"])


def _post(demo, pillar, text=f"低温鲜奶换新包装 {LINK}", names=("鲜牧乳业",)):
    return services.post_create(by=demo.people["operator"], pillar=pillar, text=text,
                                accounts=[demo.accounts[n] for n in names])


def _later(hours=3):
    return timezone.now() + timedelta(hours=hours)


def _labels(post):
    post = Post.objects.get(pk=post.pk)
    targets = list(post.targets.select_related("account"))
    return post_status(post, targets).label, [target_status(t, post).label for t in targets]


# --- §2: one status word per state ------------------------------------------------------------------------

def test_each_state_of_a_post_has_one_status_word_and_its_accounts_agree(demo, pillar):
    operator, reviewer, manager = demo.people["operator"], demo.people["reviewer"], demo.people["manager"]
    post = _post(demo, pillar)
    assert _labels(post) == ("Draft", ["Draft"])
    services.post_submit(post=post, by=operator)
    assert _labels(post) == ("In review", ["Waiting for approval"])
    services.post_approve(post=post, by=reviewer, ip="127.0.0.1")  # approved without a time
    assert _labels(post) == ("Approved", ["Not scheduled"])
    services.post_schedule(post=post, at=_later(), by=operator, ip="127.0.0.1")
    assert _labels(post) == ("Scheduled", ["Scheduled"])
    post.targets.update(state=TargetState.PUBLISHED)
    assert _labels(post) == ("Published", ["Published"])  # no longer "Approved" (已通过)
    post.targets.update(state=TargetState.FAILED)
    assert _labels(post) == ("Failed", ["Failed"])

    urgent = _post(demo, pillar, text=f"关于配送延迟的说明 {LINK}")
    services.post_submit(post=urgent, by=operator)
    services.post_fast_track(post=urgent, by=manager, reason="事态在发酵", ip="127.0.0.1")
    assert _labels(urgent) == ("Fast-tracked", ["Not scheduled"])  # not "Waiting for approval" (等待审核)


def test_a_post_partly_out_reads_partly_published(demo, pillar):
    post = _post(demo, pillar, names=("鲜牧乳业", "鲜牧酸奶"))
    services.post_schedule(post=post, at=_later(), by=demo.people["manager"], ip="127.0.0.1")
    services.post_approve(post=post, by=demo.people["reviewer"], ip="127.0.0.1")
    post.targets.filter(account__name="鲜牧乳业").update(state=TargetState.PUBLISHED)
    assert _labels(post) == ("Partly published", ["Published", "Scheduled"])


def test_the_post_page_says_each_state_once(demo, login, pillar):
    """The state tag and a message that only repeats it read “等待审核 · 等待审核”."""
    post = _post(demo, pillar)
    services.post_schedule(post=post, at=_later(), by=demo.people["operator"], ip="127.0.0.1")
    page = login(demo.people["manager"]).get(reverse("content:post", args=[post.pk]), **EN).content.decode()
    assert page.count("Waiting for approval") == 1
    assert re.search(r'data-status="in_review">In review<', page)
    services.post_approve(post=post, by=demo.people["reviewer"], ip="127.0.0.1")
    post.targets.update(state=TargetState.PUBLISHED)
    page = login(demo.people["manager"]).get(reverse("content:post", args=[post.pk]), **EN).content.decode()
    heading = page.split("<h1>")[1].split("</h1>")[0]
    assert re.search(r'data-status="published">Published<', heading) and "Approved" not in heading
    assert re.search(r'data-status="published">Published<', page.split('id="targets-title"')[1])
    listing = login(demo.people["manager"]).get(reverse("content:posts"), **EN).content.decode()
    assert '<span class="tag ok" data-status="published">Published</span>' in listing


def test_a_fast_tracked_statement_no_longer_reads_waiting_for_approval(demo, login):
    incident = incident_services.incident_open(brand=demo.brand, by=demo.people["pr"], title="断货")
    statement = incident_services.statement_draft(incident=incident, by=demo.people["pr"], text=f"正在处理。{LINK}",
                                                  accounts=[demo.accounts["鲜牧乳业"]])
    incident_services.statement_fast_track(statement=statement, by=demo.people["manager"], reason="急")
    page = login(demo.people["manager"]).get(reverse("sentiment:incident", args=[incident.pk]), **EN)
    item = page.content.decode().split(f'id="statement-{statement.pk}"')[1].split("</li>\n")[0]
    assert "Waiting for approval" not in item
    assert "Fast-tracked" in item and "Not scheduled" in item


# --- §2: buttons only for who may use them ----------------------------------------------------------------

def _actions(client, post) -> set[str]:
    """The forms the post page offers, by the view they post to."""
    page = client.get(reverse("content:post", args=[post.pk]), **EN).content.decode()
    target = post.targets.get()
    urls = {"move": reverse("content:target_move", args=[target.pk]),
            "cancel": reverse("content:target_cancel", args=[target.pk]),
            "publish_now": reverse("content:post_publish_now", args=[post.pk]),
            "schedule": reverse("content:post_schedule", args=[post.pk]),
            "edit": reverse("content:post_edit", args=[post.pk]),
            "fast_track": reverse("content:post_fast_track", args=[post.pk])}
    return {name for name, url in urls.items() if f'"{url}"' in page}


def test_each_role_sees_only_the_buttons_it_may_use_on_a_scheduled_post(demo, login, pillar):
    post = _post(demo, pillar)
    services.post_schedule(post=post, at=_later(), by=demo.people["operator"], ip="127.0.0.1")
    services.post_approve(post=post, by=demo.people["reviewer"], ip="127.0.0.1")
    assert _actions(login(demo.people["reviewer"]), post) == set()  # no 改期 / 取消
    assert _actions(login(demo.people["pr"]), post) == {"edit"}  # no 立即发布
    assert _actions(login(demo.people["operator"]), post) == {"move", "cancel", "publish_now", "schedule", "edit"}
    assert _actions(login(demo.people["manager"]), post) == {"move", "cancel", "publish_now", "schedule", "edit"}


def test_every_button_shown_goes_through(demo, login, pillar):
    """What the page offers the operator, the service lets the operator do."""
    post = _post(demo, pillar)
    services.post_schedule(post=post, at=_later(), by=demo.people["operator"], ip="127.0.0.1")
    services.post_approve(post=post, by=demo.people["reviewer"], ip="127.0.0.1")
    client = login(demo.people["operator"])
    target = post.targets.get()
    at = timezone.localtime(_later(4)).strftime("%Y-%m-%dT%H:%M")
    client.post(reverse("content:target_move", args=[target.pk]), {"scheduled_at": at})
    assert timezone.localtime(PostTarget.objects.get(pk=target.pk).scheduled_at).strftime("%Y-%m-%dT%H:%M") == at
    client.post(reverse("content:target_cancel", args=[target.pk]))
    assert PostTarget.objects.get(pk=target.pk).state == TargetState.CANCELLED


def test_the_pr_person_sees_no_publish_now_on_an_approved_statement(demo, login):
    incident = incident_services.incident_open(brand=demo.brand, by=demo.people["pr"], title="断货")
    statement = incident_services.statement_draft(incident=incident, by=demo.people["pr"], text=f"正在处理。{LINK}",
                                                  accounts=[demo.accounts["鲜牧乳业"]])
    incident_services.statement_fast_track(statement=statement, by=demo.people["manager"], reason="急")
    publish = reverse("sentiment:statement_publish", args=[statement.pk])
    url = reverse("sentiment:incident", args=[incident.pk])
    assert publish not in login(demo.people["pr"]).get(url, **EN).content.decode()  # PR may not publish
    assert publish in login(demo.people["manager"]).get(url, **EN).content.decode()


def test_the_reviewer_queue_offers_approve_and_schedule_only_to_who_may_publish(demo, login, pillar):
    post = _post(demo, pillar)
    services.post_submit(post=post, by=demo.people["operator"])
    reviewer = login(demo.people["reviewer"]).get(reverse("content:queue"), **EN).content.decode()
    assert 'value="approve"' in reviewer and 'value="approve_schedule"' not in reviewer
    manager = login(demo.people["manager"]).get(reverse("content:queue"), **EN).content.decode()
    assert 'value="approve_schedule"' in manager


# --- §2: approve and schedule in one step ---------------------------------------------------------------

def test_approve_and_schedule_is_one_post_in_the_page(demo, login, pillar):
    post = _post(demo, pillar)
    services.post_submit(post=post, by=demo.people["operator"])
    at = timezone.localtime(_later()).replace(second=0, microsecond=0)
    response = login(demo.people["manager"]).post(
        reverse("content:post_review", args=[post.pk]),
        {"decision": "approve_schedule", "comment": "可以", "scheduled_at": at.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    post.refresh_from_db()
    target = post.targets.get()
    assert (post.state, target.state, target.scheduled_at) == (PostState.APPROVED, TargetState.SCHEDULED, at)


def test_approve_and_schedule_is_one_call_in_the_api(demo, api, pillar):
    post = _post(demo, pillar)
    services.post_submit(post=post, by=demo.people["operator"])
    at = _later().replace(microsecond=0)
    response = api(demo.people["manager"]).post(f"/api/v1/content/posts/{post.pk}/approve/",
                                                {"comment": "", "scheduled_at": at.isoformat()}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["state"] == "approved" and response.data["status"]["key"] == "scheduled"
    assert list(post.targets.values_list("state", "scheduled_at")) == [(TargetState.SCHEDULED, at)]


def test_a_reviewer_who_may_not_publish_is_refused_approve_and_schedule_and_nothing_changes(demo, api, pillar):
    post = _post(demo, pillar)
    services.post_submit(post=post, by=demo.people["operator"])
    response = api(demo.people["reviewer"]).post(f"/api/v1/content/posts/{post.pk}/approve/",
                                                 {"scheduled_at": _later().isoformat()}, format="json")
    assert response.status_code == 403
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW and not post.approvals.exists()
    assert list(post.targets.values_list("state", "scheduled_at")) == [(TargetState.WAITING, None)]


# --- §2: the calendar offers no writing on slots already begun ----------------------------------------------

def test_the_calendar_offers_no_write_link_on_a_slot_already_begun(demo, login, monkeypatch):
    today = timezone.localdate()
    noon = timezone.make_aware(datetime.combine(today, time(13, 0)))  # Beijing: 08:30 and 12:00 have begun
    monkeypatch.setattr(timezone, "now", lambda: noon)
    page = login(demo.people["operator"]).get(reverse("content:calendar"), **EN).content.decode()
    account = demo.accounts["鲜牧乳业"].pk
    offered = set(re.findall(rf'\?account={account}&(?:amp;)?at=({today:%Y-%m-%d}T\d\d:\d\d)', page))
    assert offered == {f"{today:%Y-%m-%d}T17:30", f"{today:%Y-%m-%d}T20:30"}


# --- §3: approval where it is worth its time ----------------------------------------------------------------

def test_the_demo_pillars_ask_approval_for_brand_and_product_but_not_interaction_or_hot_topics(demo):
    call_command("seed_demo_content", due_in=600, stdout=io.StringIO())
    approval = dict(Pillar.objects.filter(brand=demo.brand).values_list("name", "needs_approval"))
    assert {name: approval[name] for name in ["品牌故事", "产品资讯", "热点话题", "粉丝互动"]} == {
        "品牌故事": True, "产品资讯": True, "热点话题": False, "粉丝互动": False}
    assert approval["服务公告"] is True and approval["公共话题"] is False
    # The demo still has a post waiting in the review queue.
    assert Post.objects.filter(state=PostState.IN_REVIEW).count() == 1


def test_an_operators_interaction_post_is_scheduled_without_review(demo):
    interaction = services.pillar_create(brand=demo.brand, name="粉丝互动", by=demo.people["manager"])
    assert interaction.needs_approval is False  # the default for a new interaction pillar
    post = services.post_create(by=demo.people["operator"], pillar=interaction, accounts=[demo.accounts["鲜牧乳业"]],
                                text=f"今天的早餐晒单时间到！转发抽三位送一周鲜奶 {LINK}")
    post = services.post_schedule(post=post, at=_later(), by=demo.people["operator"], ip="127.0.0.1")
    assert post.state == PostState.APPROVED
    assert list(post.targets.values_list("state", flat=True)) == [TargetState.SCHEDULED]
    assert not post.approvals.exists()
