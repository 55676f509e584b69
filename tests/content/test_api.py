"""The content API: the same rules as the pages and services, spoken in JSON."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from content import services
from content.models import Approval, MetricSnapshot, Post, PostState, PostTarget, TargetState
from team.models import AuditEvent

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]  # embedded: API writes in transactions

API = "/api/v1/content"
LINK = "https://xianmu.example.com/p/1"
TEXT = f"鲜牧希腊酸奶上新 {LINK}"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

LANGUAGE = "en"  # the people these tests sign in have chosen English: the tests read its words


@pytest.fixture
def pillar(demo):
    return services.pillar_create(brand=demo.brand, name="产品资讯", by=demo.people["manager"])


def later(hours: int = 2) -> datetime:
    """A time ahead, in Asia/Shanghai, whole minutes."""
    return (timezone.localtime() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def create(client, demo, pillar, *, text=TEXT, names=("鲜牧乳业",), **extra):
    return client.post(f"{API}/posts/", {"pillar": pillar.pk, "text": text,
                                         "accounts": [demo.accounts[n].pk for n in names], **extra},
                       format="json", **EN)


def draft(demo, pillar, names=("鲜牧乳业",), by="operator") -> Post:
    return services.post_create(by=demo.people[by], pillar=pillar, text=TEXT,
                                accounts=[demo.accounts[n] for n in names])


# --- pillars -----------------------------------------------------------------------------------

def test_pillars_are_listed_for_everyone_and_written_by_managers(demo, api, pillar):
    listing = api(demo.people["operator"]).get(f"{API}/pillars/")
    assert listing.status_code == 200
    assert [p["name"] for p in listing.data["results"]] == ["产品资讯"]
    refused = api(demo.people["operator"]).post(f"{API}/pillars/", {"brand": demo.brand.pk, "name": "x"},
                                                format="json", **EN)
    assert refused.status_code == 403
    assert refused.data["detail"] == "Only managers and administrators edit content pillars."
    manager = api(demo.people["manager"])
    created = manager.post(f"{API}/pillars/", {"brand": demo.brand.pk, "name": "品牌故事", "colour": "#112233"},
                           format="json")
    assert created.status_code == 201, created.data
    changed = manager.patch(f"{API}/pillars/{created.data['id']}/", {"colour": "#445566", "needs_approval": False},
                            format="json")
    assert changed.status_code == 200
    assert (changed.data["colour"], changed.data["needs_approval"]) == ("#445566", False)
    bad = manager.patch(f"{API}/pillars/{created.data['id']}/", {"colour": "blue"}, format="json", **EN)
    assert bad.status_code == 400
    assert bad.data["colour"] == ["Give a colour as #RRGGBB."]


# --- creating ----------------------------------------------------------------------------------

def test_create_returns_the_post_with_its_targets(demo, api, pillar):
    response = create(api(demo.people["operator"]), demo, pillar, names=("鲜牧乳业", "鲜牧酸奶"),
                      variants={str(demo.accounts["鲜牧酸奶"].pk): f"酸奶号专属文案 {LINK}"})
    assert response.status_code == 201, response.data
    assert response.data["state"] == "draft"
    assert response.data["created_by"]["username"] == "operator"
    targets = {t["account_name"]: t for t in response.data["targets"]}
    assert set(targets) == {"鲜牧乳业", "鲜牧酸奶"}
    assert targets["鲜牧酸奶"]["text"] == f"酸奶号专属文案 {LINK}"
    assert targets["鲜牧乳业"]["text"] == TEXT and targets["鲜牧乳业"]["state"] == "waiting"
    assert [r["version"] for r in response.data["revisions"]] == [1]
    assert response.data["allowed"] == {"edit": True, "publish": True, "review": False, "fast_track": False}


@pytest.mark.parametrize(("text", "message"), [
    ("", "The text is empty: write something to post."),
    ("鲜" * 141 + LINK, "The text is 151 characters as Weibo counts them; the limit is 140. Shorten it by 11."),
    ("没有链接的文字", "statuses/share needs a link on the registered safe domain xianmu.example.com: add one."),
])
def test_create_reports_what_weibo_would_refuse_by_field(demo, api, pillar, text, message):
    response = create(api(demo.people["operator"]), demo, pillar, text=text)
    assert response.status_code == 400
    assert message in response.data["text"]
    assert not Post.objects.exists()


def test_a_picture_goes_up_as_multipart_and_comes_back(demo, api, pillar, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    client = api(demo.people["operator"])
    response = client.post(f"{API}/posts/", {
        "pillar": pillar.pk, "text": TEXT, "accounts": [demo.accounts["鲜牧乳业"].pk, demo.accounts["鲜牧酸奶"].pk],
        "image": SimpleUploadedFile("a.png", png, content_type="image/png")}, format="multipart")
    assert response.status_code == 201, response.data
    assert len(response.data["targets"]) == 2
    assert response.data["image_url"] == f"http://testserver{API}/posts/{response.data['id']}/image/"
    picture = client.get(response.data["image_url"])
    assert picture.status_code == 200
    assert b"".join(picture.streaming_content) == png
    plain = draft(demo, pillar)
    assert client.get(f"{API}/posts/{plain.pk}/image/").status_code == 404
    text_file = SimpleUploadedFile("a.png", b"not a picture", content_type="image/png")
    refused = client.post(f"{API}/posts/", {"pillar": pillar.pk, "text": TEXT, "image": text_file,
                                            "accounts": [demo.accounts["鲜牧乳业"].pk]}, format="multipart", **EN)
    assert refused.status_code == 400
    assert refused.data["image"] == ["The picture must be a JPEG, GIF or PNG file."]


def test_a_variant_for_an_account_the_post_does_not_go_to_is_400(demo, api, pillar):
    response = create(api(demo.people["operator"]), demo, pillar,
                      variants={str(demo.accounts["鲜牧酸奶"].pk): TEXT})
    assert response.status_code == 400
    assert response.data["variants"] == ["A variant is for an account the post goes to."]


def test_the_operator_cannot_draft_on_an_account_without_the_permission(demo, api, pillar):
    response = create(api(demo.people["operator"]), demo, pillar, names=("鲜牧乳业", "鲜牧华东"))
    assert response.status_code == 403
    assert response.data["detail"] == ("You do not have the “draft” permission on the account 鲜牧华东. "
                                       "Ask its owner or a manager for access.")
    assert not Post.objects.exists()


def test_a_time_without_its_offset_is_400(demo, api, pillar):
    naive = later().replace(tzinfo=None).isoformat()
    response = create(api(demo.people["operator"]), demo, pillar, scheduled_at=naive)
    assert response.status_code == 400
    assert response.data["scheduled_at"] == ["Give the time with its UTC offset, e.g. 2026-05-01T09:00:00+08:00."]
    assert not Post.objects.exists()


def test_create_with_a_time_in_the_past_keeps_nothing(demo, api, pillar):
    response = create(api(demo.people["operator"]), demo, pillar,
                      scheduled_at=(timezone.localtime() - timedelta(hours=1)).isoformat())
    assert response.status_code == 400
    assert response.data["scheduled_at"] == ["That time has passed: pick a time from now on."]
    assert not Post.objects.exists()


def test_partial_update_keeps_what_is_not_given(demo, api, pillar):
    post = draft(demo, pillar, names=("鲜牧乳业", "鲜牧酸奶"))
    response = api(demo.people["operator"]).patch(f"{API}/posts/{post.pk}/", {"text": f"改过的文案 {LINK}"},
                                                  format="json")
    assert response.status_code == 200, response.data
    assert response.data["text"] == f"改过的文案 {LINK}"
    assert {t["account_name"] for t in response.data["targets"]} == {"鲜牧乳业", "鲜牧酸奶"}
    stray = api(demo.people["operator"]).patch(f"{API}/posts/{post.pk}/", {
        "accounts": [demo.accounts["鲜牧乳业"].pk], "variants": {str(demo.accounts["鲜牧酸奶"].pk): TEXT}},
        format="json", **EN)
    assert stray.status_code == 400
    assert stray.data["variants"] == ["A variant is for an account the post goes to."]
    stray = api(demo.people["operator"]).patch(f"{API}/posts/{post.pk}/", {
        "variants": {str(demo.accounts["鲜牧客服"].pk): TEXT}}, format="json", **EN)
    assert stray.data["variants"] == ["A variant is for an account the post goes to."]
    nothing = api(demo.people["operator"]).patch(f"{API}/posts/{post.pk}/", {"accounts": []}, format="json", **EN)
    assert nothing.status_code == 400
    assert nothing.data["accounts"] == ["Choose at least one account to post to."]


# --- approval ----------------------------------------------------------------------------------

def test_the_reviewer_approves_and_the_post_goes_on_the_schedule(demo, api, pillar):
    at = later(3)
    created = create(api(demo.people["operator"]), demo, pillar, scheduled_at=at.isoformat())
    assert created.status_code == 201, created.data
    assert created.data["state"] == "in_review"
    [target] = created.data["targets"]
    assert target["state"] == "waiting"
    assert target["scheduled_at"] == at.isoformat()  # Asia/Shanghai, +08:00
    assert created.data["approval_plan"][0]["account_name"] == "鲜牧乳业"
    assert {p["username"] for p in created.data["approval_plan"][0]["approvers"]} == {"manager", "reviewer"}

    reviewer = api(demo.people["reviewer"])
    detail = reviewer.get(f"{API}/posts/{created.data['id']}/")
    assert detail.data["allowed"]["review"] is True
    response = reviewer.post(f"{API}/posts/{created.data['id']}/approve/", {"comment": "可以"}, format="json",
                             REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200, response.data
    assert response.data["state"] == "approved"
    assert response.data["targets"][0]["state"] == "scheduled"
    assert [(a["reviewer"]["username"], a["decision"], a["comment"]) for a in response.data["approvals"]] == [
        ("reviewer", "approved", "可以")]
    assert PostTarget.objects.get().rip == "203.0.113.9"  # Weibo receives the approver's IP


def test_the_author_cannot_approve_their_own_post(demo, api, pillar):
    post = draft(demo, pillar)
    services.post_submit(post=post, by=demo.people["operator"])
    response = api(demo.people["operator"]).post(f"{API}/posts/{post.pk}/approve/", {}, format="json", **EN)
    assert response.status_code == 403
    assert response.data["detail"] == ("You wrote or edited this post's text; someone who wrote none of it "
                                       "reviews it (or a manager fast-tracks it).")


def test_an_approver_who_edited_the_draft_through_the_api_is_refused_with_the_reason(demo, api, pillar):
    from positioning.models import AccountMember

    # The reviewer may also draft here: they rewrite the operator's draft, then try to approve it.
    AccountMember.objects.filter(account=demo.accounts["鲜牧乳业"], user=demo.people["reviewer"]).update(
        can_draft=True)
    post = draft(demo, pillar)
    reviewer = api(demo.people["reviewer"])
    edited = reviewer.patch(f"{API}/posts/{post.pk}/", {"text": f"审核员改写的文案 {LINK}"}, format="json", **EN)
    assert edited.status_code == 200, edited.data
    assert [(r["version"], r["text"]) for r in edited.data["revisions"]] == [
        (2, f"审核员改写的文案 {LINK}"), (1, TEXT)]
    services.post_submit(post=post, by=demo.people["operator"])
    detail = reviewer.get(f"{API}/posts/{post.pk}/")
    assert detail.data["allowed"]["review"] is False
    response = reviewer.post(f"{API}/posts/{post.pk}/approve/", {}, format="json", **EN)
    assert response.status_code == 403
    assert response.data["detail"] == ("You wrote or edited this post's text; someone who wrote none of it "
                                       "reviews it (or a manager fast-tracks it).")
    assert Post.objects.get(pk=post.pk).state == PostState.IN_REVIEW and not Approval.objects.exists()


def test_reject_needs_a_comment(demo, api, pillar):
    post = draft(demo, pillar)
    services.post_submit(post=post, by=demo.people["operator"])
    client = api(demo.people["reviewer"])
    response = client.post(f"{API}/posts/{post.pk}/reject/", {}, format="json", **EN)
    assert response.status_code == 400
    assert response.data["comment"] == ["Say what to change, so the author can fix it."]
    assert Post.objects.get().state == PostState.IN_REVIEW
    response = client.post(f"{API}/posts/{post.pk}/reject/", {"comment": "链接换成活动页"}, format="json")
    assert response.status_code == 200
    assert (response.data["state"], response.data["review_comment"]) == ("rejected", "链接换成活动页")


def test_only_a_manager_fast_tracks_and_it_is_recorded(demo, api, pillar):
    post = draft(demo, pillar)
    services.post_schedule(post=post, at=later(), by=demo.people["operator"], ip="203.0.113.1")
    refused = api(demo.people["operator"]).post(f"{API}/posts/{post.pk}/fast-track/", {"reason": "急"},
                                                format="json", **EN)
    assert refused.status_code == 403
    assert refused.data["detail"] == "Only a manager can fast-track a post."
    manager = api(demo.people["manager"])
    no_reason = manager.post(f"{API}/posts/{post.pk}/fast-track/", {}, format="json", **EN)
    assert no_reason.status_code == 400
    assert no_reason.data["reason"] == ["Say why this post cannot wait for the usual approval."]
    response = manager.post(f"{API}/posts/{post.pk}/fast-track/", {"reason": "危机声明"}, format="json")
    assert response.status_code == 200
    assert (response.data["state"], response.data["urgent"]) == ("approved", True)
    assert response.data["targets"][0]["state"] == "scheduled"
    approval = Approval.objects.get(post=post)
    assert (approval.reviewer, approval.decision, approval.comment) == (
        demo.people["manager"], "fast_tracked", "危机声明")
    assert AuditEvent.objects.filter(action="post.fast_track", ip="127.0.0.1").count() == 1


def test_submit_without_approval_needed_is_approved_at_once(demo, api, pillar):
    post = draft(demo, pillar, names=("鲜牧客服",), by="manager")  # 鲜牧客服's playbook needs no approval
    response = api(demo.people["manager"]).post(f"{API}/posts/{post.pk}/submit/")
    assert response.status_code == 200
    assert response.data["state"] == "approved"


# --- scheduling and publishing -----------------------------------------------------------------

def test_schedule_in_the_past_is_400_and_in_the_future_waits_for_approval(demo, api, pillar):
    post = draft(demo, pillar)
    client = api(demo.people["operator"])
    past = client.post(f"{API}/posts/{post.pk}/schedule/",
                       {"scheduled_at": (timezone.localtime() - timedelta(hours=1)).isoformat()}, format="json", **EN)
    assert past.status_code == 400
    assert past.data["scheduled_at"] == ["That time has passed: pick a time from now on."]
    assert PostTarget.objects.get().state == TargetState.WAITING and PostTarget.objects.get().scheduled_at is None
    at = later()
    response = client.post(f"{API}/posts/{post.pk}/schedule/", {"scheduled_at": at.isoformat()}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["state"] == "in_review"
    assert response.data["targets"][0]["scheduled_at"] == at.isoformat()


def test_publish_now_needs_approval_then_queues_the_targets(demo, api, pillar):
    post = draft(demo, pillar)
    client = api(demo.people["operator"])
    refused = client.post(f"{API}/posts/{post.pk}/publish-now/", **EN)
    assert refused.status_code == 400
    assert refused.data["non_field_errors"] == [
        "This post needs approval before it goes out (or a manager's fast-track)."]
    services.post_submit(post=post, by=demo.people["operator"])
    services.post_approve(post=post, by=demo.people["reviewer"], ip="203.0.113.9")
    response = client.post(f"{API}/posts/{post.pk}/publish-now/")
    assert response.status_code == 200, response.data
    target = PostTarget.objects.get()
    assert response.data["targets"] == [target.pk]
    assert target.state == TargetState.SCHEDULED and target.dispatched_at is not None


def test_targets_move_cancel_and_filters(demo, api, pillar):
    post = draft(demo, pillar, names=("鲜牧乳业", "鲜牧酸奶"))
    services.post_schedule(post=post, at=later(), by=demo.people["operator"], ip="203.0.113.1")
    client = api(demo.people["operator"])
    suannai = PostTarget.objects.get(account=demo.accounts["鲜牧酸奶"])
    listing = client.get(f"{API}/targets/", {"account": demo.accounts["鲜牧酸奶"].pk})
    assert [t["id"] for t in listing.data["results"]] == [suannai.pk]
    assert listing.data["results"][0]["pillar_name"] == "产品资讯"
    day = timezone.localtime(later()).date()
    assert client.get(f"{API}/targets/", {"date_from": day, "date_to": day}).data["count"] == 2
    assert client.get(f"{API}/targets/", {"date_from": day + timedelta(days=1)}).data["count"] == 0
    assert client.get(f"{API}/targets/", {"state": "waiting"}).data["count"] == 2

    naive = client.post(f"{API}/targets/{suannai.pk}/move/",
                        {"scheduled_at": later(5).replace(tzinfo=None).isoformat()}, format="json", **EN)
    assert naive.status_code == 400 and "UTC offset" in naive.data["scheduled_at"][0]
    moved = client.post(f"{API}/targets/{suannai.pk}/move/", {"scheduled_at": later(5).isoformat()}, format="json")
    assert moved.status_code == 200, moved.data
    assert moved.data["scheduled_at"] == later(5).isoformat()
    assert moved.data["publish_attempts"] == []
    cancelled = client.post(f"{API}/targets/{suannai.pk}/cancel/")
    assert cancelled.status_code == 200
    assert cancelled.data["state"] == "cancelled"
    assert PostTarget.objects.get(account=demo.accounts["鲜牧乳业"]).state == TargetState.WAITING


def test_target_metrics_are_the_snapshot_series(demo, api, pillar):
    post = draft(demo, pillar)
    target = post.targets.get()
    now = timezone.now()
    target.state, target.reposts, target.comments, target.attitudes, target.metrics_at = (
        TargetState.PUBLISHED, 5, 3, 20, now)
    target.save()
    MetricSnapshot.objects.bulk_create([
        MetricSnapshot(target=target, taken_at=now - timedelta(hours=1), reposts=1, comments=0, attitudes=4),
        MetricSnapshot(target=target, taken_at=now, reposts=5, comments=3, attitudes=20),
    ])
    response = api(demo.people["operator"]).get(f"{API}/targets/{target.pk}/metrics/")
    assert response.status_code == 200
    assert (response.data["target"], response.data["reposts"], response.data["attitudes"]) == (target.pk, 5, 20)
    assert [(s["reposts"], s["comments"], s["attitudes"]) for s in response.data["snapshots"]] == [
        (1, 0, 4), (5, 3, 20)]


# --- visibility --------------------------------------------------------------------------------

def test_posts_and_targets_of_accounts_one_cannot_see_are_404(demo, api, pillar):
    post = draft(demo, pillar, names=("鲜牧华东",), by="manager")
    target = post.targets.get()
    client = api(demo.people["operator"])
    assert client.get(f"{API}/posts/").data["count"] == 0
    assert client.get(f"{API}/targets/").data["count"] == 0
    for url in (f"{API}/posts/{post.pk}/", f"{API}/targets/{target.pk}/", f"{API}/targets/{target.pk}/metrics/"):
        assert client.get(url).status_code == 404, url
    for url in (f"{API}/posts/{post.pk}/approve/", f"{API}/posts/{post.pk}/submit/",
                f"{API}/posts/{post.pk}/publish-now/", f"{API}/targets/{target.pk}/cancel/"):
        assert client.post(url, {}, format="json").status_code == 404, url
    assert client.patch(f"{API}/posts/{post.pk}/", {"text": TEXT}, format="json").status_code == 404
    assert client.get(f"{API}/calendar/", {"account": demo.accounts["鲜牧华东"].pk}).status_code == 404
    assert api(demo.people["manager"]).get(f"{API}/posts/{post.pk}/").status_code == 200


def test_seeing_a_post_is_not_being_allowed_to_publish_it(demo, api, pillar):
    post = draft(demo, pillar, names=("鲜牧客服",), by="manager")  # the operator may only reply there
    response = api(demo.people["operator"]).post(f"{API}/posts/{post.pk}/schedule/",
                                                 {"scheduled_at": later().isoformat()}, format="json", **EN)
    assert response.status_code == 403
    assert "鲜牧客服" in response.data["detail"]


def test_anonymous_callers_are_401(demo, api):
    assert api().get(f"{API}/posts/").status_code == 401


# --- review queue, calendar, cadence -----------------------------------------------------------

def test_the_approvals_queue_shows_what_waits_for_the_caller(demo, api, pillar):
    post = draft(demo, pillar)
    services.post_schedule(post=post, at=later(), by=demo.people["operator"], ip="203.0.113.1")
    response = api(demo.people["reviewer"]).get(f"{API}/approvals/")
    assert response.status_code == 200
    [item] = response.data["results"]
    assert item["post"]["id"] == post.pk
    assert (item["target_minutes"], item["breached"], item["waiting_minutes"]) == (30, False, 0)
    assert item["first_slot"] == later().isoformat()
    assert [a["account_name"] for a in item["awaiting"]] == ["鲜牧乳业"]
    assert item["diff"] is None
    Post.objects.filter(pk=post.pk).update(submitted_at=timezone.now() - timedelta(minutes=45))
    item = api(demo.people["reviewer"]).get(f"{API}/approvals/").data["results"][0]
    assert (item["waiting_minutes"], item["breached"]) == (45, True)
    assert api(demo.people["operator"]).get(f"{API}/approvals/").data["count"] == 0  # not an approver there


def test_calendar_rows_days_and_slots(demo, api, pillar):
    tomorrow = timezone.localdate() + timedelta(days=1)
    at = datetime.combine(tomorrow, time(12, 0), tzinfo=timezone.get_current_timezone())
    post = draft(demo, pillar)
    services.post_schedule(post=post, at=at, by=demo.people["operator"], ip="203.0.113.1")
    services.post_approve(post=post, by=demo.people["reviewer"], ip="203.0.113.9")
    client = api(demo.people["operator"])
    response = client.get(f"{API}/calendar/", {"start": tomorrow.isoformat(), "days": 2})
    assert response.status_code == 200
    assert (response.data["start"], response.data["days"]) == (tomorrow.isoformat(), 2)
    rows = {row["account_name"]: row for row in response.data["rows"]}
    assert set(rows) == {"鲜牧乳业", "鲜牧客服", "鲜牧酸奶"}
    day = rows["鲜牧乳业"]["days"][0]
    assert day["day"] == tomorrow.isoformat()
    assert (day["planned"], day["done"], day["short"]) == (4, 1, 3)
    assert day["missing_pillars"] == ["品牌故事", "热点话题", "粉丝互动"]
    assert [s["at"][11:16] for s in day["slots"]] == ["08:30", "12:00", "17:30", "20:30"]
    noon = day["slots"][1]
    assert (noon["planned"], noon["gap"]) == (True, False)
    [slot_target] = noon["targets"]
    assert slot_target["id"] == post.targets.get().pk
    assert (slot_target["state"], slot_target["pillar_name"]) == ("scheduled", "产品资讯")
    assert slot_target["excerpt"] == TEXT[:40]
    assert day["slots"][0]["gap"] is True
    one = client.get(f"{API}/calendar/", {"start": tomorrow.isoformat(), "account": demo.accounts["鲜牧酸奶"].pk})
    assert [r["account_name"] for r in one.data["rows"]] == ["鲜牧酸奶"]
    assert len(one.data["rows"][0]["days"]) == 7
    bad = client.get(f"{API}/calendar/", {"start": "tomorrow", "days": 100})
    assert bad.status_code == 400
    assert set(bad.data) == {"start", "days"}


def test_cadence_per_account(demo, api):
    response = api(demo.people["manager"]).get(f"{API}/cadence/", {"days": 7})
    assert response.status_code == 200
    rows = {row["account_name"]: row for row in response.data}
    assert set(rows) == {"鲜牧乳业", "鲜牧客服", "鲜牧酸奶", "鲜牧华东"}
    assert rows["鲜牧乳业"]["per_day"] == 4
    assert len(rows["鲜牧乳业"]["counts"]) == 7
    assert rows["鲜牧乳业"]["counts"][-1] == {"day": timezone.localdate().isoformat(), "count": 0}
    assert (rows["鲜牧乳业"]["streak"], rows["鲜牧乳业"]["gaps"], rows["鲜牧乳业"]["average"]) == (0, 6, 0.0)


# --- checks ------------------------------------------------------------------------------------

def test_check_reports_problems_and_the_closest_recent_post(demo, api, pillar):
    post = draft(demo, pillar)
    client = api(demo.people["operator"])
    response = client.post(f"{API}/posts/check/", {"text": TEXT + "！", "accounts": [demo.accounts["鲜牧乳业"].pk]},
                           format="json")
    assert response.status_code == 200, response.data
    assert response.data["ok"] is True and response.data["problems"] == {}
    assert response.data["similar"]["post"] == post.pk
    bad = client.post(f"{API}/posts/check/", {"text": "最好的牛奶", "accounts": [demo.accounts["鲜牧乳业"].pk]},
                      format="json", **EN)
    assert bad.data["ok"] is False
    assert "鲜牧乳业's playbook forbids: 最好." in bad.data["problems"]["text"]
    hidden = client.post(f"{API}/posts/check/", {"text": TEXT, "accounts": [demo.accounts["鲜牧华东"].pk]},
                         format="json")
    assert hidden.status_code == 403
    assert Post.objects.count() == 1


# --- query counts ------------------------------------------------------------------------------

def _posts(demo, pillar, n: int) -> None:
    for _ in range(n):
        draft(demo, pillar, names=("鲜牧乳业", "鲜牧酸奶"))


@pytest.mark.parametrize("n", [3, 30])
def test_post_list_queries_do_not_grow_with_the_page(demo, api, pillar, django_assert_max_num_queries, n):
    _posts(demo, pillar, n)
    client = api(demo.people["operator"])
    with django_assert_max_num_queries(6):
        response = client.get(f"{API}/posts/", {"page_size": 50, "account": demo.accounts["鲜牧乳业"].pk})
    assert response.data["count"] == n


@pytest.mark.parametrize("n", [3, 30])
def test_target_list_queries_do_not_grow_with_the_page(demo, api, pillar, django_assert_max_num_queries, n):
    _posts(demo, pillar, n)
    client = api(demo.people["operator"])
    with django_assert_max_num_queries(5):
        response = client.get(f"{API}/targets/", {"page_size": 100})
    assert response.data["count"] == 2 * n


# --- schema ------------------------------------------------------------------------------------

def test_the_content_api_is_in_the_openapi_schema(demo, login):
    import yaml

    schema = login(demo.people["operator"]).get("/api/v1/schema/")
    assert schema.status_code == 200
    paths = yaml.safe_load(schema.content)["paths"]
    for path in ("pillars/", "pillars/{id}/", "posts/", "posts/{id}/", "posts/{id}/submit/", "posts/{id}/approve/",
                 "posts/{id}/reject/", "posts/{id}/fast-track/", "posts/{id}/schedule/", "posts/{id}/publish-now/",
                 "posts/check/", "targets/", "targets/{id}/", "targets/{id}/move/", "targets/{id}/cancel/",
                 "targets/{id}/metrics/", "approvals/", "calendar/", "cadence/"):
        assert f"/api/v1/content/{path}" in paths, path
    create = paths["/api/v1/content/posts/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/PostWrite")
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/PostDetail")


def test_the_schema_validates_without_warnings(tmp_path):
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


@pytest.mark.parametrize("far", ["9999-12-31", "0001-01-01"])
def test_far_dates_in_the_calendar_and_target_filters_are_400s(demo, api, far):
    client = api(demo.people["operator"])
    calendar = client.get(f"{API}/calendar/", {"start": far}, HTTP_ACCEPT_LANGUAGE="en")
    assert calendar.status_code == 400
    assert calendar.data == {"start": ["Give a date between 2000-01-01 and 2999-12-31."]}
    targets = client.get(f"{API}/targets/", {"date_from": far, "date_to": far}, HTTP_ACCEPT_LANGUAGE="en")
    assert targets.status_code == 400
    assert targets.data == {"date_from": ["Give a date between 2000-01-01 and 2999-12-31."],
                            "date_to": ["Give a date between 2000-01-01 and 2999-12-31."]}


@pytest.mark.parametrize("far", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_a_far_schedule_is_a_400(demo, api, pillar, far):
    client = api(demo.people["operator"])
    response = client.post(f"{API}/posts/", {"text": "鲜牧酸奶上新", "accounts": [demo.accounts["鲜牧乳业"].pk],
                                             "pillar": pillar.pk, "scheduled_at": far}, format="json",
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.data == {"scheduled_at": ["Give a date between 2000-01-01 and 2999-12-31."]}
    assert not Post.objects.exists()


def test_post_lists_carry_only_the_targets_of_accounts_the_caller_sees(demo, api, pillar):
    post = services.post_create(by=demo.people["operator"], pillar=pillar, text=TEXT,
                                accounts=[demo.accounts["鲜牧乳业"], demo.accounts["鲜牧酸奶"]],
                                variants={demo.accounts["鲜牧酸奶"].pk: f"酸奶号内部文案 {LINK}"})
    services.post_submit(post=post, by=demo.people["operator"])
    post.targets.filter(account=demo.accounts["鲜牧酸奶"]).update(
        scheduled_at=timezone.now() + timedelta(days=3), state=TargetState.FAILED, message="酸奶号的失败原因")
    pr = api(demo.people["pr"])  # sees 鲜牧乳业 and 鲜牧华东
    listing = pr.get(f"{API}/posts/")
    assert [[t["account_name"] for t in p["targets"]] for p in listing.data["results"]] == [["鲜牧乳业"]]
    [target] = listing.data["results"][0]["targets"]
    assert (target["variant"], target["scheduled_at"]) == ("", None)
    assert "酸奶号" not in str(listing.data)
    queue = pr.get(f"{API}/approvals/")
    assert [[t["account_name"] for t in i["post"]["targets"]] for i in queue.data["results"]] == [["鲜牧乳业"]]
    assert [[a["account_name"] for a in i["awaiting"]] for i in queue.data["results"]] == [["鲜牧乳业"]]
    detail = pr.get(f"{API}/posts/{post.pk}/")
    assert [t["account_name"] for t in detail.data["targets"]] == ["鲜牧乳业"]
    assert [r["variants"] for r in detail.data["revisions"]] == [{}]
    # Filtering by an account the caller cannot see is refused, not an answer about it.
    probe = pr.get(f"{API}/posts/", {"account": demo.accounts["鲜牧酸奶"].pk}, **EN)
    assert probe.status_code == 400 and list(probe.data) == ["account"]
    both = api(demo.people["reviewer"]).get(f"{API}/posts/")
    assert {t["account_name"]: t["variant"] for t in both.data["results"][0]["targets"]} == {
        "鲜牧乳业": "", "鲜牧酸奶": f"酸奶号内部文案 {LINK}"}
