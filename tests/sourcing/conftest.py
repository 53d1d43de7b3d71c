"""Sourcing files reuse the demand-side cast of tests/tenders: two agencies
with a buyer each, three providers with a qualified N2 storage offer each
(20, 25 and 30 € per TB-month)."""

import pytest

from tenders import services
from tests.tenders.conftest import (  # noqa: F401  (fixtures)
    agency_a,
    agency_b,
    buyer_a,
    buyer_b,
    market,
    member_c,
    provider_c,
)


@pytest.fixture
def saved(agency_a, buyer_a, market):
    """A saved search for N2 storage in France, cheapest first."""
    return services.sourcing_file_save(agency=agency_a, actor=buyer_a, name="Stockage N2",
                                       filters={"level": "N2", "category": "iaas_storage", "location": "FR"})


@pytest.fixture
def locked(saved, buyer_a):
    return services.sourcing_file_lock(sourcing_file=saved, actor=buyer_a)
