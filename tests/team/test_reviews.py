"""Reviews: refusals (scale, second self score, peer scoring themselves, closed cycle, weights), the weighted total
hand-computed with its formula, and who sees which review on the pages and in the API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from team import reviews
from team.models import Review, ReviewScale, ReviewScore, ScoreRole

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]  # embedded: reviews write in transactions
LANGUAGE = "en"


@pytest.fixture
def cycle(demo):
    return reviews.review_cycle_create(brand=demo.brand, name="2026 H2", start=date(2026, 7, 1),
                                       end=date(2026, 12, 31), by=demo.people["manager"])


@pytest.fixture
def review(demo, cycle):
    """The operator's review, led by the reviewer (their leader in this cycle)."""
    return reviews.review_create(cycle=cycle, person=demo.people["operator"], leader=demo.people["reviewer"],
                                 by=demo.people["manager"])


@pytest.mark.usefixtures("english")
def test_the_weighted_total_is_hand_computed_and_shown_with_its_formula(demo, review):
    p = demo.people
    reviews.review_score(review=review, by=p["operator"], role=ScoreRole.SELF, score=4, comment="做得不错")
    reviews.review_score(review=review, by=p["agent"], role=ScoreRole.PEER, score=3)
    summary = reviews.review_summary(review=review, viewer=p["manager"])
    assert summary.total is None  # the leader has not scored: no total yet
    reviews.review_score(review=review, by=p["pr"], role=ScoreRole.PEER, score=4)
    reviews.review_score(review=review, by=p["reviewer"], role=ScoreRole.LEADER, score=5)
    summary = reviews.review_summary(review=review, viewer=p["manager"])
    # 20% × 4 + 30% × (3 + 4) / 2 + 50% × 5 = 0.8 + 1.05 + 2.5 = 4.35
    assert summary.means == {"self": Decimal("4.00"), "peer": Decimal("3.50"), "leader": Decimal("5.00")}
    assert summary.total == Decimal("4.35")
    assert summary.formula == "20% × 4.00 (Self) + 30% × 3.50 (Peer) + 50% × 5.00 (Leader) = 4.35"


def test_a_hundred_point_cycle_with_other_weights(demo):
    cycle = reviews.review_cycle_create(brand=demo.brand, name="Q4", start=date(2026, 10, 1), end=date(2026, 12, 31),
                                        scale=ReviewScale.HUNDRED, self_weight=10, peer_weight=40, leader_weight=50,
                                        by=demo.people["admin"])
    review = reviews.review_create(cycle=cycle, person=demo.people["agent"], leader=demo.people["manager"],
                                   by=demo.people["admin"])
    reviews.review_score(review=review, by=demo.people["agent"], role=ScoreRole.SELF, score=90)
    reviews.review_score(review=review, by=demo.people["operator"], role=ScoreRole.PEER, score=75)
    reviews.review_score(review=review, by=demo.people["manager"], role=ScoreRole.LEADER, score=80)
    # 10% × 90 + 40% × 75 + 50% × 80 = 9 + 30 + 40 = 79
    assert reviews.review_summary(review=review, viewer=demo.people["agent"]).total == Decimal("79.00")


@pytest.mark.usefixtures("english")
def test_refusals_say_why_and_store_nothing(demo, cycle, review):
    p = demo.people
    with pytest.raises(ValidationError) as outside:
        reviews.review_score(review=review, by=p["operator"], role=ScoreRole.SELF, score=6)
    assert outside.value.message_dict == {"score": [
        "The score must be between 1 and 5 (this cycle's scale); got 6."]}
    with pytest.raises(ValidationError):
        reviews.review_score(review=review, by=p["operator"], role=ScoreRole.SELF, score=0)
    reviews.review_score(review=review, by=p["operator"], role=ScoreRole.SELF, score=4)
    with pytest.raises(ValidationError) as twice:
        reviews.review_score(review=review, by=p["operator"], role=ScoreRole.SELF, score=5)
    assert twice.value.message_dict == {"role": ["You already gave your Self score on this review."]}
    with pytest.raises(ValidationError) as own_peer:
        reviews.review_score(review=review, by=p["operator"], role=ScoreRole.PEER, score=5)
    assert own_peer.value.message_dict == {"role": [
        "You cannot score yourself as a peer: give your self score instead."]}
    with pytest.raises(PermissionDenied):
        reviews.review_score(review=review, by=p["agent"], role=ScoreRole.SELF, score=3)
    with pytest.raises(PermissionDenied):
        reviews.review_score(review=review, by=p["agent"], role=ScoreRole.LEADER, score=3)
    reviews.review_cycle_close(cycle=cycle, by=p["manager"])
    with pytest.raises(ValidationError) as closed:
        reviews.review_score(review=review, by=p["reviewer"], role=ScoreRole.LEADER, score=5)
    assert closed.value.message_dict == {"review": ["The cycle 2026 H2 is closed: scores can no longer be given."]}
    assert list(ReviewScore.objects.values_list("role", "score")) == [("self", 4)]
    with pytest.raises(ValidationError) as weights:
        reviews.review_cycle_create(brand=demo.brand, name="x", start=date(2026, 1, 1), end=date(2026, 2, 1),
                                    self_weight=20, peer_weight=20, leader_weight=50, by=p["manager"])
    assert weights.value.message_dict == {"self_weight": [
        "The self, peer and leader weights must add up to 100; they add up to 90."]}
    with pytest.raises(PermissionDenied):
        reviews.review_cycle_create(brand=demo.brand, name="x", start=date(2026, 1, 1), end=date(2026, 2, 1),
                                    by=p["operator"])


@pytest.fixture
def scored(demo, review):
    p = demo.people
    reviews.review_score(review=review, by=p["operator"], role=ScoreRole.SELF, score=4, comment="自评")
    reviews.review_score(review=review, by=p["agent"], role=ScoreRole.PEER, score=3, comment="配合很好")
    return review


# (viewer, sees the review, sees the peer's name)
VISIBILITY = [("operator", True, False), ("reviewer", True, True), ("manager", True, True), ("admin", True, True),
              ("agent", False, False), ("pr", False, False), ("logistics", False, False)]


@pytest.mark.parametrize(("viewer", "sees", "names_peer"), VISIBILITY)
def test_visibility_on_the_page(demo, scored, login, viewer, sees, names_peer):
    client = login(demo.people[viewer])
    page = client.get(f"/reports/reviews/{scored.pk}/")
    assert page.status_code == (200 if sees else 404)
    index = client.get("/reports/reviews/").content.decode()
    assert (f"/reports/reviews/{scored.pk}/" in index) is sees
    if sees:
        body = page.content.decode()
        assert "配合很好" in body
        assert (str(demo.people["agent"]) in body) is names_peer


@pytest.mark.parametrize(("viewer", "sees", "names_peer"), VISIBILITY)
def test_visibility_in_the_api(demo, scored, api, viewer, sees, names_peer):
    client = api(demo.people[viewer])
    one = client.get(f"/api/v1/team/reviews/{scored.pk}/")
    assert one.status_code == (200 if sees else 404)
    listed = [r["id"] for r in client.get("/api/v1/team/reviews/").json()["results"]]
    assert listed == ([scored.pk] if sees else [])
    if sees:
        by = {line["comment"]: line["by"] for line in one.json()["scores"]}
        assert by["配合很好"] == (str(demo.people["agent"]) if names_peer else "")


def test_api_scores_400s_and_the_201(demo, review, api):
    client = api(demo.people["operator"])
    url = "/api/v1/team/scores/"
    bad = client.post(url, {"review": review.pk, "role": "self", "score": 9}, format="json")
    assert bad.status_code == 400 and bad.json() == {"score": [
        "The score must be between 1 and 5 (this cycle's scale); got 9."]}
    assert client.post(url, {"review": review.pk, "role": "peer", "score": 3}, format="json").status_code == 400
    assert client.post(url, {"review": review.pk, "role": "boss", "score": 3}, format="json").status_code == 400
    made = client.post(url, {"review": review.pk, "role": "self", "score": 4, "comment": "ok"}, format="json")
    assert made.status_code == 201 and made.json()["score"] == 4
    assert client.post(url, {"review": review.pk, "role": "self", "score": 4}, format="json").status_code == 400
    # A peer scores a review they cannot read; someone else's self score is a 403.
    peer = api(demo.people["pr"])
    assert peer.post(url, {"review": review.pk, "role": "peer", "score": 5}, format="json").status_code == 201
    assert peer.post(url, {"review": review.pk, "role": "self", "score": 5}, format="json").status_code == 403
    assert [s["score"] for s in peer.get(url).json()["results"]] == [5]


def test_api_cycles_are_opened_by_managers_with_weights_adding_to_100(demo, api):
    url = "/api/v1/team/review-cycles/"
    body = {"brand": demo.brand.pk, "name": "2027 H1", "start": "2027-01-01", "end": "2027-06-30",
            "scale": "1-5", "self_weight": 30, "peer_weight": 30, "leader_weight": 30}
    assert api(demo.people["operator"]).post(url, body, format="json").status_code == 403
    manager = api(demo.people["manager"])
    refused = manager.post(url, body, format="json")
    assert refused.status_code == 400 and "self_weight" in refused.json()
    made = manager.post(url, {**body, "leader_weight": 40}, format="json")
    assert made.status_code == 201 and made.json()["state"] == "open"
    review = manager.post("/api/v1/team/reviews/", {"cycle": made.json()["id"], "person": demo.people["agent"].pk,
                                                    "leader": demo.people["agent"].pk}, format="json")
    assert review.status_code == 400 and "leader" in review.json()
    closed = manager.post(f"{url}{made.json()['id']}/close/")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert not Review.objects.exists()


def test_page_score_form_refuses_outside_the_scale(demo, review, login):
    client = login(demo.people["reviewer"], language="en")
    page = client.post(f"/reports/reviews/{review.pk}/", {"role": "leader", "score": "7"})
    assert page.status_code == 400
    assert "The score must be between 1 and 5" in page.content.decode()
    assert not ReviewScore.objects.exists()
    done = client.post(f"/reports/reviews/{review.pk}/", {"role": "leader", "score": "5", "comment": "好"})
    assert done.status_code == 302 and ReviewScore.objects.get().score == 5


def test_the_review_list_costs_the_same_queries_for_one_review_or_many(demo, cycle, api,
                                                                       django_assert_max_num_queries):
    p = demo.people
    for name in ("operator", "agent", "pr", "reviewer", "logistics"):
        review = reviews.review_create(cycle=cycle, person=p[name], leader=p["manager"], by=p["admin"])
        reviews.review_score(review=review, by=p[name], role=ScoreRole.SELF, score=3)
        reviews.review_score(review=review, by=p["admin"], role=ScoreRole.PEER, score=4)
    client = api(p["manager"])
    with django_assert_max_num_queries(8):  # session, user, count, page, scores with their authors
        listed = client.get("/api/v1/team/reviews/").json()["results"]
    assert len(listed) == 5 and all(len(r["scores"]) == 2 for r in listed)


def test_kpi_attainment_sits_beside_the_scores_from_the_scorecard(demo, review, login):
    from reports.kpis import scorecard

    figures = scorecard(brand=demo.brand, person=review.person, start=review.cycle.start, end=review.cycle.end)
    body = login(demo.people["reviewer"]).get(f"/reports/reviews/{review.pk}/").content.decode()
    assert figures and all(f'id="kpi-{f.code}"' in body for f in figures)
    assert "KPI attainment in the period" in body
