"""Fan profiles from ``users/show``, for fans known only by uid (private messages and follows come
as bare uids) and for profiles gone stale, spending a bounded share of each account's budget.

When Weibo cannot return a profile (the user is gone, the budget is spent, the platform is busy)
the last known data stays as it was; ``profile_problem`` says why and ``profile_at`` how old it is.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone

from positioning.models import Account, ConnectionState
from positioning.weibo import account_client
from weibo_ops.weibo.errors import NeedsReauthorisation, RateLimited, WeiboError
from weibo_ops.weibo.types import User as WeiboUser

from .ingest import PROFILE_FIELDS, _apply_profile
from .models import Fan, Interaction
from .scoring import fans_locked, fans_rescore

logger = logging.getLogger(__name__)

RETRY_FAILED_AFTER = timedelta(hours=6)  # a profile Weibo could not return is asked for again after this


def fans_needing_profiles(*, limit: int) -> list[Fan]:
    now = timezone.now()
    stale = now - timedelta(days=settings.FANS_PROFILE_DAYS)
    # Only fans who wrote to an account that can ask now: the others would hold the head of the queue.
    reachable = Interaction.objects.filter(
        fan=OuterRef("pk"), account__is_active=True, account__weibo_connection__state=ConnectionState.CONNECTED)
    return list(
        Fan.objects.filter(Q(profile_at__isnull=True) | Q(profile_at__lt=stale))
        .filter(Q(profile_checked_at__isnull=True) | Q(profile_checked_at__lt=now - RETRY_FAILED_AFTER))
        .filter(Exists(reachable))
        .order_by(F("profile_at").asc(nulls_first=True), "id")[:limit]
    )


def profiles_refresh(*, limit: int | None = None) -> int:
    """Refresh up to ``FANS_PROFILE_BATCH`` profiles through the accounts the fans wrote to; returns how
    many were refreshed."""
    limit = limit or settings.FANS_PROFILE_BATCH
    fans = fans_needing_profiles(limit=limit)
    if not fans:
        return 0
    connected = Account.objects.filter(is_active=True, weibo_connection__state=ConnectionState.CONNECTED)
    through = {row["fan_id"]: row["account"] for row in Interaction.objects.filter(
        fan__in=fans, account__in=connected).values("fan_id").annotate(account=Max("account_id"))}
    accounts = {a.pk: a for a in connected.filter(pk__in=set(through.values())).select_related("weibo_connection")}
    clients, spent, now = {}, set(), timezone.now()
    read: dict[int, WeiboUser] = {}
    for fan in fans:
        account = accounts.get(through.get(fan.pk))
        if account is None or account.pk in spent:
            continue
        try:
            client = clients.get(account.pk) or account_client(account=account, connection=account.weibo_connection)
            clients[account.pk] = client
            user = client.user(uid=fan.uid)
        except (RateLimited, NeedsReauthorisation) as error:
            spent.add(account.pk)  # this account cannot ask now; its other fans wait for the next run
            fan.profile_problem, fan.profile_checked_at = error.describe()[:300], now
            Fan.objects.filter(pk=fan.pk).update(profile_problem=fan.profile_problem, profile_checked_at=now)
            continue
        except WeiboError as error:
            Fan.objects.filter(pk=fan.pk).update(profile_problem=error.describe()[:300], profile_checked_at=now)
            continue
        read[fan.pk] = user
    if read:
        # The users were read over HTTP: the rows are read again under lock, so that the scores written are
        # computed from what other workers stored meanwhile (a lottery count, say), not from the rows above.
        with transaction.atomic():
            refreshed = fans_locked(Fan.objects.filter(pk__in=list(read)))
            for fan in refreshed:
                _apply_profile(fan, read[fan.pk], now)
                fan.profile_checked_at = now
            Fan.objects.bulk_update(refreshed, [*PROFILE_FIELDS, "profile_checked_at"], batch_size=200)
            fans_rescore(fan_ids=[f.pk for f in refreshed])
    return len(read)
