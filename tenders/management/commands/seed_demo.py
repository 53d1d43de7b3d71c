"""Load the demo marketplace: the catalogue (``seed_catalog``), then
agencies, tenders in every state and direct purchases, all through the
services. Idempotent (tenders are found by agency and title); refused in
production (settings.DEMO_DATA)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from catalog.models import Offer, Provider
from core.errors import DomainError
from tenders import demo_data, services
from tenders.models import Agency, Award, Order, Tender, TenderResponse


class Command(BaseCommand):
    help = "Load the demo marketplace (catalogue, agencies, tenders, orders). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any provider already exists."
        )

    def handle(self, *args, **options):
        if not settings.DEMO_DATA:
            raise CommandError(
                "demo data is never loaded in production; set GUICHET_DEMO_DATA=1 to force"
            )
        if options["if_empty"] and Provider.objects.exists():
            self.stdout.write(
                "seed_demo: the marketplace is not empty, nothing loaded (--if-empty)."
            )
            return
        call_command("seed_catalog", stdout=self.stdout)
        try:
            with transaction.atomic():
                counts = self.load()
        except DomainError as exc:
            raise CommandError(f"demo data rejected: {exc.message} {exc.fields or ''}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_demo: {Agency.objects.count()} agencies, {Tender.objects.count()} tenders "
                f"({counts['tenders']} new), {Order.objects.count()} orders ({counts['orders']} new)."
            )
        )

    def load(self) -> dict:
        self.password = make_password(demo_data.PASSWORD)
        counts = {"tenders": 0, "orders": 0}
        agencies = {row["slug"]: self.agency(row) for row in demo_data.AGENCIES}
        for row in demo_data.TENDERS:
            agency = agencies[row["agency"]]
            if Tender.objects.filter(agency=agency, title=row["title"]).exists():
                continue
            self.tender(agency, row)
            counts["tenders"] += 1
        for (
            agency_slug,
            provider_slug,
            offer_name,
            quantity,
            months,
            level,
            flags,
            outcome,
        ) in demo_data.ORDERS:
            agency = agencies[agency_slug]
            offer = Offer.objects.get(provider__slug=provider_slug, name=offer_name)
            if Order.objects.filter(agency=agency, offer=offer).exists():
                continue
            order = services.order_place(
                agency=agency,
                actor=self.buyer(agency),
                offer=offer,
                quantity=Decimal(quantity),
                duration_months=months,
                level=level,
                flags=flags,
            )
            if outcome == "accepted":
                services.order_accept(order=order, actor=self.provider_user(provider_slug))
            counts["orders"] += 1
        return counts

    def agency(self, row: dict) -> Agency:
        agency = Agency.objects.filter(slug=row["slug"]).first()
        if agency is None:
            agency = services.agency_create(
                name=row["name"],
                siret=row["siret"],
                buyer_category=row["buyer_category"],
                slug=row["slug"],
            )
        user, created = get_user_model().objects.get_or_create(
            username=row["login"],
            defaults={"email": f"{row['login']}@guichet.example", "password": self.password},
        )
        if created or not hasattr(user, "agency_membership"):
            services.agency_member_add(agency=agency, user=user, role="admin")
        return agency

    def buyer(self, agency: Agency):
        return agency.memberships.select_related("user").first().user

    def provider_user(self, slug: str):
        return get_user_model().objects.get(username=f"fournisseur-{slug}")

    def tender(self, agency: Agency, row: dict) -> Tender:
        buyer = self.buyer(agency)
        now = timezone.now()
        price, technical, other = row["weights"]
        tender = services.tender_create(
            agency=agency,
            actor=buyer,
            title=row["title"],
            description=row["description"],
            category=row["category"],
            cpv_code=row["cpv_code"],
            level=row["level"],
            flags=row["flags"],
            location_constraint=row["location_constraint"],
            quantity=Decimal(row["quantity"]),
            unit=row["unit"],
            duration_months=row["duration_months"],
            estimated_value=Decimal(row["estimated_value"]),
            response_deadline=now + timedelta(days=row["deadline_days"]),
            weight_price=price,
            weight_technical=technical,
            weight_other=other,
        )
        state = row["state"]
        if state == "draft":
            return tender
        # Demo deadlines may be shorter than the production minimum.
        with override_settings(TENDER_MIN_RESPONSE_HOURS=0):
            tender = services.tender_publish(tender=tender, actor=buyer)
        if state == "cancelled":
            return services.tender_cancel(tender=tender, actor=buyer, reason=row["reason"])
        responses = {}
        for slug, offer_name, total, answer, score in row.get("responses", []):
            offer = Offer.objects.get(provider__slug=slug, name=offer_name)
            responses[slug] = (
                services.response_submit(
                    tender=tender,
                    provider=offer.provider,
                    actor=self.provider_user(slug),
                    offer=offer,
                    total_price=Decimal(total),
                    technical_answer=answer,
                ),
                score,
            )
        if state == "published":
            return tender
        # Demo history: this tender's deadline has passed. Moving it is the
        # one direct write of the seed; the closing itself is the service's.
        Tender.objects.filter(pk=tender.pk).update(
            published_at=now - timedelta(days=row["deadline_days"] + 2),
            response_deadline=now - timedelta(days=2),
        )
        tender = services.tender_close_if_due(tender=Tender.objects.get(pk=tender.pk))
        for response, score in responses.values():
            if score is not None:
                services.response_score(
                    response=response,
                    actor=buyer,
                    technical_score=Decimal(score),
                    other_score=Decimal(0),
                )
        if state in ("awarded", "contract_signed"):
            winner = TenderResponse.objects.get(pk=responses[row["award_to"]][0].pk)
            award = services.tender_award(tender=tender, actor=buyer, response=winner)
            if "complaint" in row:
                slug, text = row["complaint"]
                services.complaint_file(
                    tender=tender,
                    provider=Provider.objects.get(slug=slug),
                    actor=self.provider_user(slug),
                    text=text,
                )
            if state == "contract_signed":
                # Demo history: the award was made before a standstill that
                # has run out (the second direct write of the seed).
                over = timezone.now() - timedelta(hours=1)
                awarded_at = over - timedelta(days=settings.STANDSTILL_DAYS)
                deadline = awarded_at - timedelta(days=1)
                Award.objects.filter(pk=award.pk).update(
                    awarded_at=awarded_at, standstill_ends_at=over
                )
                Tender.objects.filter(pk=tender.pk).update(
                    published_at=deadline - timedelta(days=row["deadline_days"]),
                    response_deadline=deadline,
                    closed_at=deadline,
                    decided_at=awarded_at,
                )
                services.tender_contract_sign(tender=tender, actor=buyer)
        elif state == "unsuccessful":
            services.tender_declare_unsuccessful(tender=tender, actor=buyer, reason=row["reason"])
        return tender
