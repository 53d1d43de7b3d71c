"""REST API of the catalogue (/api/v1/providers, offers, certifications,
declarations, attestations, policy). Thin: parse input, call the same
services as the HTML views, render; scoping lives in ``catalog.selectors``.
One module per resource (serializers apart); this package re-exports their
names for ``catalog.urls`` and the older imports."""

from catalog.api.certifications import CertificationViewSet
from catalog.api.declarations import (
    AttestationInput,
    AttestationOutput,
    AttestationViewSet,
    DeclarationInput,
    DeclarationOutput,
    DeclarationViewSet,
)
from catalog.api.offers import (
    OFFER_FILTER_PARAMETERS,
    OfferFilter,
    OfferPage,
    OfferPagination,
    OfferRemoved,
    OfferViewSet,
    offer_list_render,
    offer_list_values,
)
from catalog.api.policy import PolicyView
from catalog.api.providers import ProviderViewSet
from catalog.api.serializers import (
    AssessmentOutput,
    AssessmentSummaryOutput,
    CertificationBrief,
    CertificationInput,
    CertificationOutput,
    CheckOutput,
    OfferInput,
    OfferListOutput,
    OfferOutput,
    ProviderBrief,
    ProviderInput,
    ProviderOutput,
    ReasonInput,
    StakeSerializer,
    SubcontractorSerializer,
    UsedByOutput,
)
from catalog.selectors import ORDERINGS
from core.api import (
    FEED_LIMIT_PARAMETER,
    FEED_PARAMETER,
    FeedInput,
    feed_page,
    feed_response,
    list_page_serializer,
)

__all__ = [
    "FEED_LIMIT_PARAMETER",
    "FEED_PARAMETER",
    "OFFER_FILTER_PARAMETERS",
    "ORDERINGS",
    "AssessmentOutput",
    "AssessmentSummaryOutput",
    "AttestationInput",
    "AttestationOutput",
    "AttestationViewSet",
    "CertificationBrief",
    "CertificationInput",
    "CertificationOutput",
    "CertificationViewSet",
    "CheckOutput",
    "DeclarationInput",
    "DeclarationOutput",
    "DeclarationViewSet",
    "FeedInput",
    "OfferFilter",
    "OfferInput",
    "OfferListOutput",
    "OfferOutput",
    "OfferPage",
    "OfferPagination",
    "OfferRemoved",
    "OfferViewSet",
    "PolicyView",
    "ProviderBrief",
    "ProviderInput",
    "ProviderOutput",
    "ProviderViewSet",
    "ReasonInput",
    "StakeSerializer",
    "SubcontractorSerializer",
    "UsedByOutput",
    "feed_page",
    "feed_response",
    "list_page_serializer",
    "offer_list_render",
    "offer_list_values",
]
