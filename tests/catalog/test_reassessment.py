"""Every input of the policy engine re-assesses the affected offers through
the real path: service → domain event → broker receiver → Celery task
(enqueued on commit, run eagerly here) → assessment service."""

import datetime

import pytest
from django.utils import timezone

from catalog import services
from catalog.models import (
    OfferAssessment,
    OperatorAction,
    PolicyVersion,
    Provider,
    ProviderStatus,
    SensitivityLevel,
)
from tests import factories


def level_of(offer) -> str:
    return OfferAssessment.objects.get(offer=offer).level


@pytest.fixture
def qualified(db, django_capture_on_commit_callbacks):
    """A French SecNumCloud 3.2 offer, assessed N2 (no DR support)."""
    provider = factories.ProviderFactory(name="Souverain")
    with django_capture_on_commit_callbacks(execute=True):
        offer = factories.offer(provider)
        cert = factories.certification(provider, [offer])
    assert level_of(offer) == "N2"
    return provider, offer, cert


def test_it_assesses_a_new_offer_after_commit(db, django_capture_on_commit_callbacks):
    provider = factories.ProviderFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        offer = factories.offer(provider)
    assert not OfferAssessment.objects.filter(offer=offer).exists()  # nothing before commit
    assert callbacks
    for callback in callbacks:
        callback()
    assessment = OfferAssessment.objects.get(offer=offer)
    assert assessment.level == "N0"  # no certificate yet
    assert assessment.policy_version == PolicyVersion.objects.get().number


def test_an_offer_edit_reassesses(qualified, django_capture_on_commit_callbacks):
    provider, offer, _ = qualified
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_update(offer=offer, actor=None, backup_countries=["US"])
    assert level_of(offer) == "N0"


def test_verification_reassesses(db, django_capture_on_commit_callbacks):
    provider = factories.ProviderFactory()
    with django_capture_on_commit_callbacks(execute=True):
        offer = factories.offer(provider)
        cert = factories.certification(provider, [offer], verify=False)
    assert level_of(offer) == "N0"
    with django_capture_on_commit_callbacks(execute=True):
        services.certification_verify(certification=cert, actor=None)
    assert level_of(offer) == "N2"


@pytest.mark.parametrize("decision", ["revoke", "suspend", "reject"])
def test_an_operator_decision_reassesses_and_is_recorded(
    qualified, operator, decision, django_capture_on_commit_callbacks
):
    provider, offer, cert = qualified
    with django_capture_on_commit_callbacks(execute=True):
        getattr(services, f"certification_{decision}")(
            certification=cert, actor=operator, reason="ANSSI notice"
        )
    assert level_of(offer) == "N0"
    record = OperatorAction.objects.get(action=f"certification.{decision}")
    assert (
        record.actor == operator and record.reason == "ANSSI notice" and record.object_id == cert.pk
    )


def test_a_certificate_edit_goes_back_to_verification(
    qualified, django_capture_on_commit_callbacks
):
    provider, offer, cert = qualified
    with django_capture_on_commit_callbacks(execute=True):
        cert = services.certification_update(certification=cert, actor=None, scheme_version="3.1")
    assert cert.verification == "pending"
    assert level_of(offer) == "N0"


def test_a_scope_change_reassesses_the_offer_it_left(qualified, django_capture_on_commit_callbacks):
    provider, offer, cert = qualified
    with django_capture_on_commit_callbacks(execute=True):
        other = factories.offer(provider, name="Other")
        services.certification_update(certification=cert, actor=None, scope_offers=[other.pk])
    assert level_of(offer) == "N0"


def test_an_ownership_change_reassesses(qualified, django_capture_on_commit_callbacks):
    provider, offer, _ = qualified
    with django_capture_on_commit_callbacks(execute=True):
        services.provider_stakes_set(
            provider=provider,
            actor=None,
            stakes=[
                {
                    "holder_name": "Overseas Holdings",
                    "holder_country": "US",
                    "capital_pct": 30,
                    "voting_pct": 30,
                },
            ],
        )
    assessment = OfferAssessment.objects.get(offer=offer)
    assert assessment.level == "N1"
    failing = [c for c in assessment.checks if c["level"] == "N2" and not c["passed"]]
    assert [c["rule"] for c in failing] == ["non_eu_holder_max"]


def test_a_seat_change_reassesses(qualified, django_capture_on_commit_callbacks):
    provider, offer, _ = qualified
    with django_capture_on_commit_callbacks(execute=True):
        services.provider_update(provider=provider, actor=None, central_administration_country="US")
    assert level_of(offer) == "N1"


def test_a_subcontractor_change_reassesses_and_the_chain_follows(
    qualified, django_capture_on_commit_callbacks
):
    provider, iaas, cert = qualified
    saas_provider = factories.ProviderFactory(name="SaaS")
    with django_capture_on_commit_callbacks(execute=True):
        saas = factories.offer(
            saas_provider,
            name="Collaboration",
            category="saas_collaboration",
            cpv_code="72416000-9",
            unit="USER_MONTH",
            unit_price="6",
        )
        factories.certification(saas_provider, [saas])
    assert level_of(saas) == "N2"
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_subcontractors_set(
            offer=saas,
            actor=None,
            subcontractors=[
                {
                    "name": "Souverain",
                    "country": "FR",
                    "role": "infrastructure",
                    "has_data_access": True,
                    "catalog_offer": iaas.pk,
                },
            ],
        )
    assert level_of(saas) == "N2"
    # The IaaS loses its qualification: the SaaS that runs on it follows.
    with django_capture_on_commit_callbacks(execute=True):
        services.certification_revoke(certification=cert, actor=None, reason="revoked by ANSSI")
    assert level_of(iaas) == "N0"
    assert level_of(saas) == "N0"
    chain = next(
        c
        for c in OfferAssessment.objects.get(offer=saas).checks
        if c["rule"] == "subcontractor_chain" and c["level"] == "N1"
    )
    assert chain["passed"] is False and chain["facts"]["subcontractor_level"] == "N0"


def test_a_subcontracting_cycle_is_refused(qualified):
    provider, iaas, _ = qualified
    other = factories.offer(provider, name="Other")
    services.offer_subcontractors_set(
        offer=other,
        actor=None,
        subcontractors=[
            {"name": "IaaS", "country": "FR", "role": "infrastructure", "catalog_offer": iaas.pk}
        ],
    )
    with pytest.raises(services.CatalogError, match="loop"):
        services.offer_subcontractors_set(
            offer=iaas,
            actor=None,
            subcontractors=[
                {
                    "name": "Other",
                    "country": "FR",
                    "role": "infrastructure",
                    "catalog_offer": other.pk,
                }
            ],
        )


def test_a_policy_edit_reassesses_every_offer_with_the_new_version(
    qualified, operator, django_capture_on_commit_callbacks
):
    provider, offer, _ = qualified
    n2 = SensitivityLevel.objects.get(code="N2")
    n2.requires_dr_support = True
    n2.save()
    with django_capture_on_commit_callbacks(execute=True):
        version = services.policy_version_bump(actor=operator, note="N2 now needs DR support")
    assessment = OfferAssessment.objects.get(offer=offer)
    assert assessment.policy_version == version.number == 2
    assert assessment.level == "N1"


def test_the_nightly_task_expires_certificates_and_reassesses(
    qualified, django_capture_on_commit_callbacks
):
    from broker import tasks

    provider, offer, cert = qualified
    today = timezone.localdate()
    type(cert).objects.filter(pk=cert.pk).update(
        issued_on=today - datetime.timedelta(days=1200),
        expires_on=today - datetime.timedelta(days=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.certifications_expire.delay().get()
    assert first["expired"] == [cert.pk]
    cert.refresh_from_db()
    assert cert.status == "expired"
    assert level_of(offer) == "N0"
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.certifications_expire.delay().get()["expired"] == []


def test_recomputing_twice_changes_nothing(qualified):
    provider, offer, _ = qualified
    before = OfferAssessment.objects.get(offer=offer)
    run = services.offers_assess(offer_ids=[offer.pk])
    after = OfferAssessment.objects.get(offer=offer)
    assert run.changed == []
    assert after.assessed_at == before.assessed_at and after.checks == before.checks
    assert services.offers_assess(offer_ids=None).changed == []


def test_a_chain_assessed_together_for_the_first_time_settles_in_one_run(qualified):
    provider, iaas, _ = qualified
    saas_provider = factories.ProviderFactory(name="SaaS on top")
    saas = factories.offer(
        saas_provider,
        name="Suite",
        category="saas_collaboration",
        cpv_code="72416000-9",
        unit="USER_MONTH",
        unit_price="6",
    )
    factories.certification(saas_provider, [saas])
    services.offer_subcontractors_set(
        offer=saas,
        actor=None,
        subcontractors=[
            {
                "name": "IaaS",
                "country": "FR",
                "role": "infrastructure",
                "has_data_access": True,
                "catalog_offer": iaas.pk,
            }
        ],
    )
    OfferAssessment.objects.all().delete()
    services.offers_assess(offer_ids=None)
    assert level_of(saas) == "N2"
    assert services.offers_assess(offer_ids=None).changed == []


def test_a_chain_can_only_name_a_published_offer_or_one_of_the_providers_own(qualified):
    provider, iaas, _ = qualified
    own_draft = factories.offer(provider, name="Own draft", status="draft")
    stranger = factories.ProviderFactory(name="Stranger")
    hidden = factories.offer(stranger, name="Stranger's draft", status="draft")
    withdrawn = services.offer_withdraw(
        offer=factories.offer(stranger, name="Stranger's old offer"), actor=None
    )
    suspended = factories.ProviderFactory(name="Suspended")
    dormant = factories.offer(suspended, name="Published, provider suspended")
    Provider.objects.filter(pk=suspended.pk).update(status=ProviderStatus.SUSPENDED)
    saas = factories.offer(factories.ProviderFactory(name="SaaS"), name="Suite")

    def name(offer, chain_id):
        row = {"name": "Sub", "country": "FR", "role": "infrastructure", "catalog_offer": chain_id}
        return services.offer_subcontractors_set(offer=offer, actor=None, subcontractors=[row])

    assert name(saas, iaas.pk) is True
    assert name(iaas, own_draft.pk) is True
    refusals = []
    for chain_id in (hidden.pk, withdrawn.pk, dormant.pk, own_draft.pk, 10**12, saas.pk + 1000):
        with pytest.raises(services.CatalogError) as refused:
            name(saas, chain_id)
        refusals.append(refused.value.fields)
    # A hidden offer and a missing id are refused alike: ids cannot be probed.
    assert len({repr(fields) for fields in refusals}) == 1
    assert list(refusals[0]) == ["subcontractors[0].catalog_offer"]
    assert list(saas.subcontractors.values_list("catalog_offer_id", flat=True)) == [iaas.pk]
