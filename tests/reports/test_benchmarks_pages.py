"""The benchmark page and the peers API: figures side by side with the best peer marked, own accounts only where
the person may see them, naming peers and importing CSV with errors in the form or a 400, managers only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from positioning.benchmarks import peer_create
from positioning.models import BenchmarkSnapshot, Measured, PeerAccount

pytestmark = [pytest.mark.django_db]
LANGUAGE = "en"


@pytest.fixture
def figures(demo):
    peer = peer_create(brand=demo.brand, weibo_uid="5600000001", name="澜山乳业", by=None)
    day = timezone.localdate() - timedelta(days=2)
    BenchmarkSnapshot.objects.create(peer=peer, day=day, followers=152340, posts=3, interactions_per_post=120.5,
                                     measured=Measured.SEARCH)
    BenchmarkSnapshot.objects.create(account=demo.accounts["鲜牧华东"], day=day, followers=17962, posts=1,
                                     interactions_per_post=8.0, measured=Measured.TIMELINE)
    return peer


def test_the_page_shows_own_accounts_and_peers_side_by_side_with_the_best_peer(demo, figures, login):
    body = login(demo.people["manager"]).get("/reports/benchmarks/").content.decode()
    assert "澜山乳业" in body and "152,340" in body and "120.5" in body and "17,962" in body
    assert body.count("best peer</strong>") == 4  # the only peer is the best at every figure
    assert "Best peer for interactions per post: 澜山乳业" in body


def test_own_accounts_only_where_the_person_may_see_them(demo, figures, login):
    # The operator has grants on some accounts of the demo brand, not on the East China one (鲜牧华东).
    body = login(demo.people["operator"]).get("/reports/benchmarks/").content.decode()
    assert "17,962" not in body and "澜山乳业" in body
    assert "Name a peer" not in body


def test_a_bad_period_is_a_form_error(demo, login):
    page = login(demo.people["manager"]).get("/reports/benchmarks/?start=2026-11-10&end=2026-11-01")
    assert page.status_code == 400 and "The period ends before it starts." in page.content.decode()


def test_managers_name_peers_and_import_csv_with_row_errors_in_the_form(demo, login):
    client = login(demo.people["manager"])
    bad = client.post("/reports/benchmarks/peers/", {"brand": demo.brand.pk, "weibo_uid": "abc", "name": "澜山",
                                                     "source": "gateway"})
    assert bad.status_code == 400 and "A Weibo uid is a number" in bad.content.decode()
    ok = client.post("/reports/benchmarks/peers/", {"brand": demo.brand.pk, "weibo_uid": "5600000002",
                                                    "name": "禾露牧场", "source": "csv"})
    assert ok.status_code == 302 and PeerAccount.objects.get().name == "禾露牧场"
    upload = SimpleUploadedFile("peers.csv", b"uid,day,followers,posts,interactions_per_post\n"
                                             b"5600000002,2026-11-01,64870,2,33\n5600000002,2026-11-02,x,2,33\n")
    refused = client.post("/reports/benchmarks/import/", {"brand": demo.brand.pk, "file": upload})
    assert refused.status_code == 400 and "Line 3: followers must be a number" in refused.content.decode()
    assert not BenchmarkSnapshot.objects.exists()
    operator = login(demo.people["operator"])
    assert operator.post("/reports/benchmarks/peers/", {"brand": demo.brand.pk, "weibo_uid": "1",
                                                        "name": "x", "source": "csv"}).status_code == 403


def test_peers_api(demo, api, figures):
    manager = api(demo.people["manager"])
    listed = manager.get("/api/v1/positioning/peers/").json()["results"]
    assert [(p["name"], p["weibo_uid"]) for p in listed] == [("澜山乳业", "5600000001")]
    snaps = manager.get(f"/api/v1/positioning/peers/{figures.pk}/snapshots/").json()["results"]
    assert [(s["followers"], s["posts"], s["interactions_per_post"], s["measured"]) for s in snaps] == [
        (152340, 3, 120.5, "search")]
    bad = manager.post("/api/v1/positioning/peers/", {"brand": demo.brand.pk, "weibo_uid": "x1", "name": "x"},
                       format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["weibo_uid"]
    assert api(demo.people["operator"]).post("/api/v1/positioning/peers/", {
        "brand": demo.brand.pk, "weibo_uid": "5600000002", "name": "禾露牧场"}, format="json").status_code == 403
    made = manager.post("/api/v1/positioning/peers/", {"brand": demo.brand.pk, "weibo_uid": "5600000002",
                                                       "name": "禾露牧场", "source": "csv"}, format="json")
    assert made.status_code == 201
    csv = SimpleUploadedFile("p.csv", b"uid,day,followers,posts,interactions_per_post\n"
                                      b"5600000002,2026-11-01,64870,2,33\n5600000009,2026-11-01,1,1,1\n")
    refused = manager.post("/api/v1/positioning/peers/import/", {"brand": demo.brand.pk, "file": csv},
                           format="multipart")
    assert refused.status_code == 400 and refused.json() == {"non_field_errors": [
        "Line 3: uid “5600000009” is not a peer of 鲜牧乳业; add the peer first."]}
    csv = SimpleUploadedFile("p.csv", b"uid,day,followers,posts,interactions_per_post\n"
                                      b"5600000002,2026-11-01,64870,2,33\n")
    done = manager.post("/api/v1/positioning/peers/import/", {"brand": demo.brand.pk, "file": csv},
                        format="multipart")
    assert done.status_code == 201 and done.json() == {"created": 1, "updated": 0}
    assert BenchmarkSnapshot.objects.get(peer__weibo_uid="5600000002").day == date(2026, 11, 1)
    schema = manager.get("/api/v1/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/positioning/peers/", "/api/v1/positioning/peers/import/",
                 "/api/v1/team/review-cycles/", "/api/v1/team/reviews/", "/api/v1/team/scores/"):
        assert path in text


def test_seed_demo_peers_gives_the_page_four_weeks_and_a_review_cycle_in_progress(demo, login):
    from django.core.management import call_command

    from team.models import ReviewCycle, ReviewScore

    call_command("seed_demo_peers")
    call_command("seed_demo_peers")  # safe to run again: nothing doubles
    assert PeerAccount.objects.count() == 2
    assert BenchmarkSnapshot.objects.filter(peer__isnull=False).count() == 2 * 28
    assert BenchmarkSnapshot.objects.filter(account__isnull=False).count() == 4 * 28
    assert ReviewCycle.objects.get().state == "open" and ReviewScore.objects.count() == 3
    body = login(demo.people["manager"]).get("/reports/benchmarks/").content.decode()
    assert "澜山乳业" in body and "禾露牧场" in body and body.count("best peer</strong>") >= 4
    assert login(demo.people["operator"]).get("/reports/reviews/").status_code == 200
