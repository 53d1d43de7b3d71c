"""Run inside the load test's database (``python -m bench.loadtest_setup
OUT.json``, Django settings from the environment, tasks eager): API tokens
for the demo buyers and, for the respond traffic, an open N1 tender with
its shortlist and a token for each shortlisted provider that can respond.
Writes what locust needs to OUT.json."""

from __future__ import annotations

import datetime
import json
import sys

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from broker import services as broker_services  # noqa: E402
from catalog.models import ProviderMembership  # noqa: E402
from tenders import services as tender_services  # noqa: E402
from tenders.models import AgencyMembership, ShortlistEntry  # noqa: E402


def token_for(user) -> str:
    return broker_services.api_token_issue(user=user)[1]


def main(out: str) -> None:
    buyers = list(AgencyMembership.objects.select_related("user", "agency").order_by("pk"))
    if not buyers:
        raise SystemExit("no demo buyer: seed_demo did not run")
    buyer = buyers[0]
    tender = tender_services.tender_create(
        agency=buyer.agency,
        actor=buyer.user,
        title="Charge : hébergement de l'intranet",
        category="iaas_compute",
        cpv_code="72415000-2",
        level="N1",
        flags=[],
        location_constraint="EU",
        quantity="20",
        unit="VCPU_MONTH",
        duration_months=12,
        estimated_value="60000",
        response_deadline=timezone.now() + datetime.timedelta(days=30),
    )
    tender = tender_services.tender_publish(tender=tender, actor=buyer.user)  # matched eagerly
    responders = []
    client = APIClient()
    for entry in (
        ShortlistEntry.objects.filter(tender=tender).select_related("offer").order_by("rank")
    ):
        member = (
            ProviderMembership.objects.filter(provider_id=entry.offer.provider_id)
            .select_related("user")
            .first()
        )
        if member is None:
            continue
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(member.user)}")
        trial = client.post(
            f"/api/v1/tenders/{tender.pk}/responses/",
            {"offer": entry.offer_id, "total_price": "1000.00", "technical_answer": "Essai."},
            format="json",
            HTTP_HOST="127.0.0.1",
        )
        if trial.status_code == 201:  # eligible, supplier documents in order
            responders.append({"token": token_for(member.user), "offer": entry.offer_id})
    data = {
        "buyers": [token_for(m.user) for m in buyers],
        "tender": tender.pk,
        "responders": responders,
        "users": get_user_model().objects.count(),
    }
    with open(out, "w") as handle:
        json.dump(data, handle)
    print(
        f"load test data: {len(data['buyers'])} buyers, tender {tender.pk}, {len(responders)} responders"
    )


if __name__ == "__main__":
    main(sys.argv[1])
