"""The demo brand's peer benchmarks and a review cycle in progress.

Peers: 澜山乳业 and 禾露牧场, two dairy brands the sandbox serves with public posts, read through the gateway
(yesterday's figures are read by the hourly beat task once ``make run``'s sandbox has connected the demo accounts).
Their earlier four weeks come in through the CSV import, as a brand brings in history from a data service; the
own accounts' earlier four weeks are seeded as imported history too, so that the page has a period to compare.
Reviews: the cycle of the current half-year, open, with the operator's and the agent's reviews and some scores.

Run after ``seed_demo`` (``make run`` does). Safe to run again: what exists is kept.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from positioning.benchmarks import benchmark_csv_import, peer_create
from positioning.models import Account, BenchmarkSnapshot, Brand, Measured, PeerAccount
from team import reviews
from team.models import Review, ReviewCycle, ScoreRole, User

HISTORY_DAYS = 28  # days of imported history before yesterday
PEERS = [  # uid, name, note, followers four weeks ago, followers gained a day, posts a day, interactions per post
    ("5600000001", "澜山乳业", "全国性乳企，高原奶源，同价位主要对手", 149_000, 120, (2, 4), (140, 260)),
    ("5600000002", "禾露牧场", "华东低温鲜奶品牌，门店与订奶到家", 63_500, 50, (1, 2), (90, 180)),
]
OWN = {"鲜牧乳业": (85_200, 45, (1, 3), (60, 140)), "鲜牧客服": (23_500, 10, (0, 2), (5, 20)),
       "鲜牧酸奶": (40_600, 25, (1, 2), (40, 110)), "鲜牧华东": (17_700, 9, (0, 1), (10, 40))}
CYCLE = "2026 下半年绩效评估"


def _history(rng: random.Random, spec: tuple, days: list[date]):
    """(day, followers, posts, interactions per post) for each day, from (followers at the start, gained a day,
    posts a day (low, high), interactions per post (low, high))."""
    followers, gained, posts, per_post = spec
    for day in days:
        followers += max(0, int(rng.gauss(gained, gained / 3)))
        yield day, followers, rng.randint(*posts), round(rng.uniform(*per_post), 1)


class Command(BaseCommand):
    help = "Name the demo brand's peers with four weeks of history, and open a review cycle with some scores in."

    def handle(self, *args, **options):
        brand = Brand.objects.filter(name="鲜牧乳业").first()
        if brand is None:
            raise CommandError("Run seed_demo first: the demo brand 鲜牧乳业 does not exist.")
        rng = random.Random(17)  # noqa: S311  (demo figures, the same on every run)
        yesterday = timezone.localdate() - timedelta(days=1)
        days = [yesterday - timedelta(days=n) for n in range(HISTORY_DAYS, 0, -1)]
        with transaction.atomic():
            lines = ["uid,day,followers,posts,interactions_per_post"]
            for uid, name, note, followers, gained, posts, per_post in PEERS:
                if not PeerAccount.objects.filter(brand=brand, weibo_uid=uid).exists():
                    peer_create(brand=brand, weibo_uid=uid, name=name, industry_note=note, by=None)
                lines += [f"{uid},{d.isoformat()},{f},{p},{i}"
                          for d, f, p, i in _history(rng, (followers, gained, posts, per_post), days)]
            if not BenchmarkSnapshot.objects.filter(peer__brand=brand).exists():
                benchmark_csv_import(brand=brand, text="\n".join(lines) + "\n", by=None)
            for account in Account.objects.filter(brand=brand, name__in=OWN):
                if BenchmarkSnapshot.objects.filter(account=account).exists():
                    continue
                for d, f, p, i in _history(rng, OWN[account.name], days):
                    BenchmarkSnapshot.objects.create(account=account, day=d, followers=f, posts=p,
                                                     interactions_per_post=i if p else None, measured=Measured.CSV)
            self._reviews(brand)
        self.stdout.write("Demo peers and review cycle ready: /reports/benchmarks/ and /reports/reviews/")

    def _reviews(self, brand: Brand) -> None:
        if ReviewCycle.objects.filter(brand=brand, name=CYCLE).exists():
            return
        people = {u.username: u for u in User.objects.filter(username__in=[
            "manager", "operator", "agent", "pr", "reviewer"])}
        today = timezone.localdate()
        start = date(today.year, 7 if today.month > 6 else 1, 1)
        end = date(today.year, 12, 31) if today.month > 6 else date(today.year, 6, 30)
        cycle = reviews.review_cycle_create(brand=brand, name=CYCLE, start=start, end=end, by=people["manager"])
        operator = reviews.review_create(cycle=cycle, person=people["operator"], leader=people["manager"],
                                         by=people["manager"])
        reviews.review_create(cycle=cycle, person=people["agent"], leader=people["manager"], by=people["manager"])
        for by, role, score, comment in [
            ("operator", ScoreRole.SELF, 4, "内容排期基本按计划完成，互动率还有提升空间。"),
            ("pr", ScoreRole.PEER, 4, "危机期间配合及时，口径统一。"),
            ("reviewer", ScoreRole.PEER, 3, "稿件偶有错别字，送审前可以再检查一遍。"),
        ]:
            reviews.review_score(review=Review.objects.get(pk=operator.pk), by=people[by], role=role, score=score,
                                 comment=comment)
