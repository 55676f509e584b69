"""The demo brand's campaigns: an activity marketing registered that waits for the Weibo team, and a live
repost-with-prize campaign with goals, a plan across two departments (one task overdue and holding up
another), a prize application the advisor warns about (an iPhone) waiting for a manager, and its campaign
post, scheduled to go out to the sandbox ``--due-in`` seconds after start. Once it is out, ``make run``'s
sandbox plays the ``lottery_hunters`` scenario around it (twelve days back) and the harvest brings the
entrants in: real fans, lottery hunters and zombies.

Run after ``seed_demo`` (``make run`` does). Safe to run again: what exists is kept.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from campaigns import services
from campaigns.models import Activity, ActivityKind, Campaign, CampaignKind, Metric
from content import services as content_services
from positioning.models import Account, Brand
from team.models import Department, User

ACTIVITY = "夏季新品酸奶上市"
CAMPAIGN = "牧场开放日 · 转发抽奖"


POST_TEXT = "【转发抽奖】鲜牧牧场开放日来啦！关注@鲜牧乳业 并转发本条、@1 位好友，抽 10 位送牧场一日游双人名额"
DEMO_IP = "127.0.0.1"  # the scheduler's address sent to Weibo as rip
POST_PILLAR = "粉丝互动"  # an interaction pillar: no approval, so the post goes out at its time


class Command(BaseCommand):
    help = "Create the demo brand's activity intake and a live campaign with its plan (kept if they exist)."

    def add_arguments(self, parser):
        parser.add_argument("--due-in", type=int, default=90,
                            help="seconds from now until the campaign post goes out (the sandbox then plays its "
                                 "entrants)")

    @transaction.atomic
    def handle(self, *args, due_in: int = 90, **options):
        if due_in < 1:
            raise CommandError(f"--due-in {due_in}: give the seconds until the campaign post goes out, 1 or more.")
        brand = Brand.objects.filter(name="鲜牧乳业").first()
        if brand is None:
            self.stderr.write("Run manage.py seed_demo first: there is no demo brand.")
            return
        people = {u.username: u for u in User.objects.filter(username__in=["manager", "operator"])}
        departments = {d.name: d for d in Department.objects.all()}
        today = timezone.localdate()
        if not Activity.objects.filter(brand=brand, title=ACTIVITY).exists():
            services.activity_register(
                brand=brand, by=people["manager"], title=ACTIVITY, kind=ActivityKind.LAUNCH,
                department=departments["市场部"], owner=people["manager"], sponsor="市场部 张总监",
                starts_on=today + timedelta(days=30), ends_on=today + timedelta(days=44),
                description="6 月上市两款低糖酸奶：线下商超试吃 + 电商首发，希望微博同步预热。")
        if not Campaign.objects.filter(brand=brand, title=CAMPAIGN).exists():
            self._campaign(brand, people, departments, due_in=timedelta(seconds=due_in))
        self.stdout.write(self.style.SUCCESS(
            f"Campaigns for {brand.name}: {Campaign.objects.filter(brand=brand).count()} campaigns, "
            f"{Activity.objects.filter(brand=brand).count()} activities registered."))

    def _campaign(self, brand: Brand, people: dict, departments: dict, *, due_in: timedelta) -> None:
        now = timezone.now()
        manager, operator = people["manager"], people["operator"]
        campaign = services.campaign_create(
            brand=brand, by=manager, title=CAMPAIGN, kind=CampaignKind.REPOST_PRIZE, lead=operator,
            accounts=[Account.objects.get(brand=brand, name="鲜牧乳业")], starts_at=now - timedelta(days=13),
            ends_at=now + timedelta(days=2), sponsor="品牌中心 刘副总裁", budget=Decimal("20000"),
            prize_budget=Decimal("3000"), topic="鲜牧牧场开放日", winners_count=10, rule_follow=True,
            rule_mentions=1,
            brief="关注 @鲜牧乳业，转发并 @1 位好友，抽 10 位送牧场一日游双人名额。")
        services.campaign_start(campaign=campaign, by=manager)
        services.campaign_goals_set(campaign=campaign, by=manager, targets={
            Metric.SECOND_LEVEL: 500, Metric.PARTICIPANTS: 2000, Metric.RETAINED_7: 800})
        bus = services.task_create(
            campaign=campaign, by=manager, title="预订开放日往返大巴（2 辆）", department=departments["物流部"],
            due_at=now - timedelta(days=1), note="牧场路远，需提前一周确认车辆与司机。")
        services.task_create(
            campaign=campaign, by=manager, title="中奖名单公布后收集地址并寄出确认函",
            department=departments["客户服务部"], due_at=now + timedelta(days=6), depends_on=[bus])
        services.task_create(
            campaign=campaign, by=manager, title="牧场接待路线与安全讲解", department=departments["物流部"],
            due_at=now + timedelta(days=3))
        services.prize_apply(campaign=campaign, by=operator, name="iPhone 15", quantity=1,
                             unit_cost=Decimal("5999"))
        # The campaign post: published to the sandbox by the worker, featured (pinned) for the campaign.
        pillar = next(p for p in content_services.pillars_ensure(brand=brand) if p.name == POST_PILLAR)
        post = content_services.post_create(by=operator, pillar=pillar, campaign=campaign,
                                            text=f"{POST_TEXT} https://{settings.WEIBO_SAFE_DOMAIN}/open-day",
                                            accounts=[Account.objects.get(brand=brand, name="鲜牧乳业")])
        content_services.post_schedule(post=post, at=now + due_in, by=operator, ip=DEMO_IP)
        services.campaign_update(campaign=campaign, by=manager, values={"featured_post": post})
