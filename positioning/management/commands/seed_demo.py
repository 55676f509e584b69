"""Creates the demo brand: a dairy brand with a four-account matrix, its people and playbooks.

Safe to run again: what exists is kept (a second ``make run`` keeps the data people changed).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from positioning import services
from positioning.access import ROLE_DEFAULTS, Action
from positioning.models import Account, Brand, PlaybookVersion
from team import services as team_services
from team.models import Department, Role, User

DEMO_PASSWORD = "weibo-demo-2026"  # demo only; printed by make run

DEPARTMENTS = [
    ("微博运营部", "品牌微博矩阵的内容、活动与粉丝互动", "weibo@xianmu.example", "021-5550-1001"),
    ("客户服务部", "产品投诉、退换货与售后跟进", "service@xianmu.example", "400-820-1234"),
    ("公关部", "舆情研判、危机应对与统一口径", "pr@xianmu.example", "021-5550-1003"),
    ("法务部", "侵权、不实信息与合规审核", "legal@xianmu.example", "021-5550-1004"),
    ("市场部", "品牌活动、推广预算与渠道", "marketing@xianmu.example", "021-5550-1005"),
    ("物流部", "配送时效、冷链与破损处理", "logistics@xianmu.example", "021-5550-1006"),
]

# username, display name, role, department, phone
PEOPLE = [
    ("admin", "系统管理员", Role.ADMIN, "微博运营部", "138-0000-0001"),
    ("manager", "王敏（运营主管）", Role.MANAGER, "微博运营部", "138-0000-0002"),
    ("operator", "李想（运营编辑）", Role.OPERATOR, "微博运营部", "138-0000-0003"),
    ("reviewer", "周婷（内容审核）", Role.REVIEWER, "微博运营部", "138-0000-0004"),
    ("agent", "陈晨（客服专员）", Role.CS_AGENT, "客户服务部", "138-0000-0005"),
    ("pr", "赵磊（公关经理）", Role.PR, "公关部", "138-0000-0006"),
    ("logistics", "孙悦（物流对接人）", Role.DEPT_CONTACT, "物流部", "138-0000-0007"),
    ("service", "刘洋（售后对接人）", Role.DEPT_CONTACT, "客户服务部", "138-0000-0008"),
    # Legal hears of food-safety and health claims from the first grade (sentiment.playbooks.SERIOUS_MATTERS).
    ("legal", "吴静（法务对接人）", Role.DEPT_CONTACT, "法务部", "138-0000-0009"),
]

ACCOUNTS = [
    {
        "name": "鲜牧乳业", "purpose": "brand_voice", "owner": "manager",
        "value_proposition": "把牧场到餐桌的每一步讲清楚：奶源、工艺、检测，让关注者放心喝。",
        "tone_of_voice": "像一位懂行的牧场朋友：亲切、实在、有一点幽默；不用官腔，不夸大功效。",
        "profile_text": "鲜牧乳业官方微博｜每一滴都来自自有牧场",
        "circles": [("年轻父母", "给孩子选奶的 25–40 岁家长", "奶源与检测信息、育儿饮食小知识"),
                    ("健康生活圈", "关注营养与健身的城市白领", "低脂高蛋白搭配、早餐灵感")],
        "grants": {"operator": None, "reviewer": None, "pr": None},
        "playbook": {
            "content_mix": [{"pillar": "品牌故事", "per_day": 1}, {"pillar": "产品资讯", "per_day": 1},
                            {"pillar": "热点话题", "per_day": 1}, {"pillar": "粉丝互动", "per_day": 1}],
            "time_slots": ["08:30", "12:00", "17:30", "20:30"],
            "reply_within_hours": 2, "resolve_within_hours": 24,
            "interaction_rules": (
                "每条 @ 和评论都回复，哪怕只是一个微笑表情。\n"
                "粉丝建议被采纳后，回到原微博告诉对方。\n"
                "转发并收藏正面口碑。"
            ),
            "escalation_rules": (
                "产品质量投诉：1 小时内转客户服务部，并私信安抚。\n"
                "负面集中出现（30 分钟内 ≥10 条）：通知公关部，统一口径后再回应。\n"
                "涉及谣言或侵权：转法务部，不删帖。"
            ),
            "forbidden_words": ["最好", "第一", "治疗", "根治", "国家级"],
            "approval_required": True, "approval_mode": "any", "approvers": ["reviewer", "manager"],
            "approval_target_minutes": 30, "change_note": "首版运营手册",
        },
    },
    {
        "name": "鲜牧客服", "purpose": "customer_service", "owner": "manager",
        "value_proposition": "微博优先：订购、配送、售后问题在微博上就能得到答复与跟进。",
        "tone_of_voice": "耐心、具体、先解决问题再解释原因；称呼对方“您”，不复制粘贴模板话术。",
        "profile_text": "鲜牧乳业官方客服｜工作日 8:00–22:00 在线",
        "circles": [("已购用户", "订奶到家与电商渠道的顾客", "快速售后与配送进度")],
        "grants": {"agent": None, "operator": {"reply"}},
        "playbook": {
            "content_mix": [{"pillar": "服务公告", "per_day": 1}, {"pillar": "常见问题", "per_day": 1}],
            "time_slots": ["09:00", "19:00"],
            "reply_within_hours": 1, "resolve_within_hours": 8,
            "interaction_rules": "私信与投诉 1 小时内首次回复；已转交的问题每天向粉丝同步一次进度。",
            "escalation_rules": "配送问题转物流部；质量问题转客户服务部并抄送公关部。时限按各部门的微博优先时限。",
            "forbidden_words": ["不可能", "不归我们管"],
            "approval_required": False, "approval_mode": "any", "approvers": [],
            "approval_target_minutes": 15, "change_note": "首版运营手册",
        },
    },
    {
        "name": "鲜牧酸奶", "purpose": "product", "owner": "operator",
        "value_proposition": "新口味抢先尝、吃法分享与新品活动。",
        "tone_of_voice": "轻松活泼、爱分享吃法，可以用网络流行语但不过度。",
        "profile_text": "鲜牧酸奶｜每天一杯的小确幸",
        "circles": [("学生与年轻白领", "18–30 岁，爱尝鲜、爱拍照", "新品试吃与随手拍活动")],
        "grants": {"reviewer": None},
        "playbook": None,
    },
    {
        "name": "鲜牧华东", "purpose": "region", "region": "上海、江苏、浙江", "owner": "manager",
        "value_proposition": "华东区域的门店活动、牧场参观与本地配送信息。",
        "tone_of_voice": "接地气，提到具体城市与门店。",
        "profile_text": "鲜牧乳业华东区官方微博",
        "circles": [("华东家庭", "沪苏浙的订奶家庭", "本地活动与配送通知")],
        "grants": {"pr": None},
        "playbook": None,
    },
]


class Command(BaseCommand):
    help = "Create the demo brand, its account matrix and demo people (kept if they exist)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Do not print the demo logins.")

    @transaction.atomic
    def handle(self, *args, quiet: bool = False, **options):
        system = None  # the demo is set up by the system, not by a person
        departments = {}
        for name, description, email, phone in DEPARTMENTS:
            departments[name], _created = Department.objects.get_or_create(
                name=name, defaults={"description": description, "contact_email": email, "contact_phone": phone})
        people = {}
        for username, display, role, department, phone in PEOPLE:
            person = User.objects.filter(username=username).first()
            if person is None:
                person = team_services.person_create(
                    by=system, password=DEMO_PASSWORD, username=username, display_name=display, role=role,
                    department=departments[department], phone=phone, email=f"{username}@xianmu.example",
                )
                if role == Role.ADMIN:
                    person.is_staff = person.is_superuser = True
                    person.save(update_fields=["is_staff", "is_superuser"])
            people[username] = person

        brand = Brand.objects.filter(name="鲜牧乳业").first() or services.brand_create(
            by=system, name="鲜牧乳业", industry="乳制品",
            description="自有牧场的乳制品品牌：鲜奶、酸奶与奶粉，华东起家，全国配送。")
        created_accounts = 0
        for spec in ACCOUNTS:
            if Account.objects.filter(brand=brand, name=spec["name"]).exists():
                continue
            created_accounts += 1
            account = services.account_create(
                by=system, brand=brand, name=spec["name"], purpose=spec["purpose"], region=spec.get("region", ""),
                value_proposition=spec["value_proposition"], tone_of_voice=spec["tone_of_voice"],
                profile_text=spec["profile_text"], owner=people[spec["owner"]],
            )
            for name, description, value in spec["circles"]:
                services.circle_add(account=account, by=system, name=name, description=description, value=value)
            for username, actions in spec["grants"].items():
                person = people[username]
                services.account_member_set(
                    account=account, user=person, by=system,
                    actions=ROLE_DEFAULTS[person.role] if actions is None else {Action(a) for a in actions})
            if spec["playbook"] and not PlaybookVersion.objects.filter(account=account).exists():
                playbook = dict(spec["playbook"])
                approvers = [people[u] for u in playbook.pop("approvers")]
                services.playbook_publish(account=account, by=people["manager"], approvers=approvers, **playbook)

        if not quiet:
            self.stdout.write(self.style.SUCCESS(
                f"Demo brand {brand.name}: {brand.accounts.count()} accounts ({created_accounts} new)."))
            self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
            for username, display, role, _dep, _phone in PEOPLE:
                self.stdout.write(f"  {username:<10} {Role(role).label}  {display}")
