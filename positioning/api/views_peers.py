"""REST for peer benchmarks: the brand's peers, their daily snapshots, and the CSV import. Everyone signed in reads
(peers' figures are public on Weibo); managers and administrators name peers and import, as on the pages."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from weibo_ops.requests import client_ip

from .. import benchmarks
from ..access import brand_manage_allowed
from ..models import BenchmarkSnapshot, Brand, PeerAccount

READ = ("GET", "HEAD", "OPTIONS")
CSV_MAX_BYTES = 2 * 1024 * 1024  # a year of daily rows for dozens of peers is far below this


class PeerSerializer(serializers.ModelSerializer):
    class Meta:
        model = PeerAccount
        fields = ["id", "brand", "weibo_uid", "name", "industry_note", "source", "search_keyword", "is_active",
                  "problem", "retry_at", "created_at"]
        read_only_fields = ["is_active", "problem", "retry_at", "created_at"]
        validators = []  # the service says which field is wrong, in words


class PeerSnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = BenchmarkSnapshot
        fields = ["day", "followers", "statuses_count", "posts", "interactions_per_post", "measured", "measured_at"]


class CsvImportSerializer(serializers.Serializer):
    brand = serializers.PrimaryKeyRelatedField(queryset=Brand.objects.all())
    file = serializers.FileField(help_text="UTF-8 CSV: uid,day,followers,posts,interactions_per_post")

    def validate_file(self, file):
        if file.size > CSV_MAX_BYTES:
            raise serializers.ValidationError(_("The file is larger than 2 MB: split it."))
        try:
            return file.read().decode("utf-8")
        except UnicodeDecodeError:
            raise serializers.ValidationError(_("The file is not UTF-8 text: save it as “CSV UTF-8”.")) from None


class CsvImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class PeerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  viewsets.GenericViewSet):
    serializer_class = PeerSerializer
    queryset = PeerAccount.objects.select_related("brand").order_by("brand_id", "name")
    filterset_fields = ["brand", "source", "is_active"]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in READ and not brand_manage_allowed(request.user):
            raise PermissionDenied(_("Only managers and administrators name peers and import their figures."))

    def perform_create(self, serializer):
        serializer.instance = benchmarks.peer_create(by=self.request.user, ip=client_ip(self.request),
                                                     **serializer.validated_data)

    @extend_schema(responses=PeerSnapshotSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=PeerSnapshotSerializer)
    def snapshots(self, request, pk=None):
        """The peer's daily figures, oldest first."""
        peer = get_object_or_404(PeerAccount, pk=pk)
        page = self.paginate_queryset(peer.snapshots.order_by("day"))
        return self.get_paginated_response(PeerSnapshotSerializer(page, many=True).data)

    @extend_schema(request=CsvImportSerializer, responses=CsvImportResultSerializer)
    @action(detail=False, methods=["post"], url_path="import", serializer_class=CsvImportSerializer)
    def import_csv(self, request):
        """Import daily figures of peers; any bad row is a 400 naming its line, and nothing is stored."""
        serializer = CsvImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        done = benchmarks.benchmark_csv_import(brand=serializer.validated_data["brand"],
                                               text=serializer.validated_data["file"], by=request.user,
                                               ip=client_ip(request))
        return Response(CsvImportResultSerializer(done).data, status=status.HTTP_201_CREATED)
