"""The prize advisor: what practitioners learned about prizes, said before the money is spent.

Expensive generic prizes (phones, tablets, cash and shopping cards) draw lottery hunters and zombie accounts
who enter every brand's draw and unfollow once it is drawn; a prize of the brand's own products or a
keepsake draws the people who care about the brand. The advisor warns when a prize is generic, when its
value is high for the audience the accounts really have (the people who interacted with them in the last
90 days), and when the applications exceed the prize budget; each warning is stored as a code with its
values and shown in the reader's language.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fans.selectors import audience_size
from weibo_ops.reasons import coded_words

from .models import Campaign, PrizeState

# Generic prizes that lottery hunters chase (DOMAIN.md: iPad/iPhone draws filled with hunters and zombies).
GENERIC = re.compile(r"iphone|ipad|airpods|macbook|switch|ps5|手机|平板|笔记本电脑|现金|红包|购物卡|礼品卡"
                     r"|充值卡|京东卡|天猫卡|超市卡|储值卡|话费|戴森|相机|无人机|金条|黄金", re.IGNORECASE)
HIGH_VALUE = Decimal("500")  # yuan per prize: above this, a prize is worth a hunter's time whatever it is
PER_FAN = Decimal("1")  # yuan of prizes per person of the real audience: above this the prize outweighs the brand
AUDIENCE_WINDOW = timedelta(days=90)  # the audience: who interacted with the accounts in this window

WARNING_TEXT = {
    "generic": _("“%(name)s” is a generic prize that lottery hunters and zombie accounts chase: they enter every "
                 "brand's draw and unfollow once it is drawn."),
    "high_value": _("%(cost)s yuan per prize is a lot: from %(limit)s yuan a prize is worth a hunter's time "
                    "whatever it is."),
    "audience": _("%(total)s yuan of prizes for the %(audience)s people who interacted with these accounts in "
                  "90 days (%(per_fan)s yuan each): the prize will speak louder than the brand."),
    "over_budget": _("With this application the prizes cost %(total)s yuan, above the prize budget of "
                     "%(budget)s yuan."),
}
SUGGESTION = _("Prefer the brand's own products, limited editions or keepsakes (a farm-visit place, a signed "
               "bottle, a custom cup): they draw the people who care about the brand.")


def prize_warnings(*, campaign: Campaign, name: str, quantity: int, unit_cost: Decimal,
                   exclude_id: int | None = None) -> list[list]:
    """[[code, values], ...] for a prize asked for on ``campaign`` (empty when the advisor sees no risk)."""
    warnings: list[list] = []
    total = unit_cost * quantity
    if GENERIC.search(name):
        warnings.append(["generic", {"name": name}])
    if unit_cost >= HIGH_VALUE:
        warnings.append(["high_value", {"cost": f"{unit_cost:.2f}", "limit": f"{HIGH_VALUE:.0f}"}])
    audience = audience_size(account_ids=[a.pk for a in campaign.accounts.all()],
                             since=timezone.now() - AUDIENCE_WINDOW)
    others = campaign.prizes.exclude(state=PrizeState.REFUSED).exclude(pk=exclude_id)
    all_prizes = total + sum((p.unit_cost * p.quantity for p in others), Decimal("0"))
    if all_prizes > PER_FAN * max(audience, 1):
        per_fan = (all_prizes / max(audience, 1)).quantize(Decimal("0.01"))
        warnings.append(["audience", {"total": f"{all_prizes:.2f}", "audience": audience, "per_fan": f"{per_fan:.2f}"}])
    if all_prizes > campaign.prize_budget:
        warnings.append(["over_budget", {"total": f"{all_prizes:.2f}", "budget": f"{campaign.prize_budget:.2f}"}])
    return warnings


def warning_words(warnings) -> list[str]:
    """Stored warnings in the active language (codes an older version stored and this one lacks are left out)."""
    return coded_words(warnings, WARNING_TEXT)
