"""REST: the KPI catalogue (read-only) and KPI targets, with the scorecard page's permissions."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from weibo_ops.requests import client_ip

from .. import kpi_targets
from ..kpis import KPI_BY_CODE, KPIS
from ..models import KpiTarget


class KpiSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    unit_label = serializers.CharField()
    direction = serializers.ChoiceField(choices=["higher", "lower"])
    formula = serializers.CharField()
    rows = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())


class KpiViewSet(viewsets.ViewSet):
    """The KPI definitions, with the formula in words as people see it. Everyone signed in reads them."""

    serializer_class = KpiSerializer
    lookup_field = "code"

    @extend_schema(responses=KpiSerializer(many=True))
    def list(self, request):
        return Response(KpiSerializer(KPIS, many=True).data)

    @extend_schema(responses=KpiSerializer, parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH)])
    def retrieve(self, request, code=None):
        kpi = KPI_BY_CODE.get(code)
        if kpi is None:
            from rest_framework.exceptions import NotFound

            raise NotFound(_("There is no KPI with this code."))
        return Response(KpiSerializer(kpi).data)


class KpiTargetSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(read_only=True)

    class Meta:
        model = KpiTarget
        fields = ["id", "kpi", "brand", "account", "person", "scope", "start", "end", "value", "created_at"]
        read_only_fields = ["created_at"]


class KpiTargetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """KPI targets of the brand, an account or a person over a period. Read: managers all; others those of the
    accounts they work on and their own. Write: managers, and for an account whoever may manage it; a target
    of a period that is over is refused."""

    serializer_class = KpiTargetSerializer
    filterset_fields = ["kpi", "brand", "account", "person"]
    ordering_fields = ["start", "kpi"]

    queryset = KpiTarget.objects.none()  # for the schema; requests read get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return KpiTarget.objects.none()
        return kpi_targets.kpi_targets_visible(user=self.request.user).order_by("start", "kpi", "id")

    def perform_create(self, serializer):
        serializer.instance = kpi_targets.kpi_target_create(by=self.request.user, ip=client_ip(self.request),
                                                            **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = kpi_targets.kpi_target_update(target=serializer.instance, by=self.request.user,
                                                            ip=client_ip(self.request), **serializer.validated_data)

    def perform_destroy(self, instance):
        kpi_targets.kpi_target_delete(target=instance, by=self.request.user, ip=client_ip(self.request))

    def permission_denied_message(self) -> str:
        return _("Only a manager, or someone who may manage the account, sets its KPI targets.")

    def handle_exception(self, exc):
        from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

        if isinstance(exc, DjangoPermissionDenied):
            exc = PermissionDenied(str(exc) or self.permission_denied_message())
        return super().handle_exception(exc)
