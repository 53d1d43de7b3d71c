"""The policy's fixed tables: country zones, HDS activities per category,
certificate statuses and assurance ranks (their legal sources beside each)."""

from __future__ import annotations

# EU member states (ISO 3166-1 alpha-2; Greece is "GR" in ISO, "EL" in EU use).
EU = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
EEA = EU | {"IS", "LI", "NO"}
# Countries with a European Commission adequacy decision under GDPR art. 45.
# The United States is adequate only for organisations certified under the
# EU-US Data Privacy Framework, which a country code cannot express: it is
# deliberately absent.
ADEQUACY = frozenset("AD AR CA CH FO GB GG IL IM JE JP KR NZ UY".split())

ZONES: dict[str, frozenset[str] | None] = {
    "ANY": None,
    "EEA_ADEQUACY": EEA | ADEQUACY,
    "EEA": EEA,
    "EU": EU,
    "FR": frozenset({"FR"}),
}

DATA_ROLES = ("storage", "processing", "backup", "technical_data")
# Every location an offer declares, in the order of its fields.
LOCATION_ROLES = (*DATA_ROLES, "administration", "support")

# HDS activities (Code de la santé publique, art. R.1111-9): 1 physical
# sites, 2 hardware infrastructure, 3 virtual infrastructure, 4 application
# hosting platform, 5 administration and operation of the information
# system, 6 external backup. An offer needs its own certificate to cover the
# activities its service performs; the physical site (1) may be a certified
# subcontractor's.
HDS_ACTIVITIES_NEEDED: dict[str, frozenset[int]] = {
    "iaas_compute": frozenset({2, 3}),
    "iaas_storage": frozenset({2}),
    "backup": frozenset({6}),
    "paas_database": frozenset({4}),
    "paas_containers": frozenset({4}),
    "hosting": frozenset({4}),
    "saas_collaboration": frozenset({5}),
    "saas_business": frozenset({5}),
    "network": frozenset(),
}
IN_PROGRESS = frozenset({"j0", "j1", "j2"})
ASSURANCE_RANK = {"": 0, "basic": 1, "type1": 1, "substantial": 2, "type2": 2, "high": 3}
