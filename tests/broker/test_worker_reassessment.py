"""Done-when of the foundation: revoking a certificate in the admin removes
the offers it covered from `?level=N2` within seconds, with a real worker."""

import pytest
from django.urls import reverse

from catalog.models import Certification
from config.celery_app import app as celery_app
from tests import factories
from tests.worker import celery_worker, wait_until


@pytest.fixture
def live_tasks():
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def n2_ids(client):
    response = client.get("/api/v1/offers/?level=N2")
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_revoking_in_the_admin_removes_the_offer_from_n2(client, live_tasks):
    operator = factories.UserFactory(username="op", is_staff=True, is_superuser=True)
    provider = factories.ProviderFactory(name="Souverain")
    with celery_worker():
        offer = factories.offer(provider)
        cert = factories.certification(provider, [offer])
        wait_until(lambda: offer.pk in n2_ids(client))

        client.force_login(operator)
        response = client.post(
            reverse("admin:catalog_certification_changelist"),
            {
                "action": "revoke",
                "_selected_action": [cert.pk],
                "reason": "Qualification withdrawn by ANSSI",
            },
        )
        assert response.status_code == 302
        assert Certification.objects.get(pk=cert.pk).status == "revoked"
        client.logout()
        wait_until(lambda: offer.pk not in n2_ids(client))
