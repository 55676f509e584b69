from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from ..models import HANDOVER_CHECKLIST, Absence, AbsenceKind, Handover, HandoverItem, User


def _people():
    return User.objects.filter(is_active=True)


class AbsenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Absence
        fields = ["id", "person", "kind", "starts_on", "ends_on", "note", "created_by", "created_at"]
        read_only_fields = fields


class AbsenceMarkSerializer(serializers.Serializer):
    person = serializers.PrimaryKeyRelatedField(queryset=_people())
    kind = serializers.ChoiceField(choices=AbsenceKind.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    to_person = serializers.PrimaryKeyRelatedField(queryset=_people(), required=False, allow_null=True,
                                                   help_text="The stand-in; empty: suggested.")

    def validate(self, attrs):
        if attrs.get("ends_on") and attrs["ends_on"] < attrs["starts_on"]:
            raise serializers.ValidationError({"ends_on": _("The absence ends before it starts: give a later day.")})
        return attrs


class HandoverItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = HandoverItem
        fields = ["kind", "object_id", "title", "account_id", "moved", "moved_back", "kept_reason"]


class HandoverSerializer(serializers.ModelSerializer):
    items = HandoverItemSerializer(many=True, read_only=True)

    class Meta:
        model = Handover
        fields = ["id", "absence", "from_person", "to_person", "state", "checklist", "created_by", "created_at",
                  "applied_at", "undone_at", "items"]
        read_only_fields = fields


class HandoverProposeSerializer(serializers.Serializer):
    person = serializers.PrimaryKeyRelatedField(queryset=_people())
    to_person = serializers.PrimaryKeyRelatedField(queryset=_people(), required=False, allow_null=True)


class HandoverApplySerializer(serializers.Serializer):
    to_person = serializers.PrimaryKeyRelatedField(queryset=_people(), required=False, allow_null=True)
    checklist = serializers.ListField(child=serializers.ChoiceField(choices=list(HANDOVER_CHECKLIST)),
                                      help_text="Every key of the checklist, ticked.")


class UndoSerializer(serializers.Serializer):
    handover = HandoverSerializer()
    moved_back = HandoverItemSerializer(many=True)
    kept = HandoverItemSerializer(many=True)


class WorkloadRowSerializer(serializers.Serializer):
    person = serializers.IntegerField(source="person.pk")
    name = serializers.CharField(source="person.__str__")
    absent = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()),
                                   help_text="{kind: {day|days|older: n}}: under 1 day, 1–3 days, over 3 days.")
    total = serializers.IntegerField()


class RebalanceSerializer(serializers.Serializer):
    from_person = serializers.PrimaryKeyRelatedField(queryset=_people())
    kind = serializers.CharField()
    to_person = serializers.PrimaryKeyRelatedField(queryset=_people())
    object_ids = serializers.ListField(child=serializers.IntegerField(), required=False,
                                       help_text="Only these items; empty: all of the kind.")


class RebalanceResultSerializer(serializers.Serializer):
    moved = serializers.IntegerField()
