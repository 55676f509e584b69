"""Review pages: the cycles, the reviews a person may read (their own, those they lead, all for managers) with
the weighted total and its formula and KPI attainment beside the scores, and the forms to score."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from team import reviews
from team.models import CycleState, Review, ReviewCycle, ScoreRole
from weibo_ops.requests import client_ip

from .forms_reviews import CycleForm, PeerScoreForm, ReviewForm, ScoreForm
from .kpis import scorecard


def _peer_reviewable(user):
    """Reviews of open cycles that ``user`` may give a peer score to: not their own, not one they lead."""
    return (Review.objects.filter(cycle__state=CycleState.OPEN).exclude(person=user).exclude(leader=user)
            .exclude(scores__by=user, scores__role=ScoreRole.PEER).select_related("person", "cycle")
            .order_by("cycle_id", "person__username"))


def kpi_attainment(review: Review) -> list:
    """The person's KPI figures over the cycle's period, beside the scores: tk's scorecard, one definition."""
    cycle = review.cycle
    return scorecard(brand=cycle.brand, person=review.person, start=cycle.start, end=cycle.end)


@login_required
def reviews_page(request):
    user = request.user
    manage = reviews.review_manage_allowed(user)
    cycle_form = CycleForm(request.POST if request.POST.get("form") == "cycle" else None) if manage else None
    review_form = ReviewForm(request.POST if request.POST.get("form") == "review" else None) if manage else None
    peer_form = PeerScoreForm(request.POST if request.POST.get("form") == "peer" else None,
                              reviews=_peer_reviewable(user))
    if request.method == "POST":
        done = _handle(request, cycle_form, review_form, peer_form)
        if done:
            return redirect("reports:reviews")
    visible = reviews.reviews_visible(user=user).order_by("cycle_id", "person__username")
    return render(request, "reports/reviews/index.html", {
        "cycles": ReviewCycle.objects.order_by("-start", "pk"), "reviews": visible, "can_manage": manage,
        "cycle_form": cycle_form, "review_form": review_form, "peer_form": peer_form,
    }, status=400 if request.method == "POST" else 200)


def _handle(request, cycle_form, review_form, peer_form) -> bool:
    """Runs the posted form's service; False (the form carries the errors) when refused."""
    ip = client_ip(request)
    which = request.POST.get("form")
    try:
        if which == "cycle" and cycle_form is not None and cycle_form.is_valid():
            reviews.review_cycle_create(by=request.user, ip=ip, **cycle_form.cleaned_data)
        elif which == "review" and review_form is not None and review_form.is_valid():
            reviews.review_create(by=request.user, ip=ip, **review_form.cleaned_data)
        elif which == "peer" and peer_form.is_valid():
            data = peer_form.cleaned_data
            reviews.review_score(review=data["review"], by=request.user, role=ScoreRole.PEER, score=data["score"],
                                 comment=data["comment"], ip=ip)
        elif which == "close" and reviews.review_manage_allowed(request.user):
            cycle = get_object_or_404(ReviewCycle, pk=request.POST.get("cycle"))
            reviews.review_cycle_close(cycle=cycle, by=request.user, ip=ip)
        else:
            return False
    except ValidationError as error:
        form = {"cycle": cycle_form, "review": review_form, "peer": peer_form}[which]
        _errors_to(form, error)
        return False
    messages.success(request, _("Saved."))
    return True


def _errors_to(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


@login_required
def review_page(request, pk: int):
    review = get_object_or_404(Review.objects.select_related("cycle", "cycle__brand", "person", "leader"), pk=pk)
    if not reviews.review_view_allowed(request.user, review):
        raise Http404  # another person's review: as if it did not exist
    form = ScoreForm(request.POST or None)
    roles = [role for role, allowed in ((ScoreRole.SELF, request.user.pk == review.person_id),
                                        (ScoreRole.LEADER, request.user.pk == review.leader_id)) if allowed]
    form.fields["role"].choices = [(r, ScoreRole(r).label) for r in roles]
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                reviews.review_score(review=review, by=request.user, role=form.cleaned_data["role"],
                                     score=form.cleaned_data["score"], comment=form.cleaned_data["comment"],
                                     ip=client_ip(request))
            except ValidationError as error:
                _errors_to(form, error)
            else:
                messages.success(request, _("Your score is saved."))
                return redirect("reports:review", pk=review.pk)
        status = 400
    return render(request, "reports/reviews/detail.html", {
        "review": review, "summary": reviews.review_summary(review=review, viewer=request.user),
        "attainment": kpi_attainment(review), "form": form if roles and review.cycle.state == CycleState.OPEN else None,
        "low_high": review.cycle.bounds,
    }, status=status)
