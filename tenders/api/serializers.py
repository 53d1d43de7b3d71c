"""Input and output serializers of the demand side's API (agencies,
tenders, shortlists, clarifications, responses, awards, orders)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from catalog import units
from catalog.models import ServiceCategory
from core.api import list_page_serializer
from core.money import incl_vat
from tenders import selectors, texts
from tenders.models import (
    Agency,
    Award,
    Clarification,
    Order,
    Tender,
    TenderResponse,
    WithdrawnAward,
)


@extend_schema_field(
    {
        "type": "string",
        "format": "uuid",
        "description": "A response's public id (random; responses had integer ids until 2026-12-08).",
    },
    component_name="ResponseId",
)
class ResponseId(serializers.UUIDField):
    """A response's public id: random, so that it says nothing of the other
    responses (the sequential integer key stays internal). One
    schema component, so that every input and output naming a response is
    found in the schema (tests/security/test_response_ids.py)."""

    def to_internal_value(self, data):
        # DRF reads an integer n as UUID(int=n): an old integer id is refused
        # as such rather than looked up as 00000000-…-00000000000n.
        if not isinstance(data, str | uuid.UUID):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


# --------------------------------------------------------------------------
# Output


class AgencyOutput(serializers.ModelSerializer):
    buyer_category = serializers.CharField(source="buyer_category.code")

    class Meta:
        model = Agency
        fields = ["id", "name", "slug", "siret", "buyer_category"]


class TenderOutput(serializers.ModelSerializer):
    agency = AgencyOutput(read_only=True)
    matching = serializers.SerializerMethodField()
    required_level = serializers.SerializerMethodField()

    class Meta:
        model = Tender
        fields = [
            "id",
            "reference",
            "agency",
            "title",
            "description",
            "category",
            "cpv_code",
            "level",
            "required_level",
            "flags",
            "location_constraint",
            "quantity",
            "unit",
            "duration_months",
            "estimated_value",
            "procedure",
            "response_deadline",
            "weight_price",
            "weight_technical",
            "weight_other",
            "status",
            "status_reason",
            "published_at",
            "closed_at",
            "decided_at",
            "matching",
            "sourcing_file",
            "created_at",
            "updated_at",
        ]

    def get_matching(self, tender) -> dict:
        return {
            "state": tender.matching_state or None,
            "queued_at": tender.matching_queued_at,
            "started_at": tender.matching_started_at,
            "finished_at": tender.matching_finished_at,
            "error": tender.matching_error or None,
        }

    def get_required_level(self, tender) -> str:
        """The stated level, raised to N2 for State bodies' health data."""
        # One query for the levels of a whole page (the context is shared by
        # the rows of a list).
        if "levels" not in self.context:
            self.context["levels"] = selectors.levels_by_code()
        return selectors.required_level(
            agency=tender.agency,
            level=tender.level,
            flags=list(tender.flags),
            levels=self.context["levels"],
        ).code


class ShortlistRow(serializers.Serializer):
    rank = serializers.IntegerField()
    offer = serializers.SerializerMethodField()
    score = serializers.DecimalField(max_digits=7, decimal_places=3)
    estimated_cost = serializers.DecimalField(max_digits=16, decimal_places=2)
    reasons = serializers.SerializerMethodField(
        help_text="Why this offer: {rule, facts, reason}, reason in the request's language."
    )
    warnings = serializers.SerializerMethodField()
    computed_at = serializers.DateTimeField()

    def get_reasons(self, entry) -> list[dict]:
        return texts.with_reasons(entry.reasons)

    def get_warnings(self, entry) -> list[dict]:
        return texts.with_reasons(entry.warnings)

    def get_offer(self, entry) -> dict:
        return {
            "id": entry.offer_id,
            "name": entry.offer.name,
            "provider": {"id": entry.offer.provider_id, "name": entry.offer.provider.name},
        }


class ClarificationOutput(serializers.ModelSerializer):
    asked_by_you = serializers.SerializerMethodField()

    class Meta:
        model = Clarification
        fields = ["id", "question", "answer", "created_at", "answered_at", "asked_by_you"]

    def get_asked_by_you(self, item) -> bool:
        # The asker's identity is never shown; a provider learns only that a
        # question is its own.
        own = self.context.get("provider")
        return bool(own and own.pk == item.provider_id)


class ResponseOutput(serializers.ModelSerializer):
    id = ResponseId(source="public_id", read_only=True)
    provider = serializers.SerializerMethodField()
    offer = serializers.SerializerMethodField()
    receipt = serializers.SerializerMethodField()

    class Meta:
        model = TenderResponse
        fields = [
            "id",
            "tender",
            "provider",
            "offer",
            "total_price",
            "technical_answer",
            "attachment_sha256",
            "status",
            "submitted_at",
            "withdrawn_at",
            "technical_score",
            "other_score",
            "receipt",
        ]

    def get_provider(self, response) -> dict:
        return {"id": response.provider_id, "name": response.provider.name}

    def get_offer(self, response) -> dict:
        return {"id": response.offer_id, "name": response.offer.name}

    def get_receipt(self, response) -> dict:
        return {
            "response": str(response.public_id),
            "submitted_at": response.submitted_at,
            "sha256": response.receipt_sha256,
        }


class AwardOutput(serializers.ModelSerializer):
    tender = serializers.SerializerMethodField()
    supplier = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField(
        help_text=(
            "awarded (standstill running or over, not signed), contract_signed, or withdrawn (before signature; "
            "in the ?since= feed only, the award's facts kept under its id)"
        )
    )

    class Meta:
        model = Award
        fields = [
            "id",
            "tender",
            "supplier",
            "amount",
            "awarded_at",
            "standstill_ends_at",
            "contract_signed_at",
            "status",
        ]

    def get_status(self, award) -> str:
        if isinstance(award, WithdrawnAward):
            return "withdrawn"
        return "contract_signed" if award.contract_signed_at else "awarded"

    def to_representation(self, award):
        if isinstance(award, WithdrawnAward):
            # The history row speaks for the award it was, under that award's id.
            return {
                "id": award.award_id,
                "tender": self.get_tender(award),
                "supplier": self.get_supplier(award),
                "amount": str(award.amount),
                "awarded_at": serializers.DateTimeField().to_representation(award.awarded_at),
                "standstill_ends_at": serializers.DateTimeField().to_representation(
                    award.standstill_ends_at
                )
                if award.standstill_ends_at
                else None,
                "contract_signed_at": None,
                "status": "withdrawn",
            }
        return super().to_representation(award)

    def get_tender(self, award) -> dict:
        return {
            "id": award.tender_id,
            "reference": award.tender.reference,
            "title": award.tender.title,
            "agency": award.tender.agency.name,
        }

    def get_supplier(self, award) -> dict:
        return {
            "id": award.response.provider_id,
            "name": award.response.provider.name,
            "offer": {"id": award.response.offer_id, "name": award.response.offer.name},
        }


class OrderOutput(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name")
    provider = serializers.CharField(source="provider.name")
    offer = serializers.SerializerMethodField()
    total_incl_vat = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "reference",
            "agency",
            "provider",
            "offer",
            "quantity",
            "duration_months",
            "unit_price",
            "normalised_price",
            "total",
            "total_incl_vat",
            "level",
            "flags",
            "status",
            "status_reason",
            "placed_at",
            "decided_at",
            "sourcing_file",
        ]

    def get_offer(self, order) -> dict:
        return {"id": order.offer_id, "name": order.offer.name, "unit": order.offer.unit}

    def get_total_incl_vat(self, order) -> str:
        return str(incl_vat(order.total))


TenderPage = list_page_serializer("TenderPage", TenderOutput(many=True))
AwardPage = list_page_serializer("AwardPage", AwardOutput(many=True))

ShortlistOutput = inline_serializer(
    "Shortlist",
    fields={
        "matching": serializers.DictField(
            help_text="state, queued_at, started_at, finished_at, error"
        ),
        "results": ShortlistRow(many=True),
    },
)
WhyNotOutput = inline_serializer(
    "WhyNot",
    fields={
        "offer": serializers.IntegerField(),
        "eligible": serializers.BooleanField(),
        "estimated_cost": serializers.DecimalField(
            max_digits=16, decimal_places=2, allow_null=True
        ),
        "failures": serializers.ListField(child=serializers.DictField()),
    },
)
RankingOutput = inline_serializer(
    "RankingRow",
    many=True,
    fields={
        "rank": serializers.IntegerField(),
        "response": ResponseId(),
        "provider": serializers.CharField(),
        "total_price": serializers.DecimalField(max_digits=16, decimal_places=2),
        "price_score": serializers.DecimalField(max_digits=7, decimal_places=3),
        "technical_score": serializers.DecimalField(max_digits=7, decimal_places=3),
        "other_score": serializers.DecimalField(max_digits=7, decimal_places=3),
        "total": serializers.DecimalField(max_digits=7, decimal_places=3),
    },
)


# --------------------------------------------------------------------------
# Input


class TenderInput(serializers.Serializer):
    """A tender. What the creation requires is required here (category and
    level too, unless the sourcing file gives them); an edit parses it
    partial (any subset)."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    category = serializers.ChoiceField(
        choices=ServiceCategory.choices,
        required=False,
        help_text="Required, unless the sourcing file gives it.",
    )
    cpv_code = serializers.CharField(max_length=10)
    level = serializers.CharField(
        max_length=2, required=False, help_text="Required, unless the sourcing file gives it."
    )
    flags = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, max_length=10
    )
    location_constraint = serializers.CharField(max_length=2, required=False, allow_blank=True)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    unit = serializers.ChoiceField(choices=units.UNIT_CHOICES)
    duration_months = serializers.IntegerField(min_value=1, max_value=120)
    estimated_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("1")
    )
    response_deadline = serializers.DateTimeField()
    weight_price = serializers.IntegerField(min_value=0, max_value=100, required=False)
    weight_technical = serializers.IntegerField(min_value=0, max_value=100, required=False)
    weight_other = serializers.IntegerField(min_value=0, max_value=100, required=False)


@extend_schema_field({"type": "integer", "minimum": 1, "nullable": True, "example": None})
class SourcingFileRef(serializers.IntegerField):
    """The id of one of the caller's agency's locked sourcing files (the
    schema example is null: a real id depends on the caller)."""


class TenderCreateInput(TenderInput):
    sourcing_file = SourcingFileRef(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="A locked sourcing file of your agency this tender starts from; "
        "its filters give the category, level, flags and location by "
        "default.",
    )


class DecisionReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class OptionalReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AwardInput(serializers.Serializer):
    response = ResponseId(help_text="The public id of one of the tender's live responses.")


class QuestionInput(serializers.Serializer):
    question = serializers.CharField(max_length=5000)


class AnswerInput(serializers.Serializer):
    answer = serializers.CharField(max_length=10000)


class ResponseInput(serializers.Serializer):
    offer = serializers.IntegerField(min_value=1)
    total_price = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=Decimal("0.01")
    )
    technical_answer = serializers.CharField(max_length=50000)
    attachment = serializers.FileField(required=False)


class ScoreInput(serializers.Serializer):
    technical_score = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100), required=False
    )
    other_score = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100), required=False
    )


class OrderInput(serializers.Serializer):
    offer = serializers.IntegerField(min_value=1)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    duration_months = serializers.IntegerField(min_value=1, max_value=120)
    level = serializers.CharField(max_length=2, default="N0")
    flags = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, max_length=10
    )
    sourcing_file = SourcingFileRef(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="A locked sourcing file of your agency whose result holds this offer.",
    )
