"""The demo brand's fan interaction set-up: tags, reply templates, routing rules and department desks.

Run after ``seed_demo`` (``make run`` does). Safe to run again: what exists is kept. The inbox itself
fills from the sandbox: the first poll reads each account's recent mentions and comments (older ones
arrive as closed history), pushes bring private messages and follows, and the sandbox's traffic keeps
adding complaints, questions and praise that the rules below route while you watch.

It also seeds the fan practices so that their pages are not empty on the first visit: a few fans with
earlier (closed) messages recorded as suggestions and a tip-off, a gift and a revisit that is due
today, and one follower audit of 鲜牧乳业 scored from sample profiles (a live one reads the sandbox).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from fans import practices, services
from fans import text as features
from fans.ingest import fan_accounts_record
from fans.models import (
    DepartmentDesk,
    Fan,
    FollowerAudit,
    Interaction,
    Kind,
    Priority,
    ReplyTemplate,
    RoutingRule,
    Source,
    State,
    SuggestionState,
    Tag,
)
from positioning.models import Account, Brand
from team.models import Department, User
from weibo_ops.weibo.types import User as WeiboUser

TAGS = [("投诉", "#c0392b", False), ("建议", "#2f7dd0", False), ("表扬", "#2f9e6e", False),
        ("配送", "#d08a2f", False), ("质量", "#8e44ad", False), ("意见领袖", "#b8860b", False),
        ("疑似僵尸粉", "#7f8c8d", False), ("公关审核", "#34495e", True)]

TEMPLATES = [
    ("配送延迟致歉", "您好，非常抱歉这次配送让您久等了。麻烦私信我们订单号，我们马上联系物流核实，今天内给您答复。"),
    ("质量问题安抚", "您好，看到您反馈的情况我们很重视。请私信我们订单号和产品批次照片，质量专员会在 4 小时内联系您。"),
    ("感谢支持", "谢谢您的喜欢！有任何吃法心得也欢迎继续分享给我们～"),
    ("建议已采纳", "您之前的建议我们采纳啦：已经在新一批产品里改进，谢谢您帮我们变得更好！"),
]

# The rules route on the words the inbox reads complaints by (one list: fans.text).
COMPLAINT_WORDS = list(features.COMPLAINT_WORDS)

# The practices' demo: (uid, name, account, kind, text, days ago). Uids outside the sandbox's range.
PRACTICE_FANS = [
    ("7990000001", "奶香小太阳", "鲜牧乳业", Kind.COMMENT, "建议出个 200ml 的小瓶装，带去上班刚好一次喝完。", 9),
    ("7990000001", "奶香小太阳", "鲜牧乳业", Kind.COMMENT, "建议酸奶盖子做成可以重新盖上的，喝不完也不怕洒。", 4),
    ("7990000002", "北京宝妈Lily", "鲜牧客服", Kind.MESSAGE,
     "你们看下这条微博，有人说喝了拉肚子，其实是她自己放了三天：https://weibo.com/7990000099/DemoNeg1", 2),
    ("7990000003", "晨跑的阿杰", "鲜牧酸奶", Kind.COMMENT, "希望出无糖版本，健身党需要！", 6),
]
# Sample followers for the demo audit: (uid, name, followers, following, posts, avatar, days on Weibo).
AUDIT_SAMPLE = [
    ("7991000001", "用户7991000001", 0, 1800, 0, "", 12),
    ("7991000002", "abc20231234567", 2, 950, 1, "https://example.invalid/default_avatar_m_180.svg", 20),
    ("7991000003", "手机用户52013140", 1, 320, 3, "", 400),
    ("7991000004", "爱喝牛奶的小鹿", 230, 180, 540, "https://example.invalid/p/7991000004.jpg", 1500),
    ("7991000005", "上海吃货日记", 5200, 640, 2300, "https://example.invalid/p/7991000005.jpg", 2400),
]

# Weibo first: every department answers a Weibo complaint well before its normal turnaround.
DESKS = {"客户服务部": (48, 4), "物流部": (48, 12), "公关部": (24, 2), "法务部": (72, 24), "市场部": (72, 24)}


class Command(BaseCommand):
    help = "Create the demo brand's tags, reply templates, routing rules and department desks (kept if they exist)."

    @transaction.atomic
    def handle(self, *args, **options):
        brand = Brand.objects.filter(name="鲜牧乳业").first()
        if brand is None:
            self.stderr.write("Run manage.py seed_demo first: there is no demo brand.")
            return
        tags = {}
        for name, colour, approval in TAGS:
            tags[name] = Tag.objects.filter(brand=brand, name=name).first() or services.tag_create(
                brand=brand, by=None, name=name, colour=colour, replies_need_approval=approval)
        for name, text in TEMPLATES:
            if not ReplyTemplate.objects.filter(brand=brand, name=name).exists():
                services.template_create(brand=brand, by=None, name=name, text=text)
        departments = {d.name: d for d in Department.objects.all()}
        for name, (normal, first) in DESKS.items():
            if name in departments and not DepartmentDesk.objects.filter(department=departments[name]).exists():
                services.desk_set(department=departments[name], by=None, normal_hours=normal, weibo_first_hours=first)
        if not RoutingRule.objects.filter(brand=brand).exists():
            self._rules(brand, tags, departments)
        self._practices(brand)
        self.stdout.write(self.style.SUCCESS(
            f"Fan interaction for {brand.name}: {len(tags)} tags, {RoutingRule.objects.filter(brand=brand).count()} "
            "routing rules, department desks set."))

    def _rules(self, brand, tags, departments):
        accounts = {a.name: a for a in Account.objects.filter(brand=brand)}
        service = departments.get("客户服务部")
        operator = User.objects.filter(username="operator").first()
        rules = [
            {"name": "客服号投诉：客服部轮流接", "keywords": COMPLAINT_WORDS, "accounts": [accounts["鲜牧客服"]],
             "assign_department": service, "add_tags": [tags["投诉"]], "set_priority": Priority.HIGH,
             "mark_complaint": True},
            {"name": "主号投诉：运营编辑跟进", "keywords": COMPLAINT_WORDS, "accounts": [accounts["鲜牧乳业"]],
             "assign_to": operator, "add_tags": [tags["投诉"]], "set_priority": Priority.HIGH,
             "mark_complaint": True},
            {"name": "其他账号的投诉", "keywords": COMPLAINT_WORDS, "add_tags": [tags["投诉"]],
             "set_priority": Priority.HIGH, "mark_complaint": True},
            {"name": "大V与意见领袖优先", "min_influence": 60, "add_tags": [tags["意见领袖"]],
             "set_priority": Priority.URGENT},
            {"name": "客服号提问：客服部轮流接", "is_question": True, "accounts": [accounts["鲜牧客服"]],
             "assign_department": service},
            {"name": "疑似僵尸粉降级", "zombie": "only", "add_tags": [tags["疑似僵尸粉"]],
             "set_priority": Priority.LOW},
        ]
        for spec in rules:
            services.rule_create(brand=brand, by=None, **spec)

    def _practices(self, brand):
        """Suggestions, a tip-off, a gift, a revisit and a follower audit, once."""
        accounts = {a.name: a for a in Account.objects.filter(brand=brand)}
        people = {u.username: u for u in User.objects.filter(username__in=["manager", "operator", "agent"])}
        if len(people) < 3 or Interaction.objects.filter(platform_id__startswith="demo-practice-").exists():
            return
        now = timezone.now()
        items = []
        for n, (uid, name, account, kind, text, days) in enumerate(PRACTICE_FANS, start=1):
            fan, _new = Fan.objects.get_or_create(uid=uid, defaults={"screen_name": name})
            at = now - timedelta(days=days)
            items.append(Interaction.objects.create(
                account=accounts[account], kind=kind,
                source=Source.PUSH if kind == Kind.MESSAGE else Source.COMMENTS_TO_ME,
                object_type="message" if kind == Kind.MESSAGE else "comment", platform_id=f"demo-practice-{n}",
                fan=fan, text=text, created_at=at, thread_key=f"demo-practice:{uid}", state=State.CLOSED,
                needs_answer=False, closed_at=at))
        fan_accounts_record(items=items)  # as the ingest does for what it stores
        manager, operator, agent = people["manager"], people["operator"], people["agent"]
        first = practices.suggestion_record(item=items[0], by=operator, area="包装规格")
        practices.suggestion_decide(suggestion=first, state=SuggestionState.UNDER_REVIEW, by=manager,
                                    note="已转产品部评估小瓶装成本。")
        practices.suggestion_record(item=items[1], by=operator, area="酸奶包装")
        third = practices.suggestion_record(item=items[3], by=operator, area="酸奶口味")
        practices.suggestion_decide(suggestion=third, state=SuggestionState.DECLINED, by=manager,
                                    note="无糖版本已在研发排期中，暂不单独立项。")
        practices.tipoff_record(item=items[2], by=agent, url="https://weibo.com/7990000099/DemoNeg1",
                                note="已核实：产品开封后存放三天，非质量问题。")
        loyal = items[0].fan
        practices.gift_record(fan=loyal, by=operator, what="新品酸奶礼盒",
                              given_on=timezone.localdate() - timedelta(days=3),
                              reason="连续三个月分享早餐搭配，还提了两条包装建议", cost=Decimal("88.00"))
        practices.revisit_set(fan=loyal, by=operator, every_days=30, assignee=operator,
                              first_due=timezone.localdate())
        practices.revisit_set(fan=items[2].fan, by=agent, every_days=14, assignee=agent)
        if not FollowerAudit.objects.filter(account=accounts["鲜牧乳业"]).exists():
            sample = [WeiboUser(id=uid, screen_name=name, followers_count=followers, friends_count=following,
                                statuses_count=posts, profile_image_url=avatar, created_at=now - timedelta(days=age))
                      for uid, name, followers, following, posts, avatar, age in AUDIT_SAMPLE]
            practices.follower_audit_store(account=accounts["鲜牧乳业"], by=manager, users=sample,
                                           total=len(sample))
