"""REST for reviews: cycles, reviews and scores, with the pages' visibility (``team.reviews``)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from weibo_ops.requests import client_ip

from .. import reviews
from ..models import Review, ReviewCycle, ReviewScore, User

READ = ("GET", "HEAD", "OPTIONS")


class ReviewCycleSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewCycle
        fields = ["id", "brand", "name", "start", "end", "scale", "self_weight", "peer_weight", "leader_weight",
                  "state", "created_at"]
        read_only_fields = ["state", "created_at"]


class ScoreLineSerializer(serializers.Serializer):
    role = serializers.CharField()
    score = serializers.IntegerField()
    comment = serializers.CharField()
    by = serializers.CharField(help_text="Empty where the viewer may not know the scorer (peers, to the person).")


class ReviewSerializer(serializers.ModelSerializer):
    person = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    leader = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    scores = serializers.SerializerMethodField()
    total = serializers.SerializerMethodField()
    formula = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["id", "cycle", "person", "leader", "scores", "total", "formula"]

    def _summary(self, review: Review) -> reviews.ReviewSummary:
        cache = self.context.setdefault("summaries", {})
        if review.pk not in cache:
            cache[review.pk] = reviews.review_summary(review=review, viewer=self.context["request"].user)
        return cache[review.pk]

    @extend_schema_field(ScoreLineSerializer(many=True))
    def get_scores(self, review: Review) -> list[dict]:
        return ScoreLineSerializer(self._summary(review).lines, many=True).data

    def get_total(self, review: Review) -> str | None:
        total = self._summary(review).total
        return None if total is None else str(total)

    def get_formula(self, review: Review) -> str:
        return self._summary(review).formula


class ScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewScore
        fields = ["id", "review", "role", "score", "comment", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # review_score says what is wrong, in words


class ReviewCycleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         viewsets.GenericViewSet):
    """Review cycles: everyone signed in reads them; managers and administrators open and close them."""

    serializer_class = ReviewCycleSerializer
    queryset = ReviewCycle.objects.order_by("-start", "pk")
    filterset_fields = ["brand", "state"]

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in READ and not reviews.review_manage_allowed(request.user):
            raise PermissionDenied(_("Only managers and administrators open and close review cycles."))

    def perform_create(self, serializer):
        serializer.instance = reviews.review_cycle_create(by=self.request.user, ip=client_ip(self.request),
                                                          **serializer.validated_data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        cycle = reviews.review_cycle_close(cycle=self.get_object(), by=request.user, ip=client_ip(request))
        return Response(ReviewCycleSerializer(cycle).data)


class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    viewsets.GenericViewSet):
    """Reviews the caller may read: their own, those they lead, every one for managers and administrators.
    Reading another is a 404, as if it did not exist."""

    serializer_class = ReviewSerializer
    filterset_fields = ["cycle", "person", "leader"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no person
            return Review.objects.none()
        return reviews.reviews_visible(user=self.request.user).prefetch_related("scores__by").order_by("pk")

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in READ and not reviews.review_manage_allowed(request.user):
            raise PermissionDenied(_("Only managers and administrators decide who is reviewed by whom."))

    def perform_create(self, serializer):
        serializer.instance = reviews.review_create(by=self.request.user, ip=client_ip(self.request),
                                                    **serializer.validated_data)


class ScoreViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Scores: the list is the scores the caller gave; POST gives one (self, peer or leader)."""

    serializer_class = ScoreSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReviewScore.objects.none()
        return ReviewScore.objects.filter(by=self.request.user).order_by("pk")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        review = get_object_or_404(Review, pk=data["review"].pk)
        given = reviews.review_score(review=review, by=request.user, role=data["role"], score=data["score"],
                                     comment=data.get("comment", ""), ip=client_ip(request))
        return Response(ScoreSerializer(given).data, status=status.HTTP_201_CREATED)
