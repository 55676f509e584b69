"""The demo brand's content: pillars, three weeks of earlier posts, and today's plan in motion.

Run after ``seed_demo`` (``make run`` does). Safe to run again: a brand that has posts is left as it
is. The earlier posts stand for the brand's history before it used weibo-ops (no Weibo link is
invented for them); today's scheduled posts are published by the worker to the local sandbox
within minutes of start, and their counts are read back from it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from content import services
from content.models import Pillar, Post, PostRevision, PostState, PostTarget, TargetState
from positioning.models import Account, Brand
from positioning.selectors import playbook_current
from team.models import User

LINK = "https://xianmu.example.com"
DEMO_IP = "127.0.0.1"  # the approver's address sent to Weibo as rip, for posts approved by the seed
HISTORY_DAYS = 21

# (pillar, text): what a dairy brand posts. Each is used once per day at most, with the day's date.
HISTORY = {
    "品牌故事": ["清晨五点，牧场的第一批鲜奶已经进入冷链车，{d} 的早餐从这里出发",
              "牧场兽医的一天：给每头奶牛做健康记录", "我们为什么坚持自有牧场？一张图看懂从牧草到奶瓶"],
    "产品资讯": ["低温鲜奶 {d} 起全线换新包装，保质期信息更醒目", "希腊酸奶高蛋白版本上线，早餐加一勺燕麦刚刚好",
              "奶粉检测报告公开：每一批次都可扫码查询"],
    "热点话题": ["立冬了，一杯热牛奶配什么早餐？评论区说说你的搭配", "周末带孩子去哪儿？牧场开放日了解一下",
              "降温提醒：鲜奶到家后请尽快冷藏"],
    "粉丝互动": ["今天的早餐晒单时间到，转发抽三位送一周鲜奶", "你最喜欢哪个口味的酸奶？投票告诉我们",
              "谢谢大家的建议，原味酸奶减糖版已经在路上"],
    "服务公告": ["{d} 配送提醒：华东地区因降雪部分订单延后半天送达", "订奶小程序维护公告：今晚 23:00–24:00 暂停下单"],
    "常见问题": ["鲜奶为什么要冷藏？保质期怎么看？一次说清楚", "订单怎么修改配送时间？三步完成"],
}


class Command(BaseCommand):
    help = "Create the demo brand's content pillars, history and today's posts (kept if they exist)."

    def add_arguments(self, parser):
        parser.add_argument("--due-in", type=int, default=60, metavar="SECONDS",
                            help="seconds until the first of today's posts goes out; the second, half as long again")

    @transaction.atomic
    def handle(self, *args, due_in: int = 60, **options):
        if due_in < 1:
            raise CommandError(f"--due-in {due_in}: give the seconds until the first post goes out, 1 or more.")
        brand = Brand.objects.filter(name="鲜牧乳业").first()
        if brand is None:
            self.stderr.write("Run `python manage.py seed_demo` first: there is no demo brand.")
            return
        pillars = {p.name: p for p in services.pillars_ensure(brand=brand)}
        if Post.objects.filter(brand=brand).exists():
            self.stdout.write("Demo content exists; kept as it is.")
            return
        people = {u.username: u for u in User.objects.filter(username__in=["operator", "reviewer", "manager"])}
        accounts = list(Account.objects.filter(brand=brand, is_active=True))
        history = self._history(pillars, accounts, people["operator"])
        upcoming = self._today(brand, pillars, people, due_in=timedelta(seconds=due_in))
        self.stdout.write(f"Demo content: {len(pillars)} pillars, {history} earlier posts, {upcoming} posts today.")

    def _history(self, pillars: dict[str, Pillar], accounts: list[Account], author: User) -> int:
        """Earlier posts of the accounts with a plan: most days meet it, some fall short."""
        today = timezone.localdate()
        tz = timezone.get_current_timezone()
        count = 0
        for account in accounts:
            playbook = playbook_current(account=account)
            if playbook is None:
                continue
            slots = [time.fromisoformat(s) for s in sorted(playbook.time_slots)]
            mix = [item["pillar"] for item in playbook.content_mix for _n in range(item["per_day"])]
            for age in range(HISTORY_DAYS, 0, -1):
                day = today - timedelta(days=age)
                # A realistic record: every fifth day one slot is missed; the last four days are complete.
                skip = (age % 5 == 0 and age > 4)
                for index, (slot, pillar) in enumerate(zip(slots, mix, strict=False)):
                    if skip and index == len(slots) - 1:
                        continue
                    texts = HISTORY[pillar]
                    body = texts[(age + index) % len(texts)].format(d=day.strftime("%m月%d日"))
                    at = datetime.combine(day, slot, tzinfo=tz)
                    post = Post.objects.create(brand=account.brand, pillar=pillars[pillar], created_by=author,
                                               text=f"{body}（{day:%m.%d}）{LINK}/d/{account.pk}-{age}-{index}",
                                               state=PostState.APPROVED)
                    Post.objects.filter(pk=post.pk).update(created_at=at - timedelta(hours=20))
                    PostRevision.objects.create(post=post, version=1, text=post.text, pillar=pillar, created_by=author)
                    PostTarget.objects.create(post=post, account=account, scheduled_at=at, state=TargetState.PUBLISHED,
                                              published_at=at + timedelta(seconds=3), rip=DEMO_IP,
                                              message="导入的历史微博（使用本系统之前发布）")
                    count += 1
        return count

    def _today(self, brand: Brand, pillars: dict[str, Pillar], people: dict[str, User], *, due_in: timedelta) -> int:
        """Posts in motion: two go out to the sandbox soon after start (``due_in`` and half as long again
        later), one waits for review (past its approval target), one is a draft that is close to an earlier
        post."""
        operator, reviewer = people["operator"], people["reviewer"]
        main = Account.objects.get(brand=brand, name="鲜牧乳业")
        service = Account.objects.get(brand=brand, name="鲜牧客服")
        yogurt = Account.objects.get(brand=brand, name="鲜牧酸奶")
        now = timezone.now()
        soon = services.post_create(by=operator, pillar=pillars["产品资讯"], accounts=[main, yogurt],
                                    text=f"今日上新：鲜牧希腊酸奶蓝莓味，高蛋白、少糖，早餐搭配刚刚好 {LINK}/p/greek",
                                    variants={yogurt.pk: f"蓝莓味希腊酸奶来啦！你会配燕麦还是水果？ {LINK}/p/greek"})
        services.post_schedule(post=soon, at=now + due_in, by=operator, ip=DEMO_IP)
        services.post_approve(post=soon, by=reviewer, ip=DEMO_IP, comment="文案清楚，可以发")
        # The customer-service account needs no approval: its post is scheduled straight away.
        notice = services.post_create(by=people["manager"], pillar=pillars["服务公告"], accounts=[service],
                                      text=f"本周配送提醒：周六起华东地区恢复次日达，感谢大家耐心等待 {LINK}/notice")
        services.post_schedule(post=notice, at=now + due_in * 1.5, by=people["manager"], ip=DEMO_IP)
        # A product statement: approved first (a hot-topic post would go out without review).
        waiting = services.post_create(by=operator, pillar=pillars["产品资讯"], accounts=[main],
                                       text=f"寒潮来了，热牛奶怎么喝才不结皮？三个小技巧送给你 {LINK}/tips/warm")
        services.post_schedule(post=waiting, at=now + timedelta(hours=5), by=operator, ip=DEMO_IP)
        Post.objects.filter(pk=waiting.pk).update(submitted_at=now - timedelta(minutes=45))
        services.post_create(by=operator, pillar=pillars["粉丝互动"], accounts=[main],
                             text=f"今天的早餐晒单时间到！转发抽三位送一周鲜奶 {LINK}/draw")
        return 4
