"""REST: scorecards, with the page's permissions (``reports.kpis.scorecard_allowed``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from ..forms import ScorecardForm
from ..kpis import scorecard, scorecard_allowed


class FigureSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    formula = serializers.CharField()
    rows = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    target = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    attainment = serializers.FloatField(allow_null=True)
    unit = serializers.CharField()
    direction = serializers.CharField()
    basis = serializers.CharField()
    url = serializers.CharField()


class ScorecardSerializer(serializers.Serializer):
    brand = serializers.IntegerField()
    account = serializers.IntegerField(allow_null=True)
    person = serializers.IntegerField(allow_null=True)
    start = serializers.DateField()
    end = serializers.DateField()
    figures = FigureSerializer(many=True)


class ScorecardView(APIView):
    """The scorecard of the brand (no account or person), one account or one person over a period (this month
    by default): each KPI's value from the stored rows, its target, the attainment and the list of its rows."""

    @extend_schema(parameters=[
        OpenApiParameter("brand", int), OpenApiParameter("account", int), OpenApiParameter("person", int),
        OpenApiParameter("start", str, description="YYYY-MM-DD"),
        OpenApiParameter("end", str, description="YYYY-MM-DD"),
    ], responses=ScorecardSerializer)
    def get(self, request):
        form = ScorecardForm(request.query_params, user=request.user)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors)
        data = form.cleaned_data
        brand, account, person = data["brand"], data["account"], data["person"]
        if brand is None or not scorecard_allowed(request.user, brand=brand, account=account, person=person):
            raise PermissionDenied(_("You may see your own scorecard and those of the accounts you work on."))
        figures = scorecard(brand=brand, account=account, person=person, start=data["start"], end=data["end"])
        for figure in figures:
            figure.url = request.build_absolute_uri(figure.url)
        return Response(ScorecardSerializer({
            "brand": brand.pk, "account": account.pk if account else None, "person": person.pk if person else None,
            "start": data["start"], "end": data["end"], "figures": figures}).data)
