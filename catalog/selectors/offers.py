"""The offers a user may see or edit, shaped for their pages, and the
offer ids a change-feed page stands for (the feed itself: core.feed)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from catalog.models import Certification, Offer, OfferStatus, ProviderStatus
from catalog.selectors.providers import is_operator, provider_of
from core import feed

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser


def _offer_shape(qs: QuerySet[Offer]) -> QuerySet[Offer]:
    return qs.select_related("provider", "assessment").prefetch_related(
        "subcontractors",
        Prefetch(
            "certifications",
            queryset=Certification.objects.select_related("scheme").only(
                "id",
                "scheme__code",
                "scheme__name",
                "scheme_version",
                "reference",
                "status",
                "verification",
                "issued_on",
                "expires_on",
                "provider_id",
            ),
        ),
    )


def offers_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Offer]:
    """Published offers of active providers for everyone; a provider's members
    also see their own drafts and withdrawn offers; operators see all."""
    qs = _offer_shape(Offer.objects.all())
    if is_operator(user):
        return qs
    public = Q(status=OfferStatus.PUBLISHED, provider__status=ProviderStatus.ACTIVE)
    own = provider_of(user)
    if own:
        public |= Q(provider_id=own.pk)
    return qs.filter(public)


def offers_editable_by(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Offer]:
    own = provider_of(user)
    if own is None:
        return Offer.objects.none()
    return _offer_shape(Offer.objects.filter(provider_id=own.pk))


def offers_by_provider(offer_ids: Iterable[int]) -> list[int]:
    """These offer ids, each once, by provider then id; ids of no offer last."""
    ids = sorted(set(offer_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Offer._meta.db_table} WHERE id = ANY(%s) ORDER BY provider_id, id",  # noqa: S608
            [ids],
        )
        found = [pk for (pk,) in cursor.fetchall()]
    missing = set(ids).difference(found)
    return found + [pk for pk in ids if pk in missing]


def offers_depending_on(offer_ids: Iterable[int]) -> list[int]:
    """Offers that use one of these offers as a subcontractor."""
    return list(
        Offer.objects.filter(subcontractors__catalog_offer_id__in=list(offer_ids))
        .values_list("pk", flat=True)
        .distinct()
    )


# --------------------------------------------------------------------------
# Change feed (see core.feed)

# One feed for every app (core.feed); re-exported for the catalogue's readers.
FEED_MAX_LIMIT = feed.FEED_MAX_LIMIT
FeedEvent = feed.FeedEvent
FeedPage = feed.FeedPage
feed_cursor_encode = feed.cursor_encode
feed_cursor_decode = feed.cursor_decode
changes_since = feed.changes_since


def offer_ids_of_changes(events: list[FeedEvent]) -> list[int]:
    """Offer ids in the order of their last change in the page; a provider's
    change stands for each of its offers."""
    provider_ids = [e.entity_id for e in events if e.entity == "provider"]
    offers_of: dict[int, list[int]] = {}
    if provider_ids:
        for offer_id, provider_id in Offer.objects.filter(provider_id__in=provider_ids).values_list(
            "pk", "provider_id"
        ):
            offers_of.setdefault(provider_id, []).append(offer_id)
    ordered: dict[int, None] = {}
    for event in events:
        ids = (
            offers_of.get(event.entity_id, []) if event.entity == "provider" else [event.entity_id]
        )
        for offer_id in ids:
            ordered.pop(offer_id, None)
            ordered[offer_id] = None
    return list(ordered)
