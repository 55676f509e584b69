"""Campaign services: the intake, the plan, prizes, eligibility and the draw. Every refusal says why and changes
nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from campaigns import draw, eligibility, services
from campaigns.models import (
    ActivityKind,
    ActivityState,
    Campaign,
    CampaignKind,
    CampaignState,
    Entry,
    EntryKind,
    Participant,
    PrizeState,
    TaskState,
)
from fans.models import Fan, Interaction, Kind, Source
from team.models import Department, Notice

pytestmark = [pytest.mark.embedded, pytest.mark.usefixtures("english")]  # the messages are read in English

HOUR = timedelta(hours=1)


def dept(name: str) -> Department:
    return Department.objects.get_or_create(name=name)[0]


def make_campaign(demo, *, ended=False, by="operator", **fields) -> Campaign:
    now = timezone.now()
    start, end = (now - timedelta(days=10), now - timedelta(days=3)) if ended else (now + HOUR, now + 7 * 24 * HOUR)
    values = {"kind": CampaignKind.REPOST_PRIZE, "winners_count": 2, "prize_budget": Decimal("3000"),
              "rule_follow": False} | fields
    return services.campaign_create(brand=demo.brand, by=demo.people[by], title="鲜牧酸奶新品转发抽奖",
                                    lead=demo.people["operator"], accounts=[demo.accounts["鲜牧乳业"]],
                                    starts_at=start, ends_at=end, **values)


def test_an_activity_registered_by_any_department_tells_the_weibo_team_once(demo):
    logistics = demo.people["logistics"]
    activity = services.activity_register(
        brand=demo.brand, by=logistics, title="牧场开放日", kind=ActivityKind.OFFLINE_EVENT,
        department=logistics.department, owner=logistics, sponsor="张总（副总裁）",
        starts_on=timezone.localdate() + timedelta(days=30), ends_on=timezone.localdate() + timedelta(days=31))
    told = set(Notice.objects.filter(kind="campaign.activity").values_list("recipient__username", flat=True))
    assert {"operator", "manager", "pr"} <= told and "logistics" not in told and "agent" not in told
    assert activity.state == ActivityState.NEW
    with pytest.raises(ValidationError, match="Say why"):
        services.activity_decline(activity=activity, by=demo.people["operator"], reason=" ")
    with pytest.raises(PermissionDenied):
        services.activity_decline(activity=activity, by=demo.people["logistics"], reason="不做")


def test_dates_the_wrong_way_round_are_refused(demo):
    with pytest.raises(ValidationError) as error:
        services.activity_register(brand=demo.brand, by=demo.people["logistics"], title="x", kind="other",
                                   department=dept("物流部"), owner=demo.people["logistics"], sponsor="s",
                                   starts_on=timezone.localdate(), ends_on=timezone.localdate() - timedelta(days=1))
    assert "ends_on" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.campaign_create(brand=demo.brand, by=demo.people["operator"], title="x", kind="repost_prize",
                                 lead=demo.people["operator"], accounts=[demo.accounts["鲜牧乳业"]],
                                 starts_at=timezone.now(), ends_at=timezone.now() - HOUR)
    assert "ends_at" in error.value.message_dict
    assert not Campaign.objects.exists()


def test_a_campaign_made_from_an_activity_takes_it_and_only_the_weibo_team_runs_campaigns(demo):
    logistics = demo.people["logistics"]
    activity = services.activity_register(
        brand=demo.brand, by=logistics, title="新品发布会", kind=ActivityKind.LAUNCH, department=logistics.department,
        owner=logistics, sponsor="张总", starts_on=timezone.localdate(), ends_on=timezone.localdate())
    with pytest.raises(PermissionDenied, match="Register the activity instead"):
        make_campaign(demo, by="logistics")
    with pytest.raises(PermissionDenied, match="鲜牧乳业"):
        make_campaign(demo, by="reviewer")  # may approve, not draft
    campaign = make_campaign(demo, activity=activity)
    activity.refresh_from_db()
    assert activity.state == ActivityState.TAKEN and campaign.sponsor == "张总" and campaign.stats.reposts == 0
    assert Notice.objects.filter(recipient=logistics, kind="campaign.activity_taken").count() == 1


def test_a_dependency_cycle_is_refused_and_nothing_changes(demo):
    campaign = make_campaign(demo)
    by, due = demo.people["operator"], timezone.now() + 24 * HOUR
    bus = services.task_create(campaign=campaign, by=by, title="包车", department=dept("物流部"), due_at=due)
    venue = services.task_create(campaign=campaign, by=by, title="场地", department=dept("行政部"), due_at=due,
                                 depends_on=[bus])
    guide = services.task_create(campaign=campaign, by=by, title="讲解", department=dept("行政部"), due_at=due,
                                 depends_on=[venue])
    with pytest.raises(ValidationError, match="dependency cycle") as error:
        services.task_update(task=bus, by=by, values={}, depends_on=[guide])
    assert "depends_on" in error.value.message_dict
    with pytest.raises(ValidationError, match="dependency cycle"):
        services.task_update(task=bus, by=by, values={}, depends_on=[bus])
    assert list(bus.depends_on.all()) == []
    with pytest.raises(ValidationError, match="包车"):
        services.task_state_set(task=venue, by=by, state=TaskState.DONE)  # waits for the bus


def test_a_department_updates_its_own_tasks_only(demo):
    campaign = make_campaign(demo)
    task = services.task_create(campaign=campaign, by=demo.people["operator"], title="包车", department=dept("物流部"),
                                due_at=timezone.now() + HOUR)
    services.task_state_set(task=task, by=demo.people["logistics"], state=TaskState.DOING, note="已联系车队")
    task.refresh_from_db()
    assert task.state == TaskState.DOING and task.note == "已联系车队"
    with pytest.raises(PermissionDenied, match="物流部"):
        services.task_state_set(task=task, by=demo.people["service"], state=TaskState.DONE)


def test_an_overdue_task_is_told_once_with_the_tasks_it_blocks(demo):
    campaign = make_campaign(demo)
    by = demo.people["operator"]
    bus = services.task_create(campaign=campaign, by=by, title="包车", department=dept("物流部"),
                               owner=demo.people["logistics"], due_at=timezone.now() - HOUR)
    services.task_create(campaign=campaign, by=by, title="签到", department=dept("客户服务部"),
                         owner=demo.people["service"], due_at=timezone.now() + HOUR, depends_on=[bus])
    assert services.tasks_flag_overdue() == 1
    assert services.tasks_flag_overdue() == 0  # once
    notices = Notice.objects.filter(kind="campaign.task_overdue")
    assert set(notices.values_list("recipient__username", flat=True)) == {"logistics", "operator", "service"}
    assert notices.first().title == f"Overdue and blocking 1 tasks: 包车 ({campaign.title})"
    services.task_update(task=bus, by=by, values={"due_at": timezone.now() - timedelta(minutes=5)})
    assert services.tasks_flag_overdue() == 1  # a new due time, missed again: told again


def _audience(demo, n: int) -> None:
    account = demo.accounts["鲜牧乳业"]
    fans = Fan.objects.bulk_create(Fan(uid=str(5_000_000 + i)) for i in range(n))
    Interaction.objects.bulk_create(
        Interaction(account=account, kind=Kind.COMMENT, source=Source.COMMENTS_TO_ME, object_type="comment",
                    platform_id=str(70_000 + i), fan=fan, created_at=timezone.now() - 24 * HOUR, thread_key="s:1")
        for i, fan in enumerate(fans))


def test_the_prize_advisor_warns_on_generic_and_expensive_prizes_and_keeps_quiet_on_own_products(demo):
    _audience(demo, 600)
    campaign = make_campaign(demo)
    phone = services.prize_apply(campaign=campaign, by=demo.people["operator"], name="iPhone 16",
                                 quantity=1, unit_cost=Decimal("5999"))
    assert [code for code, _values in phone.warnings] == ["generic", "high_value", "audience", "over_budget"]
    own = services.prize_apply(campaign=campaign, by=demo.people["operator"], name="鲜牧酸奶礼盒",
                               quantity=5, unit_cost=Decimal("59"))
    assert [code for code, _values in own.warnings] == ["audience", "over_budget"]  # the phone still counts
    services.prize_decide(prize=phone, by=demo.people["manager"], approve=False, note="换成自家产品")
    third = services.prize_apply(campaign=campaign, by=demo.people["operator"], name="牧场参观名额",
                                 quantity=2, unit_cost=Decimal("80"))
    assert third.warnings == []  # 455 yuan for 600 people, within the budget


def test_a_prize_is_decided_by_another_manager_within_the_budget(demo):
    campaign = make_campaign(demo, by="manager", prize_budget=Decimal("500"))
    prize = services.prize_apply(campaign=campaign, by=demo.people["manager"], name="酸奶礼盒", quantity=10,
                                 unit_cost=Decimal("60"))
    with pytest.raises(PermissionDenied, match="another manager"):
        services.prize_decide(prize=prize, by=demo.people["manager"], approve=True)
    with pytest.raises(PermissionDenied, match="Only a manager"):
        services.prize_decide(prize=prize, by=demo.people["operator"], approve=True)
    with pytest.raises(ValidationError, match=r"600\.00 yuan on prizes, above the budget of 500\.00"):
        services.prize_decide(prize=prize, by=demo.people["admin"], approve=True)
    prize.refresh_from_db()
    assert prize.state == PrizeState.PENDING
    services.campaign_update(campaign=campaign, by=demo.people["manager"], values={"prize_budget": Decimal("800")})
    services.prize_decide(prize=prize, by=demo.people["admin"], approve=True)
    assert Notice.objects.filter(recipient=demo.people["manager"], kind="campaign.prize_decided").count() == 1


def enter(campaign, uid: str, text: str, *, mentions=1, at=None, fan=None, depth=1) -> Participant:
    at = at or campaign.starts_at + HOUR
    Entry.objects.create(campaign=campaign, kind=EntryKind.REPOST, platform_id=str(9_000_000 + int(uid)),
                         status_id="1", uid=uid, screen_name=f"u{uid}", text=text, posted_at=at, mentions=mentions,
                         depth=depth)
    return Participant.objects.update_or_create(
        campaign=campaign, uid=uid, defaults={"screen_name": f"u{uid}", "first_entry_at": at, "fan": fan,
                                              "first_entry_id": str(9_000_000 + int(uid))})[0]


def test_eligibility_gives_each_exclusion_its_reason(demo):
    campaign = make_campaign(demo, ended=True, rule_follow=True, rule_mentions=1, rule_keyword="鲜牧")
    zombie = Fan.objects.create(uid="105", screen_name="用户5839204711", zombie=0.8,
                                score_reasons={"zombie": [["no_avatar", {}], ["no_posts", {"n": 0}]]})
    enter(campaign, "101", "想要！鲜牧酸奶 @好友A")
    enter(campaign, "102", "想要 @好友A//@u101:想要！鲜牧酸奶 @好友A")  # the keyword only in the chain
    enter(campaign, "103", "鲜牧酸奶好喝", mentions=0)
    enter(campaign, "104", "鲜牧酸奶 @好友B", at=campaign.ends_at + HOUR)
    enter(campaign, "105", "鲜牧 @好友C", fan=zombie)
    enter(campaign, "106", "鲜牧 @好友D")
    own = demo.accounts["鲜牧乳业"]
    own.weibo_uid = "107"
    own.save(update_fields=["weibo_uid"])
    enter(campaign, "107", "鲜牧 @好友E")
    result = eligibility.participants_evaluate(campaign=campaign, followers={"101", "102", "103", "104", "105",
                                                                             "107"})
    reasons = {p.uid: [code for code, _v in p.reasons] for p in Participant.objects.filter(campaign=campaign)}
    assert reasons == {"101": [], "102": ["keyword"], "103": ["mentions"], "104": ["window"], "105": ["zombie"],
                       "106": ["not_following"], "107": ["own_account"]}
    assert result.eligible == 1 and result.excluded == {"keyword": 1, "mentions": 1, "window": 1, "zombie": 1,
                                                        "not_following": 1, "own_account": 1}
    with translation.override("en"):
        words = eligibility.reason_words(Participant.objects.get(campaign=campaign, uid="105").reasons)
    assert words == ["looks like a zombie account (0.80): no avatar、0 posts"]


def test_an_unfollow_pushed_after_the_follow_excludes_even_if_the_list_is_stale(demo):
    campaign = make_campaign(demo, ended=True, rule_follow=True)
    fan = Fan.objects.create(uid="201")
    account = demo.accounts["鲜牧乳业"]
    for n, kind in enumerate([Kind.FOLLOW, Kind.UNFOLLOW]):
        Interaction.objects.create(account=account, kind=kind, source=Source.PUSH, object_type="event",
                                   platform_id=f"e{n}", fan=fan, thread_key="m:201",
                                   created_at=campaign.starts_at + n * HOUR)
    enter(campaign, "201", "转发 @好友")
    eligibility.participants_evaluate(campaign=campaign, followers={"201"})
    assert Participant.objects.get(uid="201").reasons == [["not_following", {"account": "鲜牧乳业"}]]


def drawn_campaign(demo, n=40):
    campaign = make_campaign(demo, ended=True, winners_count=3)
    for i in range(n):
        enter(campaign, str(300 + i), "转发 @好友")
    return campaign


def test_the_draw_refuses_before_the_commitment_after_a_rule_change_and_twice(demo):
    campaign = drawn_campaign(demo)
    operator = demo.people["operator"]
    with pytest.raises(ValidationError, match="Commit the seed first"):
        services.campaign_draw(campaign=campaign, by=operator)
    services.campaign_commit_seed(campaign=campaign, by=operator)
    committed = campaign.seed_hash
    assert committed == draw.seed_commitment(Campaign.objects.get(pk=campaign.pk).seed)
    assert Campaign.objects.get(pk=campaign.pk).revealed_seed == ""  # secret until the draw
    services.campaign_update(campaign=campaign, by=operator, values={"rule_mentions": 2})
    with pytest.raises(ValidationError, match="rules changed after the seed was committed"):
        services.campaign_draw(campaign=campaign, by=operator)
    services.campaign_update(campaign=campaign, by=operator, values={"rule_mentions": 1})
    services.campaign_commit_seed(campaign=campaign, by=operator)
    assert campaign.seed_hash != committed
    winners = services.campaign_draw(campaign=campaign, by=operator)
    assert len(winners) == 3
    with pytest.raises(ValidationError, match="never runs twice"):
        services.campaign_draw(campaign=Campaign.objects.get(pk=campaign.pk), by=operator)
    with pytest.raises(ValidationError, match="can no longer change"):
        services.campaign_update(campaign=Campaign.objects.get(pk=campaign.pk), by=operator,
                                 values={"rule_mentions": 0})


def test_the_draw_waits_for_entries_to_close(demo):
    campaign = make_campaign(demo, winners_count=1)
    services.campaign_commit_seed(campaign=campaign, by=demo.people["operator"])
    with pytest.raises(ValidationError, match="Entries are open until"):
        services.campaign_draw(campaign=campaign, by=demo.people["operator"])
    assert Campaign.objects.get(pk=campaign.pk).drawn_at is None


def test_anyone_re_runs_the_draw_from_the_published_list_and_seed(demo):
    campaign = drawn_campaign(demo)
    operator = demo.people["operator"]
    prize = services.prize_apply(campaign=campaign, by=operator, name="酸奶礼盒", quantity=2, unit_cost=Decimal("50"))
    services.prize_decide(prize=prize, by=demo.people["manager"], approve=True)
    services.campaign_commit_seed(campaign=campaign, by=operator)
    winners = services.campaign_draw(campaign=campaign, by=operator)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DRAWN
    published = draw.participants_text(Participant.objects.filter(campaign=campaign, eligible=True)
                                       .values_list("uid", flat=True))
    check = draw.verify(participants=published, seed=campaign.revealed_seed, count=campaign.winners_count,
                        commitment=campaign.seed_hash, list_digest=campaign.participants_digest,
                        published_winners=[w.participant.uid for w in winners])
    assert check.ok and check.winners == [w.participant.uid for w in winners]
    assert [w.prize_id for w in winners] == [prize.pk, prize.pk, None]  # two prizes approved, three winners


def test_an_override_needs_a_reason_and_stands_above_the_rules(demo):
    campaign = make_campaign(demo, ended=True, rule_mentions=2)
    participant = enter(campaign, "401", "转发 @好友")
    eligibility.participants_evaluate(campaign=campaign, followers=set())
    participant.refresh_from_db()
    assert not participant.eligible
    with pytest.raises(ValidationError) as error:
        services.participant_override(participant=participant, by=demo.people["operator"], eligible=True, reason="")
    assert "reason" in error.value.message_dict
    services.participant_override(participant=participant, by=demo.people["operator"], eligible=True,
                                  reason="@ 的好友在图片里")
    eligibility.participants_evaluate(campaign=campaign, followers=set())
    participant.refresh_from_db()
    assert participant.eligible and not participant.ruled_eligible and participant.override_by.username == "operator"
    with pytest.raises(PermissionDenied):
        services.participant_override(participant=participant, by=demo.people["agent"], eligible=False, reason="x")


def test_the_lead_is_reminded_once_to_pin_the_featured_post_and_once_to_unpin_it(demo):
    from content.models import Pillar, Post, PostState, PostTarget, TargetState

    campaign = make_campaign(demo)
    pillar = Pillar.objects.create(brand=demo.brand, name="活动")
    post = Post.objects.create(brand=demo.brand, pillar=pillar, text="转发抽奖", created_by=demo.people["operator"],
                               state=PostState.APPROVED, campaign=campaign)
    target = PostTarget.objects.create(post=post, account=demo.accounts["鲜牧乳业"], state=TargetState.SCHEDULED)
    services.campaign_update(campaign=campaign, by=demo.people["operator"], values={"featured_post": post})
    services.campaign_start(campaign=campaign, by=demo.people["operator"])
    assert services.campaigns_pin_remind() == 0  # not out yet
    PostTarget.objects.filter(pk=target.pk).update(state=TargetState.PUBLISHED, published_at=timezone.now(),
                                                   url="https://weibo.com/1/abc")
    assert services.campaigns_pin_remind() == 1
    assert services.campaigns_pin_remind() == 0
    assert services.campaigns_pin_remind(now=campaign.ends_at + HOUR) == 1
    assert services.campaigns_pin_remind(now=campaign.ends_at + 2 * HOUR) == 0
    kinds = list(Notice.objects.filter(recipient=demo.people["operator"], kind__startswith="campaign.").exclude(
        kind="campaign.lead").order_by("id").values_list("kind", "body"))
    assert kinds == [("campaign.pin", "鲜牧乳业 https://weibo.com/1/abc"),
                     ("campaign.unpin", "鲜牧乳业 https://weibo.com/1/abc")]


def test_closing_entries_early_is_a_rule_change_that_needs_a_new_commitment(demo):
    campaign = make_campaign(demo, winners_count=1)
    operator = demo.people["operator"]
    with pytest.raises(ValidationError, match="has not started"):
        services.campaign_close_entries(campaign=campaign, by=operator)
    Campaign.objects.filter(pk=campaign.pk).update(starts_at=timezone.now() - 24 * HOUR)
    campaign.refresh_from_db()
    enter(campaign, "501", "转发 @好友", at=timezone.now() - HOUR)
    services.campaign_commit_seed(campaign=campaign, by=operator)
    services.campaign_close_entries(campaign=campaign, by=operator)
    assert campaign.ends_at <= timezone.now()
    with pytest.raises(ValidationError, match="rules changed"):
        services.campaign_draw(campaign=campaign, by=operator, followers=set())
    services.campaign_commit_seed(campaign=campaign, by=operator)
    assert [w.participant.uid for w in services.campaign_draw(campaign=campaign, by=operator)] == ["501"]
    with pytest.raises(ValidationError, match="already closed"):
        services.campaign_close_entries(campaign=campaign, by=operator)


def test_the_clock_starts_campaigns_tells_overdue_tasks_and_checks_eligibility_on_demand(demo):
    campaign = make_campaign(demo, winners_count=1)
    services.task_create(campaign=campaign, by=demo.people["operator"], title="物料", department=dept("市场部"),
                         due_at=timezone.now() - HOUR)
    assert services.campaigns_tick() == {"started": 0, "overdue": 1, "pin_reminders": 0}
    assert services.campaigns_tick(now=campaign.starts_at + HOUR) == {"started": 1, "overdue": 0, "pin_reminders": 0}
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.LIVE
    enter(campaign, "601", "转发 @好友")
    with pytest.raises(PermissionDenied):
        services.campaign_participants_check(campaign=campaign, by=demo.people["agent"])
    result = services.campaign_participants_check(campaign=campaign, by=demo.people["operator"])
    assert (result.participants, result.eligible) == (1, 1)


def test_a_department_contact_is_sent_to_their_tasks_and_only_the_campaigns_own_posts_are_featured(demo):
    from content.models import Pillar, Post

    campaign = make_campaign(demo)
    services.task_create(campaign=campaign, by=demo.people["operator"], title="包车", department=dept("物流部"),
                         owner=demo.people["logistics"], due_at=timezone.now() - HOUR)
    services.tasks_flag_overdue()
    urls = dict(Notice.objects.filter(kind="campaign.task_overdue").values_list("recipient__username", "url"))
    assert urls == {"logistics": "/campaigns/tasks/", "operator": f"/campaigns/{campaign.pk}/plan/"}
    other = Post.objects.create(brand=demo.brand, pillar=Pillar.objects.create(brand=demo.brand, name="x"),
                                text="别的", created_by=demo.people["operator"])
    with pytest.raises(ValidationError) as error:
        services.campaign_update(campaign=campaign, by=demo.people["operator"], values={"featured_post": other})
    assert error.value.message_dict == {"featured_post": ["Feature one of the campaign's own posts."]}
