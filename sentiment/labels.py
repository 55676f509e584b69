"""One label per text: which stored label a page shows for a mention, and whose mentions count as fans'.

A mention's sentiment is decided once, when it is stored (``pipeline.mentions_store``: the model and its rule
layer), and changed only by a person's correction (``services.mention_correct``), which also retrains the model
on schedule (``retraining``). Every page and figure reads that stored label through ``mention_label``; nothing
classifies again for display. The brand's own posts and reposts (``Mention.own``) are the brand's voice, not
fans' sentiment: they are left out of every sentiment figure (``Mention.objects.of_fans()``) and show no label.
"""

from __future__ import annotations

from positioning.models import Account, Brand, WeiboConnection

from .models import Cascade, Mention


def own_uids(brand: Brand | int) -> set[str]:
    """Weibo uids of the brand's own accounts: each account's ``weibo_uid`` and its connection's uid."""
    brand_id = getattr(brand, "pk", brand)
    uids = set(Account.objects.filter(brand_id=brand_id).values_list("weibo_uid", flat=True))
    uids |= set(WeiboConnection.objects.filter(account__brand_id=brand_id).values_list("uid", flat=True))
    return uids - {""}


def mention_label(mention: Mention | None) -> str:
    """The sentiment a page shows for a mention: its stored label (a person's correction included); "" for the
    brand's own post, which carries no fans' sentiment, or for no mention at all."""
    return mention.fan_label if mention is not None else ""


def cascade_rows(brands: list[Brand], *, flagged: bool = False, limit: int) -> list[Cascade]:
    """Watched posts of the cascade list, flagged first, each with ``label``: its root post's stored label as
    ``mention_label`` gives it (the same label the board, incidents and the mention list show), and ``own``."""
    rows = Cascade.objects.filter(brand__in=brands).select_related("brand", "mention")
    if flagged:
        rows = rows.filter(flagged=True)
    rows = list(rows.order_by("-flagged", "-created_at", "-pk")[:limit])
    for row in rows:
        row.label = mention_label(row.mention)
        row.own = bool(row.mention and row.mention.own)
    return rows
