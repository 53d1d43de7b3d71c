"""The sensitivity policy in force, as the API reads it."""

from __future__ import annotations

from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors
from catalog.models import SensitivityLevel


class PolicyView(APIView):
    """The sensitivity policy in force: levels, flags, certification
    requirements, with the version every assessment records."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        operation_id="policy_retrieve",
        responses=inline_serializer(
            "Policy",
            fields={
                "version": serializers.IntegerField(),
                "levels": serializers.ListField(child=serializers.DictField()),
                "flags": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request):
        current = selectors.policy_current()
        lang = (get_language() or "fr")[:2]
        labels = {
            lv.code: (lv.label_fr if lang == "fr" else lv.label_en)
            for lv in SensitivityLevel.objects.all()
        }
        return Response(
            {
                "version": current.version,
                "levels": [
                    {
                        "code": lv.code,
                        "rank": lv.rank,
                        "label": labels.get(lv.code, lv.code),
                        "grantable": lv.grantable,
                        "data_zone": lv.data_zone,
                        "administration_zone": lv.administration_zone,
                        "support_zone": lv.support_zone,
                        "requires_eu_control": lv.requires_eu_control,
                        "max_non_eu_holder_pct": lv.max_non_eu_holder_pct,
                        "max_non_eu_total_pct": lv.max_non_eu_total_pct,
                        "forbid_non_eu_data_subcontractors": lv.forbid_non_eu_data_subcontractors,
                        "requires_dr_support": lv.requires_dr_support,
                        "certification_requirements": [
                            r.__dict__ for r in lv.certification_requirements
                        ],
                    }
                    for lv in current.levels
                ],
                "flags": [flag.__dict__ for flag in current.flags],
            }
        )
