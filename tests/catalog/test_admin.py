"""The operator's console: decisions through admin actions, with a reason
where one is due, recorded with who and when, and effective at once."""

import pytest
from django.urls import reverse

from catalog.models import Certification, DataFlag, OperatorAction, PolicyVersion, Provider
from tests import factories


@pytest.fixture
def console(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def pending(db, provider_a):
    offer = factories.offer(provider_a)
    return factories.certification(provider_a, [offer], verify=False)


def act(console, model: str, action: str, pk: int, reason: str = ""):
    return console.post(
        reverse(f"admin:catalog_{model}_changelist"),
        {"action": action, "_selected_action": [pk], "reason": reason},
        follow=True,
    )


def test_the_operator_verifies_evidence(
    console, operator, pending, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        act(console, "certification", "verify", pending.pk)
    pending.refresh_from_db()
    assert (
        pending.verification == "verified"
        and pending.verified_by == operator
        and pending.verified_at
    )
    assert pending.scope_offers.get().assessment.level == "N2"


def test_rejecting_needs_a_reason(console, pending):
    response = act(console, "certification", "reject", pending.pk)
    assert (
        "Un motif est obligatoire pour rejeter un justificatif." in response.content.decode()
    )  # admin in French
    pending.refresh_from_db()
    assert pending.verification == "pending"
    act(
        console, "certification", "reject", pending.pk, reason="Certificate number unknown to ANSSI"
    )
    pending.refresh_from_db()
    assert pending.verification == "rejected"
    assert pending.verification_reason == "Certificate number unknown to ANSSI"


def test_revoking_is_recorded(console, operator, pending):
    act(console, "certification", "revoke", pending.pk, reason="Withdrawn by the issuer")
    assert Certification.objects.get(pk=pending.pk).status == "revoked"
    record = OperatorAction.objects.get(action="certification.revoke")
    assert record.actor == operator and record.reason == "Withdrawn by the issuer"


def test_suspending_a_provider_hides_its_offers(
    console, provider_a, api, django_capture_on_commit_callbacks
):
    offer = factories.offer(provider_a)
    assert api.get(f"/api/v1/offers/{offer.pk}/").status_code == 200
    act(
        console, "provider", "suspend", provider_a.pk, reason="Sanction for misleading declarations"
    )
    provider = Provider.objects.get(pk=provider_a.pk)
    assert provider.status == "suspended" and provider.status_reason.startswith("Sanction")
    assert api.get(f"/api/v1/offers/{offer.pk}/").status_code == 404
    act(console, "provider", "reactivate", provider_a.pk)
    assert api.get(f"/api/v1/offers/{offer.pk}/").status_code == 200


def test_editing_a_policy_table_creates_a_version_and_reassesses(
    console, provider_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        swiss = factories.offer(provider_a, storage_countries=["CH"])
    assert "PERSONAL_DATA" in swiss.assessment.flags  # Switzerland is an adequacy country
    flag = DataFlag.objects.get(code="PERSONAL_DATA")
    url = reverse("admin:catalog_dataflag_change", args=[flag.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = console.post(
            url,
            {
                "code": "PERSONAL_DATA",
                "label_fr": flag.label_fr,
                "label_en": flag.label_en,
                "storage_zone": "EEA",
                "required_scheme": "",
                "required_min_version": "",
            },
        )
    assert response.status_code == 302
    assert PolicyVersion.objects.order_by("-number").first().number == 2
    swiss.assessment.refresh_from_db()
    assert swiss.assessment.policy_version == 2 and "PERSONAL_DATA" not in swiss.assessment.flags


def test_non_operators_cannot_reach_the_console(client, member_a):
    client.force_login(member_a.user)
    response = client.get(reverse("admin:catalog_certification_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]
