"""The demo marketplace: loaded through the services, idempotent, refused in
production, and showing the situations the product is demonstrated with."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from catalog import policy
from catalog.models import (
    Certification,
    CertificationStatus,
    Offer,
    OfferAssessment,
    OfferStatus,
    Provider,
    ProviderMembership,
)

pytestmark = pytest.mark.django_db


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_catalog", *args, stdout=out)
    return out.getvalue()


def counts() -> dict:
    return {
        "providers": Provider.objects.count(),
        "offers": Offer.objects.count(),
        "certifications": Certification.objects.count(),
        "users": get_user_model().objects.count(),
        "memberships": ProviderMembership.objects.count(),
        "assessments": OfferAssessment.objects.count(),
    }


def assessments_of(slug: str) -> list[OfferAssessment]:
    return list(OfferAssessment.objects.filter(offer__provider__slug=slug).select_related("offer"))


def failed(assessment: OfferAssessment, level: str, rule: str) -> bool:
    return any(
        c["level"] == level and c["rule"] == rule and not c["passed"] for c in assessment.checks
    )


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seeded once for the module, in a transaction rolled back at its end;
    each test still runs in its own savepoint, so reruns are undone too."""
    with django_db_blocker.unblock(), transaction.atomic():
        output = seed()
        yield output
        transaction.set_rollback(True)


def test_it_loads_a_marketplace_and_prints_a_summary(seeded):
    assert Provider.objects.count() >= 12
    assert Offer.objects.count() >= 40
    assert OfferAssessment.objects.count() == Offer.objects.count()
    assert Offer.objects.filter(price_is_illustrative=False).count() == 0
    assert Offer.objects.filter(status=OfferStatus.DRAFT).exists()
    assert Offer.objects.filter(status=OfferStatus.WITHDRAWN).exists()
    assert "Offers per assessed level: N0" in seeded
    assert "N2" in seeded and "N3" in seeded


def test_a_second_run_changes_nothing(seeded):
    before = counts()
    levels = dict(OfferAssessment.objects.values_list("offer_id", "level"))
    output = seed()
    assert counts() == before
    assert dict(OfferAssessment.objects.values_list("offer_id", "level")) == levels
    assert "(0 new)" in output


def test_if_empty_loads_nothing_on_a_seeded_database(seeded):
    before = counts()
    output = seed("--if-empty")
    assert counts() == before
    assert "nothing loaded" in output


def test_it_is_refused_in_production(seeded):
    before = counts()
    with override_settings(DEMO_DATA=False), pytest.raises(CommandError, match="production"):
        seed()
    with override_settings(DEMO_DATA=False), pytest.raises(CommandError, match="production"):
        seed("--if-empty")
    assert counts() == before


def test_every_sensitive_offer_rests_on_a_verified_secnumcloud_3_2_in_the_eu(seeded):
    today = timezone.localdate()
    sensitive = OfferAssessment.objects.filter(level_rank__gte=2).select_related("offer")
    assert sensitive.filter(level="N2").exists() and sensitive.filter(level="N3").exists()
    for assessment in sensitive:
        offer = assessment.offer
        relied = [c for c in assessment.relied_certificates if c["for"] == "N2"]
        assert len(relied) == 1, offer.name
        cert = Certification.objects.get(pk=relied[0]["id"])
        assert cert.scheme.code == "SECNUMCLOUD"
        assert policy.version_at_least(cert.scheme_version, "3.2")
        assert cert.status == CertificationStatus.VALID
        assert cert.verification == Certification.Verification.VERIFIED
        assert cert.expires_on >= today
        assert cert.scope_offers.filter(pk=offer.pk).exists()
        assert offer.data_countries and set(offer.data_countries) <= policy.EU, offer.name
        if assessment.level == "N3":
            assert offer.dr_support and offer.data_countries == ["FR"]


@pytest.mark.parametrize("slug", ["ovhcloud", "outscale", "cloud-temple", "s3ns"])
def test_the_qualified_iaas_providers_reach_n2(seeded, slug):
    assert any(a.level_rank >= 2 for a in assessments_of(slug))


@pytest.mark.parametrize("slug", ["aws-france", "microsoft-azure-france", "google-cloud-france"])
def test_hyperscaler_regions_are_n1_with_health_data_but_never_n2(seeded, slug):
    assessments = assessments_of(slug)
    assert all(a.level_rank < 2 for a in assessments)
    health = [a for a in assessments if a.level == "N1" and "HEALTH" in a.flags]
    assert health
    assert all("PERSONAL_DATA" in a.flags for a in health)
    assert all(failed(a, "N2", "non_eu_holder_max") for a in assessments)


def test_a_30_percent_non_eu_holder_keeps_secnumcloud_offers_below_n2(seeded):
    provider = Provider.objects.get(slug="altostratus")
    assert max(s.capital_pct for s in provider.stakes.filter(holder_country="US")) == 30
    assessments = assessments_of("altostratus")
    assert assessments
    for assessment in assessments:
        assert assessment.level_rank < 2
        assert failed(assessment, "N2", "non_eu_holder_max")
        # SecNumCloud 3.2 itself is fine: ownership is what fails.
        assert not failed(assessment, "N2", "certification")


def test_secnumcloud_in_progress_qualifies_for_nothing(seeded):
    assessments = assessments_of("numspot")
    assert assessments
    for assessment in assessments:
        assert assessment.level_rank < 2
        check = next(
            c for c in assessment.checks if c["level"] == "N2" and c["rule"] == "certification"
        )
        assert not check["passed"]
        assert {r["why"] for r in check["facts"]["rejected"]} == {"in_progress"}


def test_a_saas_on_a_qualified_iaas_is_judged_with_its_chain(seeded):
    wimi = OfferAssessment.objects.get(
        offer__provider__slug="wimi", offer__name__startswith="Wimi Armoured"
    )
    chain = [c for c in wimi.checks if c["rule"] == "subcontractor_chain"]
    assert chain and all(c["passed"] for c in chain if c["level"] in {"N1", "N2"})
    assert wimi.level == "N2"

    on_aws = OfferAssessment.objects.get(
        offer__provider__slug="dossier-sante-express", offer__name="Dossier patient en ligne"
    )
    assert on_aws.level == "N1" and "HEALTH" in on_aws.flags
    assert failed(on_aws, "N2", "subcontractor_chain")


def test_certificate_situations(seeded):
    certs = Certification.objects.select_related("scheme")
    assert certs.filter(status=CertificationStatus.EXPIRED).exists()
    assert certs.filter(status=CertificationStatus.REVOKED).exists()
    assert certs.filter(status=CertificationStatus.SUSPENDED).exists()
    assert certs.filter(
        verification=Certification.Verification.PENDING, status=CertificationStatus.VALID
    ).exists()
    snc_31 = certs.get(scheme__code="SECNUMCLOUD", scheme_version="3.1")
    assert snc_31.verification == Certification.Verification.VERIFIED
    for offer in snc_31.scope_offers.all():
        assessment = offer.assessment
        assert assessment.level == "N1"  # any SecNumCloud version counts for N1
        check = next(
            c for c in assessment.checks if c["level"] == "N2" and c["rule"] == "certification"
        )
        assert not check["passed"]
        assert {r["why"] for r in check["facts"]["rejected"]} == {"version_too_low"}

    hds_v1 = certs.get(scheme__code="HDS", scheme_version="1.1")
    assert hds_v1.status == CertificationStatus.VALID and hds_v1.expires_on > timezone.localdate()
    for offer in hds_v1.scope_offers.all():
        assessment = offer.assessment
        assert "HEALTH" not in assessment.flags
        check = next(
            c for c in assessment.checks if c["flag"] == "HEALTH" and c["rule"] == "certification"
        )
        assert {r["why"] for r in check["facts"]["rejected"]} == {"version_sunset"}


def test_an_adequacy_country_backup_is_fit_for_personal_data(seeded):
    swiss = OfferAssessment.objects.get(
        offer__provider__slug="infomaniak", offer__category="backup"
    )
    assert swiss.level == "N1"
    assert "PERSONAL_DATA" in swiss.flags and "HEALTH" not in swiss.flags
    assert failed(swiss, "N2", "data_location")


def test_demo_logins(seeded):
    users = get_user_model().objects
    operator = users.get(username="operateur")
    assert operator.is_staff and operator.is_superuser
    assert operator.check_password("guichet-demo")
    ovh = users.get(username="fournisseur-ovhcloud")
    assert ovh.check_password("guichet-demo")
    assert ovh.provider_membership.provider.slug == "ovhcloud"
    assert ovh.provider_membership.role == "admin"
    for provider in Provider.objects.all():
        assert provider.memberships.filter(user__username=f"fournisseur-{provider.slug}").exists()
