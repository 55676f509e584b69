"""The demo brand's opinion monitoring: keyword groups for the brand, its products, its competitors and its
key people, and the alert settings.

Run after ``seed_demo`` (``make run`` does). Safe to run again: what exists is kept. The mentions come
from the sandbox: the first search of each group looks back a day, the inbox hands over the accounts'
@ mentions and comments, and the sandbox's traffic keeps adding posts about the brand. Start a scenario
(``POST /_sandbox/scenarios/negative_spike`` on the sandbox) to watch an alert fire.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from positioning.models import Brand
from sentiment.alerts import monitoring_settings
from sentiment.models import GroupKind, RuleGroup

GROUPS = [
    ("鲜牧品牌", GroupKind.BRAND, ["鲜牧", "鲜牧乳业", "xianmu"], ["鲜牧场"], []),
    ("鲜牧产品", GroupKind.PRODUCT, ["纯牛奶", "低脂奶", "原味酸奶", "希腊酸奶", "儿童成长奶", "有机奶", "巴氏鲜奶",
                                   "零蔗糖酸奶"], [], ["鲜牧"]),
    ("竞品", GroupKind.COMPETITOR, ["澜山乳业", "禾露牧场", "北溪乳品", "悦犇乳业"], [], []),
    ("关键人物", GroupKind.PERSON, ["鲜牧董事长", "鲜牧创始人", "鲜牧首席质量官"], [], []),
]


class Command(BaseCommand):
    help = "Create the demo brand's keyword groups and alert settings (kept if they exist)."

    @transaction.atomic
    def handle(self, *args, **options):
        brand = Brand.objects.filter(name="鲜牧乳业").first()
        if brand is None:
            self.stderr.write("Run manage.py seed_demo first: there is no demo brand.")
            return
        for name, kind, include, exclude, context in GROUPS:
            RuleGroup.objects.get_or_create(brand=brand, name=name, defaults={
                "kind": kind, "include_terms": include, "exclude_terms": exclude, "context_terms": context})
        monitoring_settings(brand)
        self.stdout.write(self.style.SUCCESS(
            f"Opinion monitoring for {brand.name}: {RuleGroup.objects.filter(brand=brand).count()} keyword groups."))
