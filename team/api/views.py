from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied

from weibo_ops.requests import client_ip

from .. import selectors, services
from ..permissions import departments_manage_allowed, people_manage_allowed, person_change_allowed
from .serializers import DepartmentSerializer, MemberSerializer

READ = ("GET", "HEAD", "OPTIONS")


class DepartmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Departments that Weibo work reaches. Everyone reads; managers and administrators write."""

    serializer_class = DepartmentSerializer
    filterset_fields = ["name"]

    def get_queryset(self):
        return selectors.department_list().order_by("name")

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in READ and not departments_manage_allowed(request.user):
            raise PermissionDenied(_("Only managers and administrators edit departments."))

    def perform_create(self, serializer):
        serializer.instance = services.department_create(by=self.request.user, ip=client_ip(self.request),
                                                         **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.department_update(department=serializer.instance, by=self.request.user,
                                                         ip=client_ip(self.request), **serializer.validated_data)


class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """People of the organisation. Everyone reads the directory; managers and administrators add
    people and change roles and departments."""

    serializer_class = MemberSerializer
    filterset_fields = ["department", "role", "is_active"]
    ordering_fields = ["username", "date_joined"]

    def get_queryset(self):
        return selectors.people_list(include_inactive=people_manage_allowed(self.request.user))

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in READ and not people_manage_allowed(request.user):
            raise PermissionDenied(_("Only managers and administrators manage people."))

    def check_object_permissions(self, request, obj):
        super().check_object_permissions(request, obj)
        if request.method not in READ and not person_change_allowed(request.user, obj):
            raise PermissionDenied(_("Only an administrator can change an administrator."))

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        password = data.pop("password")
        serializer.instance = services.person_create(by=self.request.user, password=password,
                                                     ip=client_ip(self.request), **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("username", None)
        serializer.instance = services.person_update(person=serializer.instance, by=self.request.user,
                                                     ip=client_ip(self.request), **data)
