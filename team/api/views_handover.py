"""REST for absences, handovers and the workload: the pages' permissions (managers write; a person reads their
own), the same services."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from weibo_ops.requests import client_ip

from .. import handover as services
from .. import selectors_work as selectors
from ..models import Absence, Handover, User
from .serializers_handover import (
    AbsenceMarkSerializer,
    AbsenceSerializer,
    HandoverApplySerializer,
    HandoverProposeSerializer,
    HandoverSerializer,
    RebalanceResultSerializer,
    RebalanceSerializer,
    UndoSerializer,
    WorkloadRowSerializer,
)

READ = ("GET", "HEAD", "OPTIONS")


def _manager_require(request) -> None:
    if not request.user.is_org_wide:
        raise PermissionDenied(_("Only managers and administrators hand work over."))


class AbsenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Absences: managers see and record everyone's; a person sees their own. Recording one proposes the
    handover of all the person's open work (returned)."""

    serializer_class = AbsenceSerializer
    queryset = Absence.objects.none()  # for the schema; get_queryset narrows to what the person may see

    def get_queryset(self):
        return selectors.absence_list(user=self.request.user)

    @extend_schema(request=AbsenceMarkSerializer, responses={201: HandoverSerializer})
    def create(self, request):
        _manager_require(request)
        data = AbsenceMarkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        handover = services.absence_mark(person=values["person"], kind=values["kind"], starts_on=values["starts_on"],
                                         ends_on=values.get("ends_on"), note=values.get("note", ""),
                                         to=values.get("to_person"), by=request.user, ip=client_ip(request))
        return Response(HandoverSerializer(handover).data, status=status.HTTP_201_CREATED)


class HandoverViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Handovers: propose (all of a person's open work), apply (one step, every item or none), undo (the items
    still untouched). Managers act; the two people concerned read."""

    serializer_class = HandoverSerializer
    queryset = Handover.objects.none()  # for the schema; get_queryset narrows to what the person may see

    def get_queryset(self):
        return selectors.handover_list(user=self.request.user).prefetch_related("items")

    @extend_schema(request=HandoverProposeSerializer, responses={201: HandoverSerializer})
    def create(self, request):
        _manager_require(request)
        data = HandoverProposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handover = services.handover_propose(person=data.validated_data["person"], by=request.user,
                                             to=data.validated_data.get("to_person"), ip=client_ip(request))
        return Response(HandoverSerializer(handover).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=HandoverApplySerializer, responses=HandoverSerializer)
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        handover = self.get_object()
        _manager_require(request)
        data = HandoverApplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handover = services.handover_apply(handover=handover, by=request.user, to=data.validated_data.get("to_person"),
                                           checklist=data.validated_data["checklist"], ip=client_ip(request))
        return Response(HandoverSerializer(self.get_queryset().get(pk=handover.pk)).data)

    @extend_schema(request=None, responses=UndoSerializer)
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        handover = self.get_object()
        _manager_require(request)
        move = services.handover_undo(handover=handover, by=request.user, ip=client_ip(request))
        return Response(UndoSerializer({"handover": self.get_queryset().get(pk=handover.pk),
                                        "moved_back": move.moved, "kept": move.kept}).data)


class WorkloadView(APIView):
    """Open items per person by kind and age (under 1 day, 1–3 days, over 3 days): managers see everyone, a
    person themselves. POST moves a person's items of one kind to another person (managers)."""

    @extend_schema(responses=WorkloadRowSerializer(many=True))
    def get(self, request):
        people = (list(User.objects.filter(is_active=True).order_by("username")) if request.user.is_org_wide
                  else [request.user])
        return Response(WorkloadRowSerializer(selectors.workload(people=people), many=True).data)

    @extend_schema(request=RebalanceSerializer, responses=RebalanceResultSerializer)
    def post(self, request):
        if not request.user.is_org_wide:
            raise PermissionDenied(_("Only managers and administrators move other people's work."))
        data = RebalanceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        moved = services.work_rebalance(from_person=values["from_person"], kind=values["kind"],
                                        to=values["to_person"], object_ids=values.get("object_ids"),
                                        by=request.user, ip=client_ip(request))
        return Response({"moved": moved})
