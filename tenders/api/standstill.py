"""The award decision on /tenders/{id}/: the notice (R2181-3), complaints
during the standstill, withdrawal of the award and signature (R2182-1)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from tenders import selectors, services
from tenders.api._common import parse, provider_or_403, require_user
from tenders.api.serializers import DecisionReasonInput, TenderOutput
from tenders.models import Complaint


class ComplaintOutput(serializers.ModelSerializer):
    provider = serializers.SerializerMethodField()
    has_attachment = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "tender",
            "award_ref",
            "provider",
            "text",
            "has_attachment",
            "attachment_sha256",
            "status",
            "filed_at",
            "answer",
            "answered_at",
        ]

    def get_provider(self, item) -> dict:
        return {"id": item.provider_id, "name": item.provider.name}

    def get_has_attachment(self, item) -> bool:
        return bool(item.attachment)


class ComplaintInput(serializers.Serializer):
    text = serializers.CharField(max_length=20000)
    attachment = serializers.FileField(required=False)


class ComplaintAnswerInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["upheld", "dismissed"])
    answer = serializers.CharField(max_length=20000)


def _ranked(row) -> dict | None:
    if row is None:
        return None
    return {
        "rank": row.rank,
        "response": str(row.response.public_id),
        "provider": row.response.provider.name,
        "price_score": str(row.price_score),
        "technical_score": str(row.technical_score),
        "other_score": str(row.other_score),
        "total": str(row.total),
    }


def decision_body(notice: selectors.DecisionNotice) -> dict:
    award = notice.award
    return {
        "tender": notice.tender.pk,
        "status": notice.tender.status,
        "award": None
        if award is None
        else {
            "id": award.pk,
            "supplier": award.response.provider.name,
            "amount": str(award.amount),
            "awarded_at": award.awarded_at,
            "standstill_ends_at": award.standstill_ends_at,
            "contract_signed_at": award.contract_signed_at,
        },
        "standstill_running": notice.standstill_running,
        "withdrawn_awards": [
            {
                "award_id": w.award_id,
                "supplier": w.response.provider.name,
                "awarded_at": w.awarded_at,
                "withdrawn_at": w.withdrawn_at,
                "reason": w.reason,
            }
            for w in notice.withdrawn
        ],
        "own": _ranked(notice.own),
        "winner": _ranked(notice.winner),
        "ranking": [_ranked(r) for r in notice.ranking],
    }


DecisionOutput = inline_serializer(
    "DecisionNotice",
    fields={
        "tender": serializers.IntegerField(),
        "status": serializers.CharField(),
        "award": serializers.DictField(
            allow_null=True,
            help_text="id, supplier, amount, awarded_at, standstill_ends_at, contract_signed_at",
        ),
        "standstill_running": serializers.BooleanField(),
        "withdrawn_awards": serializers.ListField(child=serializers.DictField()),
        "own": serializers.DictField(
            allow_null=True, help_text="The reader's rank and scores (a tenderer)."
        ),
        "winner": serializers.DictField(
            allow_null=True, help_text="The winner's rank and scores (tenderers, buyer)."
        ),
        "ranking": serializers.ListField(
            child=serializers.DictField(), help_text="Every response (buyer only)."
        ),
    },
)


class StandstillMixin:
    """The award decision's actions on /tenders/{id}/ (TenderViewSet): the
    notice, complaints, withdrawal of the award, signature."""

    @extend_schema(responses=DecisionOutput)
    @action(detail=True, methods=["get"], pagination_class=None)
    def decision(self, request, pk=None):
        """The award decision: the winner, the standstill, withdrawn awards;
        a tenderer's own rank and scores; the buyer's full ranking."""
        tender = self._visible(pk)
        return Response(decision_body(selectors.decision_notice(request.user, tender)))

    @extend_schema(methods=["GET"], responses=ComplaintOutput(many=True))
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": ComplaintInput, "application/json": ComplaintInput},
        responses={201: ComplaintOutput},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def complaints(self, request, pk=None):
        """Tenderers file a complaint during the standstill; the buyer reads
        them all, a provider its own."""
        require_user(request)
        tender = self._visible(pk)
        if request.method == "POST":
            provider = provider_or_403(request)
            data = parse(ComplaintInput, request.data)
            item = services.complaint_file(
                tender=tender,
                provider=provider,
                actor=request.user,
                text=data["text"],
                attachment=data.get("attachment"),
            )
            return Response(ComplaintOutput(item).data, status=status.HTTP_201_CREATED)
        return Response(
            ComplaintOutput(selectors.complaints_visible_to(request.user, tender), many=True).data
        )

    @extend_schema(request=ComplaintAnswerInput, responses=ComplaintOutput)
    @action(detail=True, methods=["post"], url_path=r"complaints/(?P<complaint_id>\d+)/answer")
    def complaint_answer(self, request, pk=None, complaint_id=None):
        tender = self._managed(pk)
        item = Complaint.objects.filter(pk=complaint_id, tender=tender).first()
        if item is None:
            raise NotFound()
        data = parse(ComplaintAnswerInput, request.data)
        item = services.complaint_answer(complaint=item, actor=request.user, **data)
        return Response(
            ComplaintOutput(Complaint.objects.select_related("provider").get(pk=item.pk)).data
        )

    @extend_schema(request=DecisionReasonInput, responses=TenderOutput)
    @action(detail=True, methods=["post"], url_path="withdraw-award")
    def withdraw_award(self, request, pk=None):
        """Withdraw the award before signature; the evaluation resumes."""
        tender = self._managed(pk)
        reason = parse(DecisionReasonInput, request.data)["reason"]
        services.award_withdraw(tender=tender, actor=request.user, reason=reason)
        return self._render(tender)

    @extend_schema(request=None, responses=TenderOutput)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """Mark the contract signed: after the standstill, no complaint open."""
        tender = self._managed(pk)
        services.tender_contract_sign(tender=tender, actor=request.user)
        return self._render(tender)
