"""Open Contracting Data Standard 1.1 (schema 1.1.5) for the window's
tenders, in three layers:

* ``releases`` — the pure core: ``TenderFacts`` (plain data) → one release
  per stage reached; every mapping decision, no database;
* ``packages`` — the compiled release, records, release and record packages;
* ``queries`` and ``feed`` — read-only: public tenders as facts, for the
  records and ``manage.py export_ocds``, and the releases the change feed's
  events announce, for the ``?since=`` API (``tenders.api.ocds``).

``from tenders import ocds`` gives all of them."""

from tenders.ocds.feed import FEED_ENTITIES, releases_of_changes
from tenders.ocds.packages import (
    LICENSE,
    OCDS_VERSION,
    PUBLISHER,
    compiled_release,
    dumps,
    record,
    record_package,
    release_package,
)
from tenders.ocds.queries import (
    date_order,
    iter_tender_releases,
    organisation_of_agency,
    organisation_of_provider,
    record_for,
    tender_facts,
)
from tenders.ocds.releases import (
    CANCELLED,
    CLOSED,
    CONTRACT,
    LANGUAGE,
    LOCAL_PROVIDER_ID,
    ORG_SCHEME,
    PROCUREMENT_METHOD_DETAILS,
    PROCUREMENT_METHODS,
    TENDER,
    UNSUCCESSFUL,
    AwardFacts,
    AwardStage,
    Organisation,
    Stage,
    TenderFacts,
    WithdrawnAwardFacts,
    award_cancelled_stage,
    award_stage,
    ocid_for,
    ocid_prefix,
    release,
    releases_of,
    rfc3339,
    stages_of,
)

__all__ = [
    "CANCELLED",
    "CLOSED",
    "CONTRACT",
    "FEED_ENTITIES",
    "LANGUAGE",
    "LICENSE",
    "LOCAL_PROVIDER_ID",
    "OCDS_VERSION",
    "ORG_SCHEME",
    "PROCUREMENT_METHODS",
    "PROCUREMENT_METHOD_DETAILS",
    "PUBLISHER",
    "TENDER",
    "UNSUCCESSFUL",
    "AwardFacts",
    "AwardStage",
    "Organisation",
    "Stage",
    "TenderFacts",
    "WithdrawnAwardFacts",
    "award_cancelled_stage",
    "award_stage",
    "compiled_release",
    "date_order",
    "dumps",
    "iter_tender_releases",
    "ocid_for",
    "ocid_prefix",
    "organisation_of_agency",
    "organisation_of_provider",
    "record",
    "record_for",
    "record_package",
    "release",
    "release_package",
    "releases_of",
    "releases_of_changes",
    "rfc3339",
    "stages_of",
    "tender_facts",
]
