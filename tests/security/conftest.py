"""The security cast: two agencies and two providers, each side with the
roles the authorisation matrix crosses with every URL, and one object of
every kind that a URL can name, all belonging to agency A or provider A
(so that agency B and provider B must be refused).

Tenders of agency A, in every state a page needs: a draft, a published
tender (a sealed response of provider A and a question of provider A), a
closed tender (responses of A and B, open to agency A), an awarded tender
(the standstill runs, provider B's complaint is open)."""

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from broker import services as broker_services
from broker.models import WebhookDelivery, WebhookEndpoint
from broker.selectors import Organisation
from catalog.models import Attestation, Certification, SupplierDeclaration
from tenders import ocds, services
from tests import factories
from tests.tenders.conftest import (  # noqa: F401  (fixtures)
    agency_a,
    agency_b,
    buyer_a,
    buyer_b,
    close,
    market,
    member_c,
    provider_c,
    submit,
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded evidence goes to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def agency_a_admin(agency_a):  # noqa: F811
    return factories.agency_member(agency_a, role="admin", username="admin-a")


def plain(field: str, text: str) -> str:
    return text


@pytest.fixture
def cast(
    db,
    market,
    agency_a,
    agency_b,
    buyer_a,
    buyer_b,
    agency_a_admin,
    member_a,
    member_b,  # noqa: F811
    member_c,
    operator,
    django_capture_on_commit_callbacks,
):  # noqa: F811
    """Every object a URL can name, of agency A or provider A."""
    with django_capture_on_commit_callbacks(execute=False):
        return build_cast(
            market=market,
            agency_a=agency_a,
            buyer_a=buyer_a,
            buyer_b=buyer_b,
            agency_a_admin=agency_a_admin,
            member_a=member_a,
            member_b=member_b,
            operator=operator,
        )


def build_cast(
    *,
    market,
    agency_a,
    buyer_a,
    buyer_b,
    agency_a_admin,
    member_a,
    member_b,
    operator,  # noqa: F811
    text=plain,
):
    """``text(field, plain)`` gives every free text a user submits (the
    escaping test injects markup through it)."""
    draft = factories.tender(
        agency_a,
        actor=buyer_a,
        title=text("tender_title", "Brouillon A"),
        description=text("tender_description", "Besoin A"),
    )
    published = factories.tender(
        agency_a, actor=buyer_a, publish=True, title=text("tender_title", "Publié A")
    )
    sealed_a = submit(
        published, member_a, market.a, price="1000.00", answer=text("response_answer", "Réponse A")
    )
    question = services.clarification_ask(
        tender=published,
        provider=member_a.provider,
        actor=member_a.user,
        question=text("clarification_question", "Question de A ?"),
    )

    closing = factories.tender(
        agency_a, actor=buyer_a, publish=True, title=text("tender_title", "Clos A")
    )
    closed_a = submit(
        closing, member_a, market.a, price="1000.00", answer=text("response_answer", "Réponse A")
    )
    closed_b = submit(closing, member_b, market.b, price="1100.00")
    closed = close(closing)

    awarding = factories.tender(
        agency_a, actor=buyer_a, publish=True, title=text("tender_title", "Attribué A")
    )
    won = submit(
        awarding, member_a, market.a, price="1000.00", answer=text("response_answer", "Réponse A")
    )
    lost = submit(awarding, member_b, market.b, price="1200.00")
    awarding = close(awarding)
    for response in (won, lost):
        services.response_score(response=response, actor=buyer_a, technical_score=70, other_score=0)
    award = services.tender_award(tender=awarding, actor=buyer_a, response=won)
    awarding.refresh_from_db()
    complaint = services.complaint_file(
        tender=awarding,
        provider=member_b.provider,
        actor=member_b.user,
        text=text("complaint_text", "Réclamation de B"),
    )

    order = services.order_place(
        agency=agency_a, actor=buyer_a, offer=market.a, quantity="1", duration_months=1
    )
    sourcing = services.sourcing_file_save(
        agency=agency_a,
        actor=buyer_a,
        name=text("sourcing_name", "Dossier A"),
        filters={"level": "N2", "category": "iaas_storage"},
    )
    organisation_a = Organisation(provider=member_a.provider, agency=None, role="admin")
    api_key, _ = broker_services.api_key_create(
        organisation=organisation_a,
        actor=member_a.user,
        name=text("api_key_name", "Clé A"),
        scopes="read",
    )
    endpoint = WebhookEndpoint.objects.create(
        provider=member_a.provider,
        url="https://hooks.example.org/a",
        secret="whsec_test",
        event_types=["tender.published"],
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="tender.published",
        event_id=f"tender.published:{published.pk}",
        payload={"data": {"id": published.pk}},
    )
    notification = broker_services.notify(
        users=[member_a.user],
        kind="test",
        key="security-cast",
        message=lambda: ("Pour A", "Pour A"),
    )[0]
    provider_a = member_a.provider
    # Awaiting the operator's verification, with its evidence file.
    pending = factories.certification(
        provider_a,
        [market.a],
        verify=False,
        scheme="ISO27001",
        version="2022",
        reference=text("certificate_reference", "ISO-A"),
        evidence=SimpleUploadedFile(
            "preuve.pdf", b"%PDF-1.4 preuve", content_type="application/pdf"
        ),
    )
    draft_offer = factories.offer(
        provider_a, name=text("offer_name", "Brouillon d'offre A"), status="draft"
    )
    return SimpleNamespace(
        pending=pending,
        draft_offer=draft_offer,
        draft=draft,
        published=published,
        sealed_a=sealed_a,
        question=question,
        closed=closed,
        closed_a=closed_a,
        closed_b=closed_b,
        awarded=awarding,
        award=award,
        won=won,
        lost=lost,
        complaint=complaint,
        ocid=ocds.ocid_for(published.reference),
        draft_ocid=ocds.ocid_for(draft.reference),
        order=order,
        sourcing=sourcing,
        api_key=api_key,
        endpoint=endpoint,
        delivery=delivery,
        notification=notification,
        offer=market.a,
        provider=provider_a,
        agency=agency_a,
        certification=Certification.objects.filter(provider=provider_a)
        .exclude(pk=pending.pk)
        .order_by("pk")
        .first(),
        declaration=SupplierDeclaration.objects.filter(provider=provider_a).first(),
        attestation=Attestation.objects.filter(provider=provider_a).first(),
        users={
            "anonymous": None,
            "agency_a_member": buyer_a,
            "agency_a_admin": agency_a_admin,
            "agency_b_member": buyer_b,
            "provider_a_member": member_a.user,
            "provider_b_member": member_b.user,
            "operator": operator,
        },
        now=timezone.now(),
    )
