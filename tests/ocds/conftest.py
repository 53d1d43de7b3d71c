"""The demo marketplace, seeded once per module, plus one sealed response
on the published tender; and the official OCDS validator
(../shared/ocds/validate.py), run as a subprocess."""

import json
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from broker.services import tender_match
from tenders import services
from tenders.models import Tender

VALIDATOR = Path(__file__).resolve().parents[3] / "shared" / "ocds" / "validate.py"
SEALED_PRICE = Decimal("98765.43")


def seed() -> None:
    """The demo, with a live (sealed) response on its published tender. The
    after-commit matching is run as the worker would."""
    call_command("seed_demo", stdout=StringIO())
    published = Tender.objects.get(status="published")
    tender_match(tender_id=published.pk)
    offer = published.shortlist.select_related("offer__provider").first().offer
    services.response_submit(
        tender=published,
        provider=offer.provider,
        actor=get_user_model().objects.get(username=f"fournisseur-{offer.provider.slug}"),
        offer=offer,
        total_price=SEALED_PRICE,
        technical_answer="Réponse scellée de test.",
    )


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """``seed()``, in a transaction rolled back at the module's end (the
    after-commit matching never fires inside it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        seed()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def validate(tmp_path):
    """Validate documents (dicts) or files with the official schema; fails
    the test, with the validator's report, on any error."""

    def run(*documents):
        paths = []
        for index, document in enumerate(documents):
            if isinstance(document, Path):
                paths.append(str(document))
                continue
            path = tmp_path / f"document-{index}.json"
            path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
            paths.append(str(path))
        result = subprocess.run(
            [sys.executable, str(VALIDATOR), *paths], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.count(": valid") == len(paths), result.stdout
        return result.stdout

    return run
