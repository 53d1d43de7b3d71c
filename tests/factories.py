"""Factories build rows through the same services as the product where a
service exists, so tests exercise the real validation."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog import services
from catalog.models import Certification, ProviderMembership

FR_ONLY = {
    "storage_countries": ["FR"],
    "processing_countries": ["FR"],
    "backup_countries": ["FR"],
    "technical_data_countries": ["FR"],
    "administration_countries": ["FR"],
}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("guichet-demo")


class ProviderFactory(factory.Factory):
    """Built through ``provider_create``; an EU company with no stakes."""

    class Meta:
        model = dict

    name = factory.Sequence(lambda n: f"Provider {n}")
    registered_office_country = "FR"
    central_administration_country = "FR"
    main_establishment_country = "FR"

    @classmethod
    def _create(cls, model_class, compliant=True, **kwargs):
        provider = services.provider_create(actor=None, **kwargs)
        if compliant:
            supplier_documents(provider)
        return provider


def supplier_documents(provider, *, grounds=None, signed_days_ago=0, attestation_days_left=150):
    """A signed declaration of the exclusion grounds (none applies) and the
    three attestations, valid: what a provider needs to respond or accept
    an order. Rows written directly: the signature service wants an admin
    member, and an extra member would receive the tests' notifications."""
    from catalog.models import Attestation, ExclusionGround, SupplierDeclaration

    now = timezone.now() - datetime.timedelta(days=signed_days_ago)
    answers = {code: False for code in ExclusionGround.values} | (grounds or {})
    valid_until = timezone.localdate(now) + datetime.timedelta(days=365)
    SupplierDeclaration.objects.create(
        provider=provider,
        grounds=answers,
        signer_name="Camille Martin",
        signed_at=now,
        valid_until=valid_until,
        content_sha256=services.declaration_digest(
            provider_id=provider.pk,
            grounds=answers,
            comment="",
            signer_name="Camille Martin",
            signed_at=now,
            valid_until=valid_until,
        ),
    )
    today = timezone.localdate()
    for kind in Attestation.Kind.values:
        Attestation.objects.create(
            provider=provider,
            kind=kind,
            reference=f"{kind.upper()}-{provider.pk}",
            issued_on=today - datetime.timedelta(days=30),
            expires_on=today + datetime.timedelta(days=attestation_days_left),
        )


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderMembership

    user = factory.SubFactory(UserFactory)
    role = "admin"


def offer(provider, **overrides):
    values = {
        "name": "Object storage",
        "category": "iaas_storage",
        "cpv_code": "72317000-0",
        "unit": "TB_MONTH",
        "unit_price": "20",
        "status": "published",
        **FR_ONLY,
    }
    values.update(overrides)
    return services.offer_create(provider=provider, actor=None, **values)


def certification(
    provider, offers, *, verify=True, scheme="SECNUMCLOUD", version="3.2", **overrides
):
    today = timezone.localdate()
    values = {
        "scheme": scheme,
        "scheme_version": version,
        "reference": overrides.pop(
            "reference", f"{scheme}-{provider.pk}-{Certification.objects.count() + 1}"
        ),
        "status": "valid",
        "issued_on": today - datetime.timedelta(days=100),
        "expires_on": today + datetime.timedelta(days=900),
        "scope_offers": [o.pk for o in offers],
    }
    values.update(overrides)
    cert = services.certification_create(provider=provider, actor=None, **values)
    if verify:
        cert = services.certification_verify(certification=cert, actor=None)
    return cert


# --------------------------------------------------------------------------
# Demand side (tenders): agencies, their buyers and tenders, built through
# tenders.services like the product does.


def agency(
    *, name="Ministère des Essais", siret="11000007200014", buyer_category="state_administration"
):
    from tenders import services as tender_services

    return tender_services.agency_create(name=name, siret=siret, buyer_category=buyer_category)


def agency_member(agency, *, role="member", **user_fields):
    from tenders import services as tender_services

    user = UserFactory(**user_fields)
    tender_services.agency_member_add(agency=agency, user=user, role=role)
    return user


def tender_values(**overrides):
    """A valid N2 need: 10 TB of object storage in the EU for 12 months."""
    values = {
        "title": "Stockage objet souverain",
        "category": "iaas_storage",
        "cpv_code": "72317000-0",
        "level": "N2",
        "flags": [],
        "location_constraint": "EU",
        "quantity": "10",
        "unit": "TB_MONTH",
        "duration_months": 12,
        "estimated_value": "100000",
        "response_deadline": timezone.now() + datetime.timedelta(days=10),
    }
    values.update(overrides)
    return values


def tender(agency, *, actor=None, publish=False, **overrides):
    from tenders import services as tender_services

    made = tender_services.tender_create(agency=agency, actor=actor, **tender_values(**overrides))
    if publish:
        made = tender_services.tender_publish(tender=made, actor=actor)
    return made


def valid_siret(number: int) -> str:
    """A valid SIRET (its SIREN and the whole number hold their check
    digits), distinct per number (for tests that need several agencies)."""
    siren = next(s for d in range(10) if services.siren_valid(s := f"200{number:05d}{d}"))
    return next(s for d in range(10) if services.siret_valid(s := f"{siren}0001{d}"))
