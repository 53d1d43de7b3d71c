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
def saved(agency_a, buyer_a, market):  # noqa: F811  (fixtures imported above)
    """A saved search for N2 storage in France, cheapest first."""
    return services.sourcing_file_save(
        agency=agency_a,
        actor=buyer_a,
        name="Stockage N2",
        filters={"level": "N2", "category": "iaas_storage", "location": "FR"},
    )


@pytest.fixture
def locked(saved, buyer_a):  # noqa: F811  (fixtures imported above)
    return services.sourcing_file_lock(sourcing_file=saved, actor=buyer_a)


@pytest.fixture
def anonymous():
    from tests.web.conftest import html_client

    return html_client()


@pytest.fixture
def locked_other(agency_a, buyer_a, market):  # noqa: F811  (fixtures imported above)
    item = services.sourcing_file_save(agency=agency_a, actor=buyer_a, name="Autre", filters={})
    return services.sourcing_file_lock(sourcing_file=item, actor=buyer_a)
