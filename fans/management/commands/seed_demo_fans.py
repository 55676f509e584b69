"""The demo brand's fan interaction set-up: tags, reply templates, routing rules and department desks.

Run after ``seed_demo`` (``make run`` does). Safe to run again: what exists is kept. The inbox itself
fills from the sandbox: the first poll reads each account's recent mentions and comments (older ones
arrive as closed history), pushes bring private messages and follows, and the sandbox's traffic keeps
adding complaints, questions and praise that the rules below route while you watch.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from fans import services
from fans import text as features
from fans.models import DepartmentDesk, Priority, ReplyTemplate, RoutingRule, Tag
from positioning.models import Account, Brand
from team.models import Department, User

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
