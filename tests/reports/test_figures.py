"""One number, one definition (CONVENTIONS habit 15): the dashboard's monitoring card and the monitoring overview
show the same figures for the same data."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from sentiment.models import Mention, MentionSource, Sentiment

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _mention(brand, n: int, at: datetime, sentiment: str, copies: int = 1, source=MentionSource.SEARCH) -> Mention:
    return Mention.objects.create(brand=brand, source=source, text=f"提及{n}", text_key=f"{n:040d}",
                                  platform_id=str(9000 + n), posted_at=at, sentiment=sentiment, copies=copies)


def test_dashboard_and_overview_count_todays_mentions_alike(demo, login):
    now = timezone.now()
    midnight = now.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    today = midnight + (now - midnight) / 2  # after the Shanghai midnight, whatever the UTC date says
    _mention(demo.brand, 1, today, Sentiment.NEGATIVE, copies=5)  # a pasted complaint: 5 posts, one row
    _mention(demo.brand, 2, midnight + timedelta(seconds=1), Sentiment.NEGATIVE)
    _mention(demo.brand, 3, today, Sentiment.POSITIVE, source=MentionSource.COMMENTS)
    _mention(demo.brand, 4, today, Sentiment.NEUTRAL, copies=2)
    _mention(demo.brand, 5, midnight - timedelta(minutes=1), Sentiment.NEGATIVE)  # 23:59 yesterday: not today
    client = login(demo.people["pr"])
    dashboard = client.get(reverse("reports:dashboard"), **ZH)
    overview = client.get(reverse("sentiment:overview"), **ZH)
    card, today = dashboard.context["monitoring"], overview.context["today"]
    assert (card["total"], card["negative"], card["positive"]) == (9, 6, 1)
    assert (today.total, today.by_sentiment["negative"], today.by_sentiment["positive"]) == (9, 6, 1)
    card_html = dashboard.content.decode().split('class="monitoring-today"', 1)[1].split("</p>", 1)[0]
    assert "9" in card_html.split("</a>", 1)[0] and "6" in card_html.split("</a>", 1)[1]
    assert "9 条提及" in overview.content.decode()
    week = overview.context["week"]["series"].buckets
    assert week[-1].total == 9 and week[-1].negative == 6  # the chart's today bar agrees too
