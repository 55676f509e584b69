"""Reviews (绩效评估): brand-wide cycles in which each person is scored by themselves, by peers and by their leader,
the three weighted into one total whose formula is shown with it.

Who sees what (pages and API alike, through ``reviews_visible`` and ``review_view_allowed``): managers and
administrators every review; a leader the reviews they lead; a person their own review, with the peers who scored
them not named (the scores and comments are shown, as "peer"), so that peers can score honestly; nobody else
anything. A peer may give a score to a review they cannot read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from .models import (
    SCALE_BOUNDS,
    CycleState,
    Review,
    ReviewCycle,
    ReviewScale,
    ReviewScore,
    ScoreRole,
    User,
)
from .services import audit_record

WEIGHTS_TOTAL = 100  # per cent: self + peer + leader
TOTAL_PLACES = Decimal("0.01")  # the weighted total is shown to two decimal places


def review_manage_allowed(user: User) -> bool:
    """Managers and administrators open and close cycles and decide who is reviewed by whom."""
    return user.is_org_wide


def reviews_visible(*, user: User) -> QuerySet[Review]:
    """The reviews ``user`` may read (see the module's docstring)."""
    reviews = Review.objects.select_related("cycle", "person", "leader")
    if user.is_org_wide:
        return reviews
    return reviews.filter(Q(person=user) | Q(leader=user))


def review_view_allowed(user: User, review: Review) -> bool:
    return user.is_org_wide or user.pk in (review.person_id, review.leader_id)


def review_cycle_create(*, brand, name: str, start: date, end: date, by: User, scale: str = ReviewScale.FIVE,
                        self_weight: int = 20, peer_weight: int = 30, leader_weight: int = 50,
                        ip: str | None = None) -> ReviewCycle:
    if not review_manage_allowed(by):
        raise PermissionDenied(_("Only managers and administrators open review cycles."))
    cycle = ReviewCycle(brand=brand, name=name, start=start, end=end, scale=scale, self_weight=self_weight,
                        peer_weight=peer_weight, leader_weight=leader_weight, created_by=by)
    errors = {}
    if self_weight + peer_weight + leader_weight != WEIGHTS_TOTAL:
        errors["self_weight"] = _("The self, peer and leader weights must add up to 100; they add up to %(sum)s.") % {
            "sum": self_weight + peer_weight + leader_weight}
    if end < start:
        errors["end"] = _("The period ends before it starts.")
    if errors:
        raise ValidationError(errors)
    cycle.full_clean()
    with transaction.atomic():
        cycle.save()
        audit_record(actor=by, action="review_cycle.create", target=cycle, ip=ip,
                     changes={"period": [str(start), str(end)], "scale": scale,
                              "weights": [self_weight, peer_weight, leader_weight]})
    return cycle


def review_cycle_close(*, cycle: ReviewCycle, by: User, ip: str | None = None) -> ReviewCycle:
    if not review_manage_allowed(by):
        raise PermissionDenied(_("Only managers and administrators close review cycles."))
    with transaction.atomic():
        if ReviewCycle.objects.filter(pk=cycle.pk, state=CycleState.OPEN).update(state=CycleState.CLOSED):
            audit_record(actor=by, action="review_cycle.close", target=cycle, ip=ip,
                         changes={"state": [CycleState.OPEN, CycleState.CLOSED]})
    cycle.refresh_from_db()
    return cycle


def review_create(*, cycle: ReviewCycle, person: User, leader: User, by: User, ip: str | None = None) -> Review:
    if not review_manage_allowed(by):
        raise PermissionDenied(_("Only managers and administrators decide who is reviewed by whom."))
    if cycle.state != CycleState.OPEN:
        raise ValidationError({"cycle": _("The cycle is closed: reviews can no longer be added.")})
    if person.pk == leader.pk:
        raise ValidationError({"leader": _("A person cannot be their own leader in a review; choose their leader.")})
    if Review.objects.filter(cycle=cycle, person=person).exists():
        raise ValidationError({"person": _("%(person)s already has a review in this cycle.") % {"person": person}})
    with transaction.atomic():
        review = Review.objects.create(cycle=cycle, person=person, leader=leader)
        audit_record(actor=by, action="review.create", target=review, ip=ip,
                     changes={"person": person.username, "leader": leader.username})
    return review


def _check_score(review: Review, by: User, role: str, score: int) -> None:
    cycle = review.cycle
    if cycle.state != CycleState.OPEN:
        raise ValidationError({"review": _("The cycle %(cycle)s is closed: scores can no longer be given.")
                               % {"cycle": cycle.name}})
    low, high = SCALE_BOUNDS[ReviewScale(cycle.scale)]
    if not low <= score <= high:
        raise ValidationError({"score": _("The score must be between %(low)s and %(high)s (this cycle's scale); "
                                          "got %(score)s.") % {"low": low, "high": high, "score": score}})
    if role == ScoreRole.SELF and by.pk != review.person_id:
        raise PermissionDenied(_("Only the person reviewed gives the self score."))
    if role == ScoreRole.LEADER and by.pk != review.leader_id:
        raise PermissionDenied(_("Only the review's leader gives the leader score."))
    if role == ScoreRole.PEER and by.pk == review.person_id:
        raise ValidationError({"role": _("You cannot score yourself as a peer: give your self score instead.")})
    if role == ScoreRole.PEER and by.pk == review.leader_id:
        raise ValidationError({"role": _("You lead this review: give the leader score instead.")})
    if ReviewScore.objects.filter(review=review, by=by, role=role).exists():
        raise ValidationError({"role": _("You already gave your %(role)s score on this review.")
                               % {"role": ScoreRole(role).label}})


def review_score(*, review: Review, by: User, role: str, score: int, comment: str = "",
                 ip: str | None = None) -> ReviewScore:
    """Give one score. Refused (``ValidationError`` by field, ``PermissionDenied``) on a closed cycle, outside the
    cycle's scale, a second score of the same role by the same person, a person scoring themselves as peer, or a
    self or leader score by someone else."""
    if role not in ScoreRole.values:
        raise ValidationError({"role": _("The role must be self, peer or leader.")})
    review = Review.objects.select_related("cycle").get(pk=review.pk)
    _check_score(review, by, role, score)
    try:
        with transaction.atomic():
            given = ReviewScore.objects.create(review=review, by=by, role=role, score=score, comment=comment)
            audit_record(actor=by, action="review.score", target=review, ip=ip, changes={"role": role})
    except IntegrityError:  # the same score sent twice at once: the constraint keeps one
        raise ValidationError({"role": _("You already gave your %(role)s score on this review.")
                               % {"role": ScoreRole(role).label}}) from None
    return given


@dataclass(frozen=True)
class ScoreLine:
    role: str
    score: int
    comment: str
    by: str  # the scorer's name, or "" where the viewer may not know it

    @property
    def role_label(self) -> str:
        return str(ScoreRole(self.role).label)


@dataclass(frozen=True)
class ReviewSummary:
    review: Review
    lines: list[ScoreLine]
    means: dict[str, Decimal | None]  # role -> mean score, None while nobody of that role scored
    total: Decimal | None  # None until every role with a weight has scored
    formula: str  # the weighted total spelled out with the numbers used


def _mean(values: list[int]) -> Decimal | None:
    return (Decimal(sum(values)) / len(values)).quantize(TOTAL_PLACES, ROUND_HALF_UP) if values else None


def review_summary(*, review: Review, viewer: User) -> ReviewSummary:
    """The review's scores as ``viewer`` may see them, the mean per role and the weighted total:
    total = self weight × self score + peer weight × mean peer score + leader weight × leader score (weights in %)."""
    cycle = review.cycle
    # .all(): a list page prefetches ``scores__by``, so a page of reviews costs no query per review.
    order = {role: n for n, role in enumerate(ScoreRole.values)}
    scores = sorted(review.scores.all(), key=lambda s: (order[s.role], s.pk))
    hide_peers = not (viewer.is_org_wide or viewer.pk == review.leader_id)
    lines = [ScoreLine(s.role, s.score, s.comment,
                       "" if hide_peers and s.role == ScoreRole.PEER else str(s.by)) for s in scores]
    weights = {ScoreRole.SELF: cycle.self_weight, ScoreRole.PEER: cycle.peer_weight,
               ScoreRole.LEADER: cycle.leader_weight}
    means = {role: _mean([s.score for s in scores if s.role == role]) for role in weights}
    parts = [f"{weight}% × {means[role] if means[role] is not None else '?'} ({ScoreRole(role).label})"
             for role, weight in weights.items()]
    waiting = any(means[role] is None for role, weight in weights.items() if weight)
    total = None if waiting else sum(
        (Decimal(weight) * (means[role] or 0) / WEIGHTS_TOTAL for role, weight in weights.items()), Decimal(0),
    ).quantize(TOTAL_PLACES, ROUND_HALF_UP)
    formula = " + ".join(parts) + f" = {total if total is not None else '?'}"
    return ReviewSummary(review, lines, means, total, formula)
