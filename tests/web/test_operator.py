"""The operator's console in HTML (issue 4 "Operator"): the verification
queue, the decisions with their reasons, evidence served to operators only,
provider suspension, and the audit log with its chain check."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from broker import services as broker_services
from broker.models import Notification
from catalog import services
from catalog.models import Certification, OfferAssessment, OperatorAction, Provider
from tests import factories
from tests.broker.test_audit import tamper
from tests.web.conftest import html_client

PDF = b"%PDF-1.7\n% evidence of a qualification\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def console(operator):
    return html_client(operator)


@pytest.fixture
def pending(provider_a, django_capture_on_commit_callbacks):
    """A SecNumCloud certificate with its evidence, waiting for the operator;
    its offer is N0 until the evidence is verified."""
    with django_capture_on_commit_callbacks(execute=True):
        offer = factories.offer(provider_a)
        cert = factories.certification(
            provider_a,
            [offer],
            verify=False,
            reference="SNC-ALPHA-0001",
            evidence=SimpleUploadedFile("../../etc/<script>.pdf", PDF, content_type="text/html"),
        )
    assert OfferAssessment.objects.get(offer=offer).level == "N0"
    return cert


def level_of(cert) -> str:
    return OfferAssessment.objects.get(offer=cert.scope_offers.get()).level


# --------------------------------------------------------------------------
# Who gets in


OPERATOR_PAGES = [
    ("operator-queue", False),
    ("operator-certificate", True),
    ("operator-evidence", True),
    ("operator-providers", False),
    ("operator-audit", False),
]


def operator_urls(cert) -> list[str]:
    return [reverse(name, args=[cert.pk] if takes_pk else []) for name, takes_pk in OPERATOR_PAGES]


def test_it_sends_anonymous_visitors_to_the_login_page(pending):
    for url in operator_urls(pending):
        response = html_client().get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), (
            url
        )


def test_it_hides_the_console_from_providers_and_buyers(pending, member_a, member_b, buyer_a):
    for user in (member_a.user, member_b.user, buyer_a):
        client = html_client(user)
        for url in operator_urls(pending):
            assert client.get(url).status_code == 404, (user, url)
        response = client.post(
            reverse("operator-certificate", args=[pending.pk]), {"decision": "verify"}
        )
        assert response.status_code == 404
    assert Certification.objects.get(pk=pending.pk).verification == "pending"


def test_it_never_serves_evidence_to_a_provider_even_its_own(pending, member_a, member_b):
    for member in (member_b, member_a):
        response = html_client(member.user).get(reverse("operator-evidence", args=[pending.pk]))
        assert response.status_code == 404
        assert PDF not in b"".join(getattr(response, "streaming_content", [response.content]))


def test_it_serves_evidence_to_the_operator_as_a_safe_attachment(console, pending):
    response = console.get(reverse("operator-evidence", args=[pending.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        f'attachment; filename="evidence-{pending.pk}-snc-alpha-0001.pdf"'
    )


def test_it_answers_404_when_there_is_no_evidence_file(console, provider_a):
    cert = factories.certification(provider_a, [], verify=False)
    assert console.get(reverse("operator-evidence", args=[cert.pk])).status_code == 404


# --------------------------------------------------------------------------
# The queue and the decisions


def test_it_lists_pending_certificates_oldest_first(console, provider_a, provider_b, pending):
    newer = factories.certification(provider_b, [], verify=False, reference="ISO-BETA-7")
    verified = factories.certification(provider_b, [], verify=True, reference="ISO-BETA-VERIFIED")
    html = console.get(reverse("operator-queue")).content.decode()
    assert "<h1>Verification queue</h1>" in html
    assert html.index("SNC-ALPHA-0001") < html.index("ISO-BETA-7")
    assert "Alpha Cloud" in html and "Beta Hosting" in html and "Object storage" in html
    assert "ISO-BETA-VERIFIED" not in html
    assert "2 certificates are waiting for verification." in html
    assert reverse("operator-certificate", args=[newer.pk]) in html

    html = console.get(reverse("operator-queue"), {"verification": "verified"}).content.decode()
    assert "ISO-BETA-VERIFIED" in html and "SNC-ALPHA-0001" not in html
    assert reverse("operator-certificate", args=[verified.pk]) in html


def test_it_paginates_the_queue(console, provider_a):
    for n in range(30):
        factories.certification(provider_a, [], verify=False, reference=f"REF-{n:03d}")
    first = console.get(reverse("operator-queue")).content.decode()
    second = console.get(reverse("operator-queue"), {"page": 2}).content.decode()
    assert "REF-000" in first and "REF-029" not in first
    assert "REF-029" in second and "REF-000" not in second
    assert 'class="fr-pagination' in first and "?page=2" in first


def test_it_shows_the_certificate_with_its_evidence(console, pending):
    html = console.get(reverse("operator-certificate", args=[pending.pk])).content.decode()
    assert "SNC-ALPHA-0001" in html and "Alpha Cloud" in html and "Object storage" in html
    assert reverse("operator-evidence", args=[pending.pk]) in html
    assert pending.evidence_sha256 in html
    assert 'value="verify"' in html and 'value="reject"' in html


def test_verifying_changes_the_status_and_reassesses_the_offers(
    console, operator, pending, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = console.post(
            reverse("operator-certificate", args=[pending.pk]), {"decision": "verify"}
        )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.verification == "verified" and pending.verified_by == operator
    assert level_of(pending) == "N2"
    html = console.get(response["Location"]).content.decode()
    assert "The evidence of SECNUMCLOUD 3.2 SNC-ALPHA-0001 is verified." in html
    # No longer waiting, and no longer offered to verify again.
    assert "SNC-ALPHA-0001" not in console.get(reverse("operator-queue")).content.decode()
    assert 'value="verify"' not in html


def test_rejecting_without_a_reason_is_an_inline_error(console, pending):
    response = console.post(
        reverse("operator-certificate", args=[pending.pk]), {"decision": "reject", "reason": "  "}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "A reason is required to reject evidence." in html
    assert "fr-input-group--error" in html or "fr-messages-group" in html
    assert Certification.objects.get(pk=pending.pk).verification == "pending"


def test_rejecting_with_a_reason_records_it(console, operator, pending):
    response = console.post(
        reverse("operator-certificate", args=[pending.pk]),
        {"decision": "reject", "reason": "Unknown to the ANSSI register"},
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.verification == "rejected"
    assert pending.verification_reason == "Unknown to the ANSSI register"
    html = console.get(reverse("operator-certificate", args=[pending.pk])).content.decode()
    assert "Unknown to the ANSSI register" in html and "certification.reject" in html


@pytest.mark.parametrize("decision,status", [("revoke", "revoked"), ("suspend", "suspended")])
def test_revoking_or_suspending_needs_a_reason_and_reassesses(
    console, operator, provider_a, decision, status, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cert = factories.certification(provider_a, [factories.offer(provider_a)])
    assert level_of(cert) == "N2"
    url = reverse("operator-certificate", args=[cert.pk])
    refused = console.post(url, {"decision": decision, "reason": ""})
    assert refused.status_code == 400 and "A reason is required" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        console.post(url, {"decision": decision, "reason": "Withdrawn by the issuer"})
    assert Certification.objects.get(pk=cert.pk).status == status
    assert level_of(cert) == "N0"
    record = OperatorAction.objects.get(action=f"certification.{decision}")
    assert record.actor == operator and record.reason == "Withdrawn by the issuer"


def test_a_revoked_certificate_offers_no_decision(console, provider_a):
    cert = factories.certification(provider_a, [])
    services.certification_revoke(certification=cert, actor=None, reason="Withdrawn")
    url = reverse("operator-certificate", args=[cert.pk])
    html = console.get(url).content.decode()
    assert "no further decision is possible" in html
    response = console.post(url, {"decision": "verify"})
    assert response.status_code == 400
    assert Certification.objects.get(pk=cert.pk).status == "revoked"


# --------------------------------------------------------------------------
# Providers


def test_suspending_a_provider_needs_a_reason_and_reactivating_brings_it_back(
    console, operator, provider_a, provider_b
):
    html = console.get(reverse("operator-providers")).content.decode()
    assert "Alpha Cloud" in html and "Beta Hosting" in html
    url = reverse("operator-provider", args=[provider_a.pk])
    assert url in html

    refused = console.post(url, {"action": "suspend", "reason": ""})
    assert (
        refused.status_code == 400
        and "A reason is required to suspend a provider." in refused.content.decode()
    )
    assert Provider.objects.get(pk=provider_a.pk).status == "active"

    response = console.post(
        url, {"action": "suspend", "reason": "Misleading ownership declaration"}
    )
    assert response.status_code == 302
    provider = Provider.objects.get(pk=provider_a.pk)
    assert provider.status == "suspended" and provider.status_changed_by == operator
    html = console.get(reverse("operator-providers"), {"status": "suspended"}).content.decode()
    assert "Misleading ownership declaration" in html and "Beta Hosting" not in html

    # A stale second click repeats the suspension instead of undoing it.
    console.post(url, {"action": "suspend", "reason": "again"})
    assert Provider.objects.get(pk=provider_a.pk).status == "suspended"

    console.post(url, {"action": "reactivate", "reason": ""})
    assert Provider.objects.get(pk=provider_a.pk).status == "active"


def test_provider_pages_are_for_operators_only(provider_a, member_a, buyer_a):
    url = reverse("operator-provider", args=[provider_a.pk])
    for user in (member_a.user, buyer_a):
        assert html_client(user).post(url, {"action": "suspend", "reason": "x"}).status_code == 404
    assert Provider.objects.get(pk=provider_a.pk).status == "active"


# --------------------------------------------------------------------------
# The audit log


def test_the_audit_log_shows_events_newest_first_and_an_intact_chain(console, operator, pending):
    services.certification_verify(certification=pending, actor=operator)
    broker_services.audit_append(
        actor=None, organisation="test", action="test.later", object_type="test", object_id=1
    )
    html = console.get(reverse("operator-audit")).content.decode()
    assert "The chain is intact" in html
    assert html.index("test.later") < html.index("certification.verify")

    filtered = console.get(
        reverse("operator-audit"), {"object_type": "certification"}
    ).content.decode()
    assert "certification.verify" in filtered and "test.later" not in filtered


def test_the_audit_log_filters_by_tender(console, published, draft):
    html = console.get(reverse("operator-audit"), {"tender": published.pk}).content.decode()
    assert "tender.published" in html
    assert f"tender {draft.pk}<" not in html.replace("\n", "")


def test_the_audit_log_detects_a_tampered_event(console):
    events = [
        broker_services.audit_append(
            actor=None,
            organisation="test",
            action="test.event",
            object_type="test",
            object_id=i,
            data={"amount": "2400.00"},
        )
        for i in range(3)
    ]
    target = events[1]
    tamper(
        "UPDATE broker_auditevent SET data = %s WHERE id = %s", ['{"amount": "1.00"}', target.pk]
    )
    html = console.get(reverse("operator-audit")).content.decode()
    assert "The chain is broken" in html
    assert f"The first broken event is #{target.pk}: its content does not match its hash." in html
    assert "The chain is intact" not in html


def test_the_audit_log_is_for_operators_only(member_a, buyer_a):
    for user in (member_a.user, buyer_a):
        assert html_client(user).get(reverse("operator-audit")).status_code == 404


def test_the_inbox_is_untouched_by_the_console(console, operator):
    # The operator's own inbox works like everyone's.
    broker_services.notify(
        users=[operator], kind="test", key="k1", message=lambda: ("Hello operator", "b")
    )
    assert "Hello operator" in console.get(reverse("notification-inbox")).content.decode()
    assert Notification.objects.filter(recipient=operator, read_at__isnull=True).count() == 1


# --------------------------------------------------------------------------
# Query counts: the pages do not grow with the rows they show


def test_the_console_pages_keep_a_fixed_number_of_queries(
    console, operator, provider_a, django_assert_max_num_queries
):
    offers = [factories.offer(provider_a, name=f"Offer {n}") for n in range(3)]
    certs = [
        factories.certification(provider_a, offers, verify=False, reference=f"R-{n}")
        for n in range(20)
    ]
    for n in range(20):
        broker_services.notify(
            users=[operator],
            kind="test",
            key=f"k{n}",
            message=lambda n=n: (f"S{n}", "b"),
            url="/x/",
        )
        if n % 2:
            services.certification_verify(certification=certs[n], actor=operator)
    for url in (
        reverse("operator-queue"),
        reverse("operator-queue") + "?verification=verified",
        reverse("operator-providers"),
        reverse("operator-audit"),
        reverse("notification-inbox"),
        reverse("operator-certificate", args=[certs[1].pk]),
    ):
        with django_assert_max_num_queries(12):
            assert console.get(url).status_code == 200
