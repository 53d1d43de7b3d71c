"""HTML journeys reuse the demand-side cast of tests/tenders (two agencies,
three providers with a qualified N2 offer each, draft and published
tenders). Helpers for pages: `html_client(user)` speaks English, so that
assertions on words do not depend on the French translation."""

import pytest
from django.test import Client

from tests.tenders.conftest import (  # noqa: F401  (fixtures)
    agency_a,
    agency_b,
    buyer_a,
    buyer_b,
    draft,
    market,
    member_c,
    pass_deadline,
    provider_c,
    published,
)


def html_client(user=None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def anonymous():
    return html_client()
