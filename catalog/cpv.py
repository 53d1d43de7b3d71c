"""CPV 2008 codes that fit cloud services (Commission Regulation (EC)
No 213/2008). CPV has no "cloud" wording; these are the codes buyers use for
hosting, storage and services. Each carries its check digit."""

from __future__ import annotations

CLOUD_CPV: dict[str, str] = {
    "72000000-5": "IT services: consulting, software development, Internet and support",
    "72222300-0": "Information technology services",
    "72415000-2": "World wide web (www) site operation host services",
    "72317000-0": "Data storage services",
    "72514000-1": "Computer facilities management services",
    "72416000-9": "Application service providers",
    "72268000-1": "Software supply services",
    "48000000-8": "Software package and information systems",
    "72300000-8": "Data services",
    "72310000-1": "Data-processing services",
    "72320000-4": "Database services",
    "72322000-8": "Data management services",
    "72910000-2": "Computer back-up services",
    "72251000-9": "Disaster recovery services",
    "72400000-4": "Internet services",
    "72700000-7": "Computer network services",
    "72250000-2": "System and support services",
    "48820000-2": "Servers",
}

CLOUD_CPV_CHOICES = [(code, f"{code} {label}") for code, label in CLOUD_CPV.items()]
