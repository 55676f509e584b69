"""``{% load numbers %}``: ``{{ value|count_short }}`` writes a large count as people read it in the active
language: 6565860 is "656.6万" in Chinese and "6.6M" in English; below ten thousand (one thousand in English) it
stays whole. Follower, reach and other counts on the pages go through it; the exact figure is in ``title``
where it matters (``{{ value|count_exact }}``)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.translation import get_language

register = template.Library()

# (divisor, suffix), largest first: Chinese counts in 万 (10^4) and 亿 (10^8), English in thousands and millions.
CHINESE_UNITS = ((10**8, "亿"), (10**4, "万"))
WESTERN_UNITS = ((10**9, "B"), (10**6, "M"), (10**3, "K"))


def _one_decimal(value: int, divisor: int) -> Decimal:
    return (Decimal(value) / divisor).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def count_text(value: int, language: str | None = None) -> str:
    """``value`` shortened with the units of ``language`` (the active one when None)."""
    chinese = (language or get_language() or "zh-hans").lower().startswith("zh")
    units = CHINESE_UNITS if chinese else WESTERN_UNITS
    sign, value = ("-" if value < 0 else ""), abs(value)
    for index, (divisor, suffix) in enumerate(units):
        if value < divisor:
            continue
        unit, name = divisor, suffix
        if index and _one_decimal(value, divisor) * divisor >= units[index - 1][0]:
            unit, name = units[index - 1]  # 9999.96万 rounds up to 1亿, not 10000万
        text = f"{_one_decimal(value, unit):f}".removesuffix(".0")
        return f"{sign}{text}{name}"
    return f"{sign}{value}"


@register.filter(is_safe=True)
def count_short(value: object) -> object:
    """A count shortened for reading; anything that is not a whole number is returned as it came."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return value
    try:
        number = int(value)
    except (TypeError, ValueError):
        return value
    if isinstance(value, float | Decimal) and number != value:
        return value
    return count_text(number)


@register.filter(is_safe=True)
def count_exact(value: object) -> object:
    """The whole count grouped by thousands (as both Chinese and English pages write digits), for a ``title``
    beside ``count_short``."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return value
