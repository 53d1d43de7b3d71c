"""Load the demo catalogue (catalog.demo_data) through the catalogue services.
``manage.py seed_demo`` (tenders) runs this first, then adds agencies and
tenders.

Idempotent: providers are looked up by slug, offers by (provider, name),
certificates by (scheme, reference) and users by username; what exists is
left as it is. Never runs in production (settings.DEMO_DATA)."""

from __future__ import annotations

import datetime
from collections import Counter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from catalog import demo_data, services
from catalog.models import (
    Attestation,
    Certification,
    CertificationStatus,
    ExclusionGround,
    MemberRole,
    Offer,
    OfferAssessment,
    OfferStatus,
    Provider,
    ProviderMembership,
    SensitivityLevel,
    SupplierDeclaration,
)

REFUSAL = "demo data is never loaded in production; set GUICHET_DEMO_DATA=1 to force"
PROVIDER_KEYS = (
    "name",
    "siren",
    "vat_number",
    "registered_office_country",
    "central_administration_country",
    "main_establishment_country",
    "is_sme",
    "website",
    "description",
)


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class Loader:
    def __init__(self, *, today: datetime.date):
        self.today = today
        self.users = get_user_model().objects
        self.offers: dict[str, Offer] = {}
        self.created = Counter()
        self._password_hash = ""

    def _set_demo_password(self, user) -> None:
        # Hashed once: PBKDF2 is slow on purpose, and every demo account
        # shares the same, published password anyway.
        if not self._password_hash:
            self._password_hash = make_password(demo_data.PASSWORD)
        user.password = self._password_hash
        user.save(update_fields=["password"])

    # -- users ---------------------------------------------------------

    def operator(self):
        user = self.users.filter(username=demo_data.OPERATOR_USERNAME).first()
        if user is None:
            user = self.users.create_superuser(
                username=demo_data.OPERATOR_USERNAME,
                email="operateur@guichet.example",
                password=None,
            )
            self._set_demo_password(user)
            self.created["users"] += 1
        return user

    def provider_user(self, slug: str):
        username = demo_data.PROVIDER_USERNAME.format(slug=slug)
        user = self.users.filter(username=username).first()
        if user is None:
            user = self.users.create_user(
                username=username,
                email=f"{username}@guichet.example",
                password=None,
            )
            self._set_demo_password(user)
            self.created["users"] += 1
        return user

    # -- providers and offers -------------------------------------------

    def provider(self, data: dict) -> Provider:
        user = self.provider_user(data["slug"])
        has_membership = ProviderMembership.objects.filter(user=user).exists()
        provider = Provider.objects.filter(slug=data["slug"]).first()
        if provider is None:
            fields = {key: data[key] for key in PROVIDER_KEYS if data.get(key) not in (None, "")}
            if fields.get("siren") and not fields.get("vat_number"):
                fields["vat_number"] = (
                    "FR" + services.french_vat_key(fields["siren"]) + fields["siren"]
                )
            provider = services.provider_create(
                actor=None if has_membership else user,
                stakes=data.get("stakes") or [],
                slug=data["slug"],
                **fields,
            )
            self.created["providers"] += 1
        elif not has_membership:
            ProviderMembership.objects.create(user=user, provider=provider, role=MemberRole.ADMIN)
        return provider

    def offer(self, provider: Provider, data: dict) -> Offer:
        data = dict(data)
        key = data.pop("key")
        status = data.pop("status", OfferStatus.PUBLISHED)
        offer = Offer.objects.filter(provider=provider, name=data["name"]).first()
        if offer is None:
            subcontractors = [self._subcontractor(row) for row in data.pop("subcontractors", [])]
            description = data.pop("description", "").strip()
            offer = services.offer_create(
                provider=provider,
                actor=None,
                subcontractors=subcontractors,
                status=OfferStatus.DRAFT if status == OfferStatus.DRAFT else OfferStatus.PUBLISHED,
                description=f"{description}\n\n{demo_data.ILLUSTRATIVE_PRICE_NOTE}".strip(),
                price_is_illustrative=True,
                **data,
            )
            if status == OfferStatus.WITHDRAWN:
                offer = services.offer_withdraw(offer=offer, actor=None)
            self.created["offers"] += 1
        self.offers[key] = offer
        return offer

    def _subcontractor(self, row: dict) -> dict:
        row = dict(row)
        if row.get("catalog_offer"):
            key = row["catalog_offer"]
            if key not in self.offers:
                raise CommandError(f"demo data: subcontractor offer '{key}' is not loaded yet")
            row["catalog_offer"] = self.offers[key].pk
        return row

    # -- certifications ---------------------------------------------------

    def certification(self, provider: Provider, data: dict, operator) -> None:
        if Certification.objects.filter(
            scheme__code=data["scheme"], reference=data["reference"]
        ).exists():
            return
        if data.get("scope") == "all":
            scope = list(provider.offers.values_list("pk", flat=True))
        else:
            scope = [self.offers[key].pk for key in data.get("scope", [])]
        fields = {
            "scheme": data["scheme"],
            "scheme_version": data.get("version", ""),
            "assurance": data.get("assurance", ""),
            "reference": data["reference"],
            "status": data.get("status", CertificationStatus.VALID),
            "scope_offers": scope,
            "scope_countries": sorted(
                {
                    country
                    for offer in provider.offers.filter(pk__in=scope)
                    for country in offer.storage_countries
                }
            ),
            "hds_activities": data.get("hds_activities", []),
            "evidence_url": data.get("evidence_url", ""),
        }
        if "issued_days_ago" in data:
            issued = self.today - datetime.timedelta(days=data["issued_days_ago"])
            fields["issued_on"] = issued
            fields["expires_on"] = add_years(issued, data.get("valid_years", 3))
        cert = services.certification_create(provider=provider, actor=None, **fields)
        self.created["certifications"] += 1
        if fields["status"] == CertificationStatus.VALID and data.get("verify", True):
            cert = services.certification_verify(certification=cert, actor=operator)
        if data.get("revoke"):
            services.certification_revoke(certification=cert, actor=operator, reason=data["revoke"])
        if data.get("suspend"):
            services.certification_suspend(
                certification=cert, actor=operator, reason=data["suspend"]
            )

    # -- supplier declarations and attestations --------------------------------

    def supplier_documents(self, provider: Provider, data: dict) -> None:
        """A signed declaration (no exclusion ground applies) and the three
        attestations, so that every demo provider may respond and accept
        orders. The first provider's K-bis extract expires within a
        fortnight: the operator's "expiring" list has something to show."""
        user = self.provider_user(data["slug"])
        if not SupplierDeclaration.objects.filter(provider=provider).exists():
            services.declaration_sign(
                provider=provider,
                actor=user,
                signer_name=f"Représentant légal de {provider.name} (démo)",
                grounds={code: False for code in ExclusionGround.values},
            )
        first = data is demo_data.PROVIDERS[0]
        ages = {"social": 40, "tax": 60, "registration": 80 if first else 20}
        for kind, days in ages.items():
            if not Attestation.objects.filter(provider=provider, kind=kind).exists():
                services.attestation_create(
                    provider=provider,
                    actor=user,
                    kind=kind,
                    reference=f"DEMO-{kind.upper()}-{provider.pk:05d}",
                    issued_on=self.today - datetime.timedelta(days=days),
                )

    # -- everything ----------------------------------------------------------

    def run(self) -> None:
        operator = self.operator()
        for data in demo_data.PROVIDERS:
            provider = self.provider(data)
            for offer_data in data.get("offers", []):
                self.offer(provider, offer_data)
            for cert_data in data.get("certifications", []):
                self.certification(provider, cert_data, operator)
            self.supplier_documents(provider, data)
        # Certificates issued more than three years ago are marked expired,
        # as the nightly task would.
        services.certifications_expire_due(today=self.today)
        services.offers_assess(offer_ids=None, today=self.today)


class Command(BaseCommand):
    help = (
        "Load the demo marketplace (real providers, illustrative prices; password "
        f"'{demo_data.PASSWORD}'). Idempotent; refused when settings.DEMO_DATA is off."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any provider already exists."
        )

    def handle(self, *args, **options):
        if not settings.DEMO_DATA:
            raise CommandError(REFUSAL)
        if options["if_empty"] and Provider.objects.exists():
            self.stdout.write("seed_catalog: providers already exist, nothing loaded (--if-empty).")
            return
        loader = Loader(today=timezone.localdate())
        try:
            with transaction.atomic():
                loader.run()
        except services.CatalogError as exc:
            detail = f" {exc.fields}" if exc.fields else ""
            raise CommandError(
                f"demo data rejected by the catalogue: {exc.message}{detail}"
            ) from exc
        self.summary(loader)

    def summary(self, loader: Loader) -> None:
        created = loader.created
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_catalog: {Provider.objects.count()} providers ({created['providers']} new), "
                f"{Offer.objects.count()} offers ({created['offers']} new), "
                f"{Certification.objects.count()} certifications ({created['certifications']} new), "
                f"{created['users']} new users (password '{demo_data.PASSWORD}')."
            )
        )
        per_level = Counter(OfferAssessment.objects.values_list("level", flat=True))
        codes = list(SensitivityLevel.objects.order_by("rank").values_list("code", flat=True))
        parts = [f"{code} {per_level.get(code, 0)}" for code in codes]
        if per_level.get(""):
            parts.append(f"none {per_level['']}")
        self.stdout.write("Offers per assessed level: " + ", ".join(parts) + ".")
