"""The duty roster's API, mounted under /api/v1/team/ (shifts/, swaps/, on-duty/) beside the rest of team's.

It lives in positioning for the reason ``positioning.roster`` does: every check needs the per-account grants.
Same rules as the pages: shifts of an account the caller may not see do not exist (404); managers and those who
manage the account write them; people ask to swap their own shifts; a service's refusal is a 400 with field errors
(``weibo_ops.api.exception_handler``).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from team.models import Duty, Shift, ShiftSwap, User
from team.roster import on_duty
from weibo_ops.requests import client_ip

from .. import roster
from ..access import accounts_for
from ..models import Account

ID = "[0-9]+"  # ids in paths: anything else is no such resource (404)


class PersonRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name"]
        read_only_fields = fields


class ShiftSerializer(serializers.ModelSerializer):
    """A person on one duty for one account, ``starts_at`` inclusive to ``ends_at`` exclusive. On create,
    ``repeat_weeks`` (1-12) repeats the same hours weekly; the answer is the first shift."""

    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.none())
    person = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    person_detail = PersonRefSerializer(source="person", read_only=True)
    repeat_weeks = serializers.IntegerField(write_only=True, required=False, default=1, min_value=1,
                                            max_value=roster.MAX_REPEAT_WEEKS)

    class Meta:
        model = Shift
        fields = ["id", "account", "person", "person_detail", "duty", "starts_at", "ends_at", "note", "created_by",
                  "created_at", "repeat_weeks"]
        read_only_fields = ["created_by", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # only accounts the caller sees can be named (others: "invalid pk")
            self.fields["account"].queryset = accounts_for(request.user)

    def validate(self, attrs):
        if self.instance is not None and "account" in attrs and attrs["account"].pk != self.instance.account_id:
            raise ValidationError({"account": _("A shift stays on its account: remove it and add a new one.")})
        return attrs


class ShiftFilter(filters.FilterSet):
    start = filters.IsoDateTimeFilter(field_name="ends_at", lookup_expr="gt", label="from",
                                      help_text="Shifts still running after this time.")
    end = filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt", label="to",
                                    help_text="Shifts starting before this time.")

    class Meta:
        model = Shift
        fields = ["account", "person", "duty"]

    def __init__(self, data=None, *args, **kwargs):
        # ``from`` is a Python keyword: the query parameters are ``from`` and ``to``, the filters start and end.
        if data is not None:
            data = data.copy()
            for param, name in (("from", "start"), ("to", "end")):
                if param in data:
                    data[name] = data.pop(param)[-1]
        super().__init__(data, *args, **kwargs)


@extend_schema(parameters=[
    OpenApiParameter("from", OpenApiTypes.DATETIME, description="Shifts still running after this time."),
    OpenApiParameter("to", OpenApiTypes.DATETIME, description="Shifts starting before this time.")])
class ShiftViewSet(viewsets.ModelViewSet):
    """Shifts of the accounts the caller sees. Managers and those who manage the account add, change and
    remove them; a person cannot be on two duties at once, and must hold the grant the duty needs."""

    serializer_class = ShiftSerializer
    filterset_class = ShiftFilter
    ordering_fields = ["starts_at"]
    lookup_value_regex = ID

    def get_queryset(self):
        return (Shift.objects.filter(account__in=accounts_for(self.request.user).values("pk"))
                .select_related("person", "account").order_by("starts_at", "pk"))

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        shifts = roster.shift_create(by=self.request.user, ip=client_ip(self.request), **data)
        serializer.instance = shifts[0]

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("account", None)
        data.pop("repeat_weeks", None)
        serializer.instance = roster.shift_update(shift=serializer.instance, by=self.request.user,
                                                  ip=client_ip(self.request), **data)

    def perform_destroy(self, instance):
        roster.shift_delete(shift=instance, by=self.request.user, ip=client_ip(self.request))


class SwapSerializer(serializers.ModelSerializer):
    """A request to hand a shift to ``to_person``, decided by a manager or someone who manages the account."""

    shift = serializers.PrimaryKeyRelatedField(queryset=Shift.objects.none())
    to_person = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))

    class Meta:
        model = ShiftSwap
        fields = ["id", "shift", "requested_by", "to_person", "reason", "state", "created_at", "decided_by",
                  "decided_at"]
        read_only_fields = ["requested_by", "state", "created_at", "decided_by", "decided_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["shift"].queryset = Shift.objects.filter(
                account__in=accounts_for(request.user).values("pk")).select_related("account", "person")


class SwapViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  viewsets.GenericViewSet):
    """Swap requests on the accounts the caller sees. ``POST`` asks (own shifts only); ``approve`` and ``refuse``
    decide; ``cancel`` takes one's own request back."""

    serializer_class = SwapSerializer
    filterset_fields = ["state", "shift__account"]
    lookup_value_regex = ID

    def get_queryset(self):
        return (ShiftSwap.objects.filter(shift__account__in=accounts_for(self.request.user).values("pk"))
                .select_related("shift__account", "to_person", "requested_by").order_by("-created_at", "-pk"))

    def perform_create(self, serializer):
        serializer.instance = roster.swap_request(by=self.request.user, ip=client_ip(self.request),
                                                  **serializer.validated_data)

    def _decide(self, service):
        swap = service(swap=self.get_object(), by=self.request.user, ip=client_ip(self.request))
        return Response(SwapSerializer(swap, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=SwapSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Moves the shift to the new person (overlap and grant checked again)."""
        return self._decide(roster.swap_approve)

    @extend_schema(request=None, responses=SwapSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        return self._decide(roster.swap_refuse)

    @extend_schema(request=None, responses=SwapSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._decide(roster.swap_cancel)


class OnDutyQuerySerializer(serializers.Serializer):
    account = serializers.IntegerField(min_value=1)
    duty = serializers.ChoiceField(choices=Duty.choices)
    at = serializers.DateTimeField(required=False, help_text="Default: now.")


class OnDutySerializer(serializers.Serializer):
    account = serializers.IntegerField()
    duty = serializers.CharField()
    at = serializers.DateTimeField()
    people = PersonRefSerializer(many=True)


class OnDutyView(APIView):
    """Who is on ``duty`` for ``account`` now (or at ``at``): start inclusive, end exclusive."""

    @extend_schema(parameters=[OnDutyQuerySerializer], responses=OnDutySerializer)
    def get(self, request):
        query = OnDutyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        account = accounts_for(request.user).filter(pk=query.validated_data["account"]).first()
        if account is None:
            raise ValidationError({"account": _("No account with this id that you may see.")})
        at = query.validated_data.get("at") or timezone.now()
        people = on_duty(account_id=account.pk, duty=query.validated_data["duty"], at=at)
        return Response(OnDutySerializer({"account": account.pk, "duty": query.validated_data["duty"], "at": at,
                                          "people": people}).data, status=status.HTTP_200_OK)
