"""REST API of the demand side, one module per resource: ``tenders``
(agencies, tenders and their lifecycle, awards), ``responses`` and
``standstill`` (their actions on /tenders/{id}/), ``orders``, ``sourcing``,
the open-data feeds ``ocds`` and ``decp``; ``serializers`` holds the
inputs and outputs. Thin views over ``tenders.services``; scoping in
``tenders.selectors``."""

from tenders.api.orders import OrderViewSet
from tenders.api.serializers import AwardOutput, OrderOutput, TenderOutput
from tenders.api.sourcing import SourcingFileExportView, SourcingFileViewSet
from tenders.api.tenders import AgencyViewSet, AwardViewSet, TenderViewSet

__all__ = [
    "AgencyViewSet",
    "AwardOutput",
    "AwardViewSet",
    "OrderOutput",
    "OrderViewSet",
    "SourcingFileExportView",
    "SourcingFileViewSet",
    "TenderOutput",
    "TenderViewSet",
]
