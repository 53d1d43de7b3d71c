"""The HTML pages of declarations and of the award decision: each role
sees and does what the API lets it, with the same refusals."""

import datetime

from django.utils import timezone

from catalog.models import Attestation, ExclusionGround, SupplierDeclaration
from tenders.models import Complaint, TenderStatus
from tests.procurement.conftest import end_standstill, pdf
from tests.web.conftest import html_client


def declaration_post(**overrides):
    data = {f"ground_{code}": "no" for code in ExclusionGround.values}
    data.update({"signer_name": "Claire Dupont, présidente", "certify": "on"}, **overrides)
    return data


def test_a_provider_admin_signs_its_declaration_in_the_browser(bare_provider):
    client = html_client(bare_provider.user)
    page = client.get("/espace-fournisseur/declarations/")
    assert page.status_code == 200 and "You cannot respond to tenders" in page.content.decode()
    response = client.post("/espace-fournisseur/declarations/", declaration_post())
    assert response.status_code == 302
    declaration = SupplierDeclaration.objects.get(provider=bare_provider.provider)
    assert (
        declaration.signer_name == "Claire Dupont, présidente"
        and not declaration.any_ground_applies
    )
    assert (
        declaration.content_sha256
        in client.get("/espace-fournisseur/declarations/").content.decode()
    )


def test_an_unanswered_ground_or_a_missing_certification_is_a_form_error(bare_provider):
    client = html_client(bare_provider.user)
    data = declaration_post()
    del data["ground_insolvency"]
    assert client.post("/espace-fournisseur/declarations/", data).status_code == 400
    no_certify = declaration_post()
    del no_certify["certify"]
    assert client.post("/espace-fournisseur/declarations/", no_certify).status_code == 400
    assert not SupplierDeclaration.objects.exists()


def test_a_provider_member_cannot_sign(bare_provider):
    from tests import factories

    member = factories.MemberFactory(provider=bare_provider.provider, role="member")
    assert (
        html_client(member.user)
        .post("/espace-fournisseur/declarations/", declaration_post())
        .status_code
        == 403
    )


def test_a_provider_uploads_an_attestation_in_the_browser(bare_provider):
    client = html_client(bare_provider.user)
    issued = (timezone.localdate() - datetime.timedelta(days=5)).isoformat()
    response = client.post(
        "/espace-fournisseur/declarations/attestations/",
        {"kind": "social", "reference": "URSSAF-1", "issued_on": issued, "document": pdf()},
    )
    assert response.status_code == 302
    assert Attestation.objects.get(provider=bare_provider.provider).document_sha256
    bad = client.post(
        "/espace-fournisseur/declarations/attestations/",
        {
            "kind": "tax",
            "reference": "T",
            "issued_on": issued,
            "document": pdf("a.pdf", b"GIF89a not allowed"),
        },
    )
    assert bad.status_code == 400 and "PDF, PNG or JPEG" in bad.content.decode()


def test_the_operator_page_lists_what_expires(operator, member_a, buyer_a):
    Attestation.objects.filter(provider=member_a.provider, kind="registration").update(
        expires_on=timezone.localdate() + datetime.timedelta(days=9)
    )
    page = html_client(operator).get("/operateur/echeances/")
    assert page.status_code == 200
    html = page.content.decode()
    table = html[html.index('id="expiring-attestations"') :]
    assert "Alpha Cloud" in table and "K-bis" in table
    assert "Beta Hosting" not in table
    assert html_client(buyer_a).get("/operateur/echeances/").status_code == 403


def test_a_losing_tenderer_sees_its_rank_and_files_a_complaint(awarded, member_b):
    client = html_client(member_b.user)
    page = client.get(f"/appels-offres/{awarded.tender.pk}/decision/").content.decode()
    assert 'id="own-ranking"' in page and "Alpha Cloud" in page and 'id="complaint-form"' in page
    assert 'id="ranking"' not in page  # the full ranking is the buyer's
    response = client.post(
        f"/appels-offres/{awarded.tender.pk}/decision/reclamation/",
        {"text": "Notation contestée.", "attachment": pdf()},
    )
    assert response.status_code == 302
    assert Complaint.objects.get().provider == member_b.provider
    again = client.post(
        f"/appels-offres/{awarded.tender.pk}/decision/reclamation/", {"text": "Encore."}
    )
    assert again.status_code == 409


def test_the_buyer_answers_a_complaint_and_signs_in_the_browser(awarded, member_b, buyer_a):
    html_client(member_b.user).post(
        f"/appels-offres/{awarded.tender.pk}/decision/reclamation/", {"text": "Notation contestée."}
    )
    complaint = Complaint.objects.get()
    client = html_client(buyer_a)
    page = client.get(f"/appels-offres/{awarded.tender.pk}/decision/").content.decode()
    assert 'id="ranking"' in page and f'id="answer-form-{complaint.pk}"' in page
    end_standstill(awarded.award)
    refused = client.post(f"/appels-offres/{awarded.tender.pk}/decision/signature/")
    assert refused.status_code == 409 and "complaint" in refused.content.decode()
    answered = client.post(
        f"/appels-offres/{awarded.tender.pk}/decision/reclamations/{complaint.pk}/reponse/",
        {f"c{complaint.pk}-decision": "dismissed", f"c{complaint.pk}-answer": "Non fondée."},
    )
    assert answered.status_code == 302
    assert client.post(f"/appels-offres/{awarded.tender.pk}/decision/signature/").status_code == 302
    awarded.tender.refresh_from_db()
    assert awarded.tender.status == TenderStatus.CONTRACT_SIGNED


def test_the_buyer_withdraws_an_award_in_the_browser(awarded, buyer_a):
    client = html_client(buyer_a)
    assert (
        client.post(
            f"/appels-offres/{awarded.tender.pk}/decision/retrait/", {"reason": ""}
        ).status_code
        == 400
    )
    response = client.post(
        f"/appels-offres/{awarded.tender.pk}/decision/retrait/", {"reason": "Erreur de calcul."}
    )
    assert response.status_code == 302
    page = client.get(f"/appels-offres/{awarded.tender.pk}/decision/").content.decode()
    assert 'id="withdrawn-awards"' in page and 'id="no-award"' in page


def test_only_the_buyer_signs_or_withdraws(awarded, member_b, buyer_b):
    url = f"/appels-offres/{awarded.tender.pk}/decision/"
    assert html_client(member_b.user).post(url + "signature/").status_code == 403
    assert html_client(buyer_b).post(url + "retrait/", {"reason": "x"}).status_code == 403
    # The public sees the decision, not the ranking.
    page = html_client().get(url)
    assert page.status_code == 200 and 'id="ranking"' not in page.content.decode()
