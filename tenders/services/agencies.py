"""Agencies (the public bodies that buy) and their members."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.models import BuyerCategory, MemberRole, ProviderMembership
from catalog.services import siret_valid
from tenders.models import Agency, AgencyMembership
from tenders.services._common import TenderError, _invalid

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def agency_create(
    *, name: str, siret: str, buyer_category: str, slug: str = "", admin: User | None = None
) -> Agency:
    name = (name or "").strip()
    if not name:
        raise _invalid("name", _("A name is required."))
    siret = (siret or "").replace(" ", "")
    if not siret_valid(siret):
        raise _invalid("siret", _("A SIRET is 14 digits with a valid check digit."))
    category = BuyerCategory.objects.filter(code=buyer_category).first()
    if category is None:
        raise _invalid("buyer_category", _("Unknown buyer category."))
    if Agency.objects.filter(siret=siret).exists():
        raise _invalid("siret", _("An agency with this SIRET is already registered."))
    agency = Agency.objects.create(
        name=name, siret=siret, buyer_category=category, slug=slug or slugify(name)[:80]
    )
    if admin is not None:
        agency_member_add(agency=agency, user=admin, role=MemberRole.ADMIN)
    return agency


def agency_member_add(
    *, agency: Agency, user: User, role: str = MemberRole.MEMBER
) -> AgencyMembership:
    if role not in MemberRole.values:
        raise _invalid("role", _("Use one of %(names)s.") % {"names": ", ".join(MemberRole.values)})
    # Asked of the database, not of the user instance (its cached relations
    # may predate a membership added elsewhere).
    if ProviderMembership.objects.filter(user_id=user.pk).exists():
        raise TenderError(
            _("A user acts for one organisation: this user is a provider member."),
            code="conflict",
            http_status=409,
        )
    if AgencyMembership.objects.filter(user_id=user.pk).exists():
        raise TenderError(
            _("A user acts for one organisation: this user already belongs to an agency."),
            code="conflict",
            http_status=409,
        )
    return AgencyMembership.objects.create(agency=agency, user=user, role=role)
