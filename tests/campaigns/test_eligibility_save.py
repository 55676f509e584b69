"""participants_evaluate stores every verdict, shared ones by one UPDATE each (not bulk_update's CASE WHEN,
whose cost grows with the square of the batch: minutes for a 100 k-participant draw)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.eligibility import participants_evaluate
from campaigns.models import CampaignKind, Entry, Participant

from .helpers_cc import campaign_make

pytestmark = pytest.mark.django_db


def test_shared_and_rare_verdicts_are_all_stored(demo):
    campaign = campaign_make(demo, kind=CampaignKind.REPOST_PRIZE, rule_keyword="鲜牧")
    inside = campaign.starts_at + timedelta(hours=1)
    uids = [str(5000 + i) for i in range(60)]
    for i, uid in enumerate(uids):
        text = "转发" if i % 20 == 0 else "鲜牧 转发"  # 3 lack the keyword
        Entry.objects.create(campaign=campaign, kind="repost", platform_id=f"8{uid}", status_id="1", uid=uid,
                             posted_at=inside, text=text)
        Participant.objects.create(campaign=campaign, uid=uid, first_entry_at=inside, first_entry_id=f"8{uid}")
    followers = set(uids[:50])  # 10 do not follow
    with CaptureQueriesContext(connection) as queries:
        result = participants_evaluate(campaign=campaign, followers=followers, now=campaign.ends_at)
    stored = {p.uid: (p.eligible, [r[0] for r in p.reasons], p.evaluated_at)
              for p in Participant.objects.filter(campaign=campaign)}
    expected = {uid: (uid in followers and i % 20 != 0,
                      (["not_following"] if uid not in followers else []) + (["keyword"] if i % 20 == 0 else []),
                      campaign.ends_at) for i, uid in enumerate(uids)}
    assert stored == expected
    assert (result.participants, result.eligible) == (60, 47)
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE \"campaigns_participant\"")]
    # The 47 eligible in one plain UPDATE; only the 13 others through CASE WHEN (4 fields each).
    assert sorted(sql.count(" WHEN ") for sql in updates) == [0, 13 * 4]
