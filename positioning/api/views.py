from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from team.models import User
from weibo_ops.requests import client_ip

from .. import selectors, services
from ..access import (
    AccountPermission,
    Action,
    account_create_allowed,
    account_require,
    accounts_for,
    brand_manage_allowed,
)
from ..models import Account, Brand
from .serializers import (
    AccountMemberSerializer,
    AccountSerializer,
    BrandSerializer,
    PlaybookSerializer,
    WeiboStatusSerializer,
)


class BrandViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Brands. Everyone signed in reads them; managers and administrators write."""

    serializer_class = BrandSerializer
    queryset = Brand.objects.order_by("name")
    filterset_fields = ["name"]

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not brand_manage_allowed(request.user):
            raise PermissionDenied(_("Only managers and administrators edit brands."))

    def perform_create(self, serializer):
        serializer.instance = services.brand_create(by=self.request.user, ip=client_ip(self.request),
                                                    **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.brand_update(brand=serializer.instance, by=self.request.user,
                                                    ip=client_ip(self.request), **serializer.validated_data)


class AccountFilter(filters.FilterSet):
    class Meta:
        model = Account
        fields = ["brand", "purpose", "is_active", "owner"]


class AccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The account matrix. A list shows the accounts the caller may see; reading one the caller
    may not see is 403; writing needs the "manage" permission on it."""

    serializer_class = AccountSerializer
    permission_classes = [IsAuthenticated, AccountPermission]
    filterset_class = AccountFilter
    ordering_fields = ["name", "created_at"]

    def get_queryset(self):
        if self.action == "list":
            return accounts_for(self.request.user).prefetch_related("circles").order_by("brand__name", "name")
        # Not filtered by permission: an account the caller may not see is a 403, not a 404.
        return Account.objects.select_related("brand", "owner").prefetch_related("circles")

    def check_permissions(self, request):
        super().check_permissions(request)
        # Before the body is validated: a refused caller learns nothing from field errors.
        if self.action == "create" and not account_create_allowed(request.user):
            raise PermissionDenied(_("Only managers and administrators add accounts to the matrix."))

    def perform_create(self, serializer):
        serializer.instance = services.account_create(by=self.request.user, ip=client_ip(self.request),
                                                      **serializer.validated_data)

    def perform_update(self, serializer):
        account = Account.objects.get(pk=serializer.instance.pk)
        serializer.instance = services.account_update(account=account, by=self.request.user,
                                                      ip=client_ip(self.request), **serializer.validated_data)

    def _account(self, action_needed: Action) -> Account:
        account = get_object_or_404(Account.objects.select_related("brand"), pk=self.kwargs["pk"])
        account_require(self.request.user, account, action_needed)
        return account

    @extend_schema(responses=PlaybookSerializer(many=True), request=PlaybookSerializer)
    @action(detail=True, methods=["get", "post"], serializer_class=PlaybookSerializer)
    def playbooks(self, request, pk=None):
        """GET: every version, newest first. POST: publish a new version (fields not given are
        carried over from the current one)."""
        if request.method == "GET":
            account = self._account(Action.VIEW)
            versions = selectors.playbook_versions(account=account).prefetch_related("approvers")
            page = self.paginate_queryset(versions)
            return self.get_paginated_response(PlaybookSerializer(page, many=True).data)
        account = self._account(Action.MANAGE)
        serializer = PlaybookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        approvers = data.pop("approvers", None)
        version = services.playbook_publish(account=account, by=request.user, approvers=approvers,
                                            ip=client_ip(request), **data)
        return Response(PlaybookSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=WeiboStatusSerializer)
    @action(detail=True, methods=["get"], serializer_class=WeiboStatusSerializer)
    def weibo(self, request, pk=None):
        """The account's Weibo connection state and the remaining hourly budget (calls, posts, comments,
        messages); ``budget.limited_until`` says until when calls wait."""
        account = self._account(Action.VIEW)
        return Response(WeiboStatusSerializer({
            "connection": selectors.weibo_connection(account=account),
            "budget": selectors.weibo_budget(account=account),
        }).data)

    @extend_schema(responses=PlaybookSerializer)
    @action(detail=True, methods=["get"], url_path="playbooks/current", serializer_class=PlaybookSerializer)
    def playbook_current(self, request, pk=None):
        account = self._account(Action.VIEW)
        version = selectors.playbook_current(account=account)
        if version is None:
            raise NotFound(_("This account has no playbook yet."))
        return Response(PlaybookSerializer(version).data)

    @extend_schema(responses=AccountMemberSerializer(many=True), request=AccountMemberSerializer)
    @action(detail=True, methods=["get", "post"], serializer_class=AccountMemberSerializer)
    def members(self, request, pk=None):
        """GET: who has access and what they may do. POST ``{"user": id, "permissions": [...]}``:
        set exactly those permissions (draft, approve, publish, reply, manage) for that person."""
        if request.method == "GET":
            account = self._account(Action.VIEW)
            page = self.paginate_queryset(selectors.account_members(account=account))
            return self.get_paginated_response(AccountMemberSerializer(page, many=True).data)
        account = self._account(Action.MANAGE)
        serializer = AccountMemberSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        grant = services.account_member_set(account=account, user=serializer.validated_data["user"],
                                            actions=serializer.actions(), by=request.user, ip=client_ip(request))
        return Response(AccountMemberSerializer(grant).data, status=status.HTTP_200_OK)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<user_id>\d+)")
    def member_remove(self, request, pk=None, user_id=None):
        account = self._account(Action.MANAGE)
        person = get_object_or_404(User, pk=user_id)
        if not services.account_member_remove(account=account, user=person, by=request.user, ip=client_ip(request)):
            raise NotFound(_("That person has no access to this account."))
        return Response(status=status.HTTP_204_NO_CONTENT)

