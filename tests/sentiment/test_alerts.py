"""Alerts: negative spikes against a robust baseline, influential accounts, attacks; told once, to PR."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from sentiment import alerts, incidents
from sentiment.models import Alert, AlertKind, Cascade, IncidentEvent, Mention, RuleGroup, Sentiment
from team.models import Notice

# embedded: one alert per happening under row locks; queued webhooks
pytestmark = [pytest.mark.embedded, pytest.mark.django_db]

WIDTH = timedelta(minutes=10)
SECRET = "hook-secret-4c1e"
_ids = itertools.count(1)


@pytest.fixture
def now():
    """Five minutes into the current bucket, so that a burst and "now" share one bucket."""
    return alerts.bucket_of(timezone.now(), WIDTH) + timedelta(minutes=5)


@pytest.fixture
def group(demo):
    return RuleGroup.objects.create(brand=demo.brand, name="鲜牧牛奶", include_terms=["鲜牧"])


def store(brand, n: int, at, *, groups=(), sentiment=Sentiment.NEGATIVE, followers: int = 100, copies: int = 1,
          authors: str | None = None) -> list[Mention]:
    """What the pipeline stores: mentions with their groups set, in one go."""
    made = []
    for i in range(n):
        number = next(_ids)
        made.append(Mention(brand=brand, source="search", platform_id=f"49{number:014d}",
                            text=f"鲜牧牛奶变质了 {number}", text_key=f"k{number}",
                            author_uid=f"{authors or 'u'}{number}", author_name=f"网友{number}",
                            author_followers=followers, posted_at=at + timedelta(seconds=i % 60), copies=copies,
                            sentiment=sentiment, url=f"https://weibo.com/1/{number}"))
    Mention.objects.bulk_create(made)
    through = Mention.groups.through
    through.objects.bulk_create([through(mention_id=m.pk, rulegroup_id=g.pk) for m in made for g in groups])
    return made


def check(brand, mentions, now):
    return alerts.alerts_check(brand=brand, mentions=mentions, now=now)


def alert_notices():
    return Notice.objects.filter(kind="sentiment_alert")


# --- spikes -------------------------------------------------------------------------------------------------

def test_a_burst_raises_one_spike_alert_that_is_updated_not_repeated(demo, group, now):
    burst = store(demo.brand, 12, now - timedelta(minutes=4), groups=[group])
    [alert] = check(demo.brand, burst, now)
    assert (alert.kind, alert.group, alert.count, alert.baseline) == (AlertKind.SPIKE, group, 12, 0.0)
    assert alert.bucket_start == alerts.bucket_of(now, WIDTH)
    assert alert.dedupe_key == f"spike:{group.pk}:{alert.bucket_start:%Y%m%d%H%M}"
    assert "鲜牧牛奶" in alert.title and "12" in alert.title
    assert len(alert.evidence["samples"]) == alerts.SAMPLES
    # The brand-wide series spikes too, but a group's burst is that group's alert only.
    assert Alert.objects.count() == 1
    told = {n.recipient.username for n in alert_notices()}
    assert told == {"pr", "manager", "admin"}

    more = store(demo.brand, 8, now - timedelta(minutes=2), groups=[group])
    [again] = check(demo.brand, more, now)
    assert again.pk == alert.pk and again.count == 20
    next_bucket = store(demo.brand, 15, now + timedelta(minutes=6), groups=[group])
    [still] = check(demo.brand, next_bucket, now + WIDTH)
    assert still.pk == alert.pk and Alert.objects.count() == 1
    alert.refresh_from_db()
    assert alert.count == 20  # the peak bucket
    assert alert.evidence["total"] == 35 and list(alert.evidence["buckets"].values()) == [20, 15]
    assert alert_notices().count() == 3  # told once


def test_the_minimum_count_is_respected_and_other_sentiments_do_not_count(demo, group, now):
    quiet = store(demo.brand, 9, now - timedelta(minutes=3), groups=[group])
    quiet += store(demo.brand, 30, now - timedelta(minutes=3), groups=[group], sentiment=Sentiment.POSITIVE)
    assert check(demo.brand, quiet, now) == []
    assert not Alert.objects.exists() and not alert_notices().exists()
    [alert] = check(demo.brand, store(demo.brand, 1, now - timedelta(minutes=1), groups=[group]), now)
    assert alert.count == 10


def test_copies_of_one_text_count_as_the_mentions_they_stand_for(demo, group, now):
    [alert] = check(demo.brand, store(demo.brand, 4, now - timedelta(minutes=1), groups=[group], copies=3), now)
    assert alert.count == 12


def test_a_normally_noisy_hour_does_not_alert(demo, group, now):
    for week in range(1, 5):  # every week at this time, 15 complaints
        store(demo.brand, 15, now - timedelta(days=7 * week), groups=[group])
    usual = store(demo.brand, 40, now - timedelta(minutes=3), groups=[group])
    assert check(demo.brand, usual, now) == []  # 40 < 3 × 15
    [alert] = check(demo.brand, store(demo.brand, 5, now - timedelta(minutes=2), groups=[group]), now)
    assert (alert.count, alert.baseline) == (45, 15.0)
    assert alert.evidence["weekly"] == [15, 15, 15, 15]


def test_the_recent_level_is_a_median_one_earlier_burst_does_not_lift(demo, group, now):
    for i in range(1, 13):
        store(demo.brand, 4, now - i * WIDTH, groups=[group])  # 4 per bucket for two hours
    store(demo.brand, 60, now - 3 * WIDTH - timedelta(minutes=1), groups=[group])  # one burst in between
    assert check(demo.brand, store(demo.brand, 11, now - timedelta(minutes=2), groups=[group]), now) == []  # < 12
    [alert] = check(demo.brand, store(demo.brand, 1, now - timedelta(minutes=2), groups=[group]), now)
    assert (alert.count, alert.baseline) == (12, 4.0)


def test_mentions_in_no_group_alert_on_the_brand_wide_series(demo, now):
    [alert] = check(demo.brand, store(demo.brand, 10, now - timedelta(minutes=2)), now)
    assert alert.group is None and alert.dedupe_key.startswith("spike:all:") and alert.count == 10


def test_an_old_import_is_history_not_an_alert(demo, group, now):
    old = store(demo.brand, 50, now - timedelta(days=3), groups=[group])
    assert check(demo.brand, old, now) == []


def test_a_spike_after_a_quiet_hour_is_a_new_alert(demo, group, now):
    check(demo.brand, store(demo.brand, 10, now - timedelta(hours=3), groups=[group]), now - timedelta(hours=3))
    [later] = check(demo.brand, store(demo.brand, 10, now, groups=[group]), now)
    assert Alert.objects.count() == 2 and later.bucket_start == alerts.bucket_of(now, WIDTH)
    assert alert_notices().count() == 6


def test_the_check_costs_a_handful_of_queries_per_batch(demo, now, django_assert_max_num_queries):
    groups = [RuleGroup.objects.create(brand=demo.brand, name=f"组{i}", include_terms=[f"词{i}"]) for i in range(3)]
    batch = []
    for g in groups:
        batch += store(demo.brand, 3, now - timedelta(minutes=2), groups=[g])
    batch += store(demo.brand, 300, now - timedelta(minutes=2), sentiment=Sentiment.NEUTRAL)
    alerts.monitoring_settings(demo.brand)
    with django_assert_max_num_queries(4):  # settings, groups, two aggregates: no alert
        assert check(demo.brand, batch, now) == []
    big = []
    for g in groups:
        big += store(demo.brand, 150, now - timedelta(minutes=1), groups=[g])
    # The same 4, then the lock, the recent alerts, the group names, the open incidents, the PR people on
    # monitoring duty (the roster) and the people (10),
    # the new alert's row (5) and one notice per person told (4 each, 3 people), and the two other groups
    # recorded on it (one write each): the three groups' wave is one happening, one alert.
    with django_assert_max_num_queries(10 + 17 + 2):
        [alert] = check(demo.brand, big, now)
    assert alert.group == groups[0] and sorted(alert.evidence["also"]) == ["组1", "组2"]
    assert Alert.objects.count() == 1


# --- influential accounts, attacks ------------------------------------------------------------------------

def test_a_negative_post_by_an_influential_account_alerts_once(demo, group, now):
    [big] = store(demo.brand, 1, now - timedelta(hours=5), groups=[group], followers=250_000)
    store(demo.brand, 1, now, groups=[group], followers=900_000, sentiment=Sentiment.POSITIVE)
    [alert] = check(demo.brand, [big], now)
    assert (alert.kind, alert.mention, alert.group) == (AlertKind.INFLUENCER, big, group)
    assert alert.dedupe_key == f"influencer:{big.pk}" and "250000" in alert.title
    assert check(demo.brand, [big], now) == []  # a redelivered batch
    assert Alert.objects.count() == 1 and alert_notices().count() == 3


def test_an_attack_alerts_once_per_cascade(demo, now):
    signals = [{"code": "even_rate", "value": 0.02, "threshold": 0.1, "baseline": 0.6, "fired": True,
                "evidence": ["12 reposts each minute for 40 minutes"]},
               {"code": "new_accounts", "value": 0.1, "threshold": 0.5, "baseline": 0.05, "fired": False,
                "evidence": []}]
    cascade = Cascade.objects.create(brand=demo.brand, root_id="4900000000000777", root_author="黑稿号",
                                     root_text="鲜牧牛奶喝出问题", watch_until=now + timedelta(hours=48),
                                     reposts_seen=480, flagged=True, attack_score=0.93, signals=signals)
    alert = alerts.alert_raise_attack(cascade=cascade)
    assert (alert.kind, alert.cascade, alert.count) == (AlertKind.ATTACK, cascade, 480)
    assert alert.evidence["fired"] == ["even_rate"] and alert.evidence["signals"] == signals
    assert "even_rate" in alert.title
    cascade.reposts_seen = 520
    assert alerts.alert_raise_attack(cascade=cascade).pk == alert.pk
    alert.refresh_from_db()
    assert alert.count == 520 and Alert.objects.count() == 1 and alert_notices().count() == 3
    calm = Cascade.objects.create(brand=demo.brand, root_id="4900000000000778", watch_until=now)
    assert alerts.alert_raise_attack(cascade=calm) is None


# --- once per incident ------------------------------------------------------------------------------------

def test_a_spike_in_a_group_with_an_open_incident_joins_it_quietly(demo, group, now):
    [first] = check(demo.brand, store(demo.brand, 10, now - timedelta(hours=3), groups=[group]),
                    now - timedelta(hours=3))
    incident = incidents.incident_open(brand=demo.brand, by=demo.people["pr"], title="鲜牧牛奶变质", alert=first)
    told = Notice.objects.count()
    [second] = check(demo.brand, store(demo.brand, 10, now, groups=[group]), now)
    second.refresh_from_db()
    assert second.pk != first.pk and second.incident == incident
    assert Notice.objects.count() == told  # nobody told anew
    event = IncidentEvent.objects.get(incident=incident, kind="alert")
    assert event.text == second.title and event.data["alert"] == second.pk


# --- the webhook ------------------------------------------------------------------------------------------

class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(settings):
    """A receiver on 127.0.0.1: reachable only with private destinations allowed, as tests and the demo do."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    _Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/alerts", _Hook.received
    server.shutdown()
    server.server_close()


def test_a_new_alert_goes_to_the_webhook_signed_once(demo, group, now, webhook, monkeypatch,
                                                     django_capture_on_commit_callbacks):
    from sentiment import tasks

    url, received = webhook
    config = alerts.monitoring_settings(demo.brand)
    config.webhook_url, config.webhook_secret = url, SECRET
    config.save()
    monkeypatch.setattr(tasks.alert_webhook_send, "delay", tasks.alert_webhook_send)  # run it here, now
    with django_capture_on_commit_callbacks(execute=True):
        [alert] = check(demo.brand, store(demo.brand, 10, now - timedelta(minutes=1), groups=[group]), now)
    with django_capture_on_commit_callbacks(execute=True):
        check(demo.brand, store(demo.brand, 5, now, groups=[group]), now)  # the same spike: no new event
    [(headers, body)] = received
    assert headers["X-Weibo-Ops-Signature"] == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Weibo-Ops-Event"] == "alert.raised"
    event = json.loads(body)
    assert (event["alert"], event["kind"]) == (alert.pk, "spike")
    assert (event["group"], event["brand"]) == ("鲜牧牛奶", "鲜牧乳业")
    assert event["count"] == 10 and SECRET not in body.decode()


def test_a_webhook_that_now_points_inside_is_not_called(demo, group, now, webhook, settings, caplog):
    url, received = webhook  # a receiver on 127.0.0.1, saved while private destinations were allowed
    config = alerts.monitoring_settings(demo.brand)
    config.webhook_url, config.webhook_secret = url, SECRET
    config.save()
    [alert] = check(demo.brand, store(demo.brand, 10, now - timedelta(minutes=1), groups=[group]), now)
    settings.WEBHOOK_ALLOW_PRIVATE = False  # as in production: the destination is checked again at delivery
    assert alerts.alert_webhook_deliver(alert_id=alert.pk) is None
    assert received == []
    assert "webhook not sent to 127.0.0.1" in caplog.text and SECRET not in caplog.text


def test_a_brand_without_webhook_sends_nothing(demo, group, now, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        [alert] = check(demo.brand, store(demo.brand, 10, now, groups=[group]), now)
    assert callbacks == []
    assert alerts.alert_webhook_deliver(alert_id=alert.pk) is None


def test_an_alert_is_acknowledged_once_by_pr(demo, group, now):
    from django.core.exceptions import PermissionDenied

    [alert] = check(demo.brand, store(demo.brand, 10, now, groups=[group]), now)
    with pytest.raises(PermissionDenied):
        alerts.alert_acknowledge(alert=alert, by=demo.people["operator"])
    assert alerts.alert_acknowledge(alert=alert, by=demo.people["pr"]) is True
    assert alerts.alert_acknowledge(alert=alert, by=demo.people["manager"]) is False
    alert.refresh_from_db()
    assert alert.acknowledged_by == demo.people["pr"] and alert.acknowledged_at is not None
