"""A campaign to test with: the demo brand's campaign on its main account, led by the manager."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from campaigns import services
from campaigns.models import CampaignKind


def campaign_make(demo, *, kind=CampaignKind.CODE_HUNT, title="扫码赢好礼", days_ago=10, length=7, **fields):
    manager = demo.people["manager"]
    account = next(iter(sorted(demo.accounts.values(), key=lambda a: a.pk)))
    start = timezone.now() - timedelta(days=days_ago)
    return services.campaign_create(brand=demo.brand, by=manager, title=title, kind=kind, lead=manager,
                                    accounts=[account], starts_at=start, ends_at=start + timedelta(days=length),
                                    **fields)
