"""The catalogue search as plain data. ``OfferQuery`` is what a visitor, an
API client or a saved search asks for; ``offer_query_parse`` reads it from
text (a query string, a saved search) with the API's own messages;
``offers_search`` applies it. The HTML forms (catalog.forms_public) build
the same ``OfferQuery`` from their cleaned data."""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal, DecimalException
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries as iso_countries

from catalog import policy
from catalog.errors import CatalogError
from catalog.models import (
    Certification,
    CertificationStatus,
    DataFlag,
    Offer,
    OfferStatus,
    SensitivityLevel,
    ServiceCategory,
)

SEARCH_CONFIG = "french"

# Orderings of a result list, by name (``?ordering=``): each ends with the
# id, so that a cursor page never skips or repeats an offer.
ORDERINGS = {
    "price": ("normalised_price", "id"),
    "-price": ("-normalised_price", "-id"),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "id": ("id",),
    "-id": ("-id",),
}
PRICE_DIGITS, PRICE_PLACES = 16, 6  # a normalised price (Offer.normalised_price: 18, 6)
MAX_TEXT_LENGTH = 1000  # longer is refused before parsing (as the API did)
Q_MAX_LENGTH = 200


def fold(text: str) -> str:
    """Lower-case and strip accents. pgserver ships no `unaccent`, so the
    search document and the query are folded the same way in Python."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    if decomposed.isascii():  # nothing to strip
        return decomposed.lower()
    return "".join(itertools.filterfalse(unicodedata.combining, decomposed)).lower()


@dataclass(frozen=True)
class OfferQuery:
    """A catalogue search, validated: codes as the catalogue knows them,
    prices as Decimals, None (or no flags) for what was not asked."""

    level: str | None = None
    flags: tuple[str, ...] = ()
    category: str | None = None
    location: str | None = None  # a country code or "EU"
    certification: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    q: str | None = None
    ordering: str | None = None  # a key of ORDERINGS
    status: str | None = None

    def filters(self) -> dict[str, Any]:
        """The keyword arguments of ``offers_filter``."""
        return {
            key: value for key, value in asdict(self).items() if key not in ("ordering", "status")
        }

    def given(self) -> dict[str, Any]:
        """What was asked, field by field (flags as a list)."""
        asked = {key: value for key, value in asdict(self).items() if value not in (None, ())}
        if "flags" in asked:
            asked["flags"] = list(asked["flags"])
        return asked

    @property
    def order_key(self) -> str:
        """The ordering asked, else the lowest price first; a text search
        without one lists the newest first."""
        return self.ordering or ("price" if not self.q else "-id")


class _Refused(Exception):
    def __init__(self, message: str):
        self.message = message


# The parsers give the messages the API always gave (they were Django REST
# framework's, and its French translations still apply to them).


def _text(value: Any, *, max_length: int | None = None) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Refused(_("Not a valid string."))
    text = str(value).strip()
    if not text:
        raise _Refused(_("This field may not be blank."))
    if max_length is not None and len(text) > max_length:
        raise _Refused(
            _("Ensure this field has no more than {max_length} characters.").format(
                max_length=max_length
            )
        )
    return text


def _choice(value: Any, choices: Iterable[str]) -> str:
    if str(value) not in choices:
        raise _Refused(_('"{input}" is not a valid choice.').format(input=value))
    return str(value)


def _price(value: Any) -> Decimal:
    """A non-negative price of at most 16 digits, 6 after the point."""
    text = str(value).strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise _Refused(_("String value too large."))
    try:
        number = Decimal(text)
    except DecimalException:
        raise _Refused(_("A valid number is required.")) from None
    if not number.is_finite():
        raise _Refused(_("A valid number is required."))
    _sign, figures, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite
    if exponent >= 0:
        total, whole, places = len(figures) + exponent, len(figures) + exponent, 0
    elif len(figures) > -exponent:
        total, whole, places = len(figures), len(figures) + exponent, -exponent
    else:
        total, whole, places = -exponent, 0, -exponent
    if total > PRICE_DIGITS:
        raise _Refused(
            _("Ensure that there are no more than {max_digits} digits in total.").format(
                max_digits=PRICE_DIGITS
            )
        )
    if places > PRICE_PLACES:
        raise _Refused(
            _("Ensure that there are no more than {max_decimal_places} decimal places.").format(
                max_decimal_places=PRICE_PLACES
            )
        )
    if whole > PRICE_DIGITS - PRICE_PLACES:
        raise _Refused(
            _(
                "Ensure that there are no more than {max_whole_digits} digits before the "
                "decimal point."
            ).format(max_whole_digits=PRICE_DIGITS - PRICE_PLACES)
        )
    number = number.quantize(Decimal(1).scaleb(-PRICE_PLACES))
    if number < 0:
        raise _Refused(
            _("Ensure this value is greater than or equal to {min_value}.").format(min_value=0)
        )
    return number


def offer_level_check(code: str) -> None:
    """Raise the field error of an unknown level. The API's list looks the
    level up only when its page is empty (an unknown level matches no
    offer): one query fewer on every other page."""
    if not SensitivityLevel.objects.filter(code=code).exists():
        codes = ", ".join(SensitivityLevel.objects.values_list("code", flat=True))
        raise _invalid_query({"level": [f"Unknown level; use one of {codes}."]})


def _level(value: Any, *, check: bool) -> str:
    code = _text(value)
    if check:
        try:
            offer_level_check(code)
        except CatalogError as error:
            raise _Refused((error.fields or {})["level"][0]) from None
    return code


def _flags(value: Any) -> tuple[str, ...]:
    flags = [f.strip().upper() for f in _text(value).split(",") if f.strip()]
    known = set(DataFlag.objects.values_list("code", flat=True))
    unknown = [f for f in flags if f not in known]
    if unknown:
        raise _Refused(f"Unknown flags {unknown}; use {', '.join(sorted(known))}.")
    return tuple(flags)


def _location(value: Any) -> str:
    code = _text(value).upper()
    if code != "EU" and code not in iso_countries:
        raise _Refused("Use an ISO 3166-1 alpha-2 country code or EU.")
    return code


def _invalid_query(fields: dict[str, list[str]]) -> CatalogError:
    return CatalogError("Invalid input.", fields=fields)


def offer_query_parse(data: Mapping[str, Any], *, check_level: bool = True) -> OfferQuery:
    """Read a search from text values (a query string, a saved search; a
    number may come as a number): an absent or empty value is not asked.
    Raises a CatalogError with a message per refused field, every field
    checked; ``check_level`` False leaves an unknown level to
    ``offer_level_check`` (see there)."""
    parsers: dict[str, Callable[[Any], Any]] = {
        "level": lambda value: _level(value, check=check_level),
        "flags": _flags,
        "category": lambda value: _choice(value, ServiceCategory.values),
        "location": _location,
        "certification": _text,
        "min_price": _price,
        "max_price": _price,
        "q": lambda value: _text(value, max_length=Q_MAX_LENGTH),
        "ordering": lambda value: _choice(value, ORDERINGS),
        "status": lambda value: _choice(value, OfferStatus.values),
    }
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, parse in parsers.items():
        raw = data.get(name)
        if raw is None or raw == "":
            continue
        try:
            values[name] = parse(raw)
        except _Refused as refused:
            errors[name] = [refused.message]
    low, high = values.get("min_price"), values.get("max_price")
    if not errors and low is not None and high is not None and low > high:
        errors["max_price"] = ["Must not be below min_price."]
    if errors:
        raise _invalid_query(errors)
    return OfferQuery(**values)


def offers_filter(
    qs: QuerySet[Offer],
    *,
    level: str | None = None,
    flags: Iterable[str] = (),
    category: str | None = None,
    location: str | None = None,
    certification: str | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    q: str | None = None,
) -> QuerySet[Offer]:
    """The catalogue filters (an ``OfferQuery``'s ``filters()``), already
    validated."""
    if level:
        rank = SensitivityLevel.objects.filter(code=level).values("rank")[:1]
        qs = qs.filter(assessment__level_rank__gte=Subquery(rank))
    flags = [flag for flag in flags if flag]
    if flags:
        qs = qs.filter(assessment__flags__contains=flags)
    if category:
        qs = qs.filter(category=category)
    if location:
        countries = sorted(policy.EU) if location == "EU" else [location]
        qs = qs.filter(data_countries__contained_by=countries).exclude(data_countries=[])
    if certification:
        today = timezone.localdate()
        qs = qs.filter(
            Exists(
                Certification.objects.filter(
                    scope_offers=OuterRef("pk"),
                    scheme__code=certification,
                    status=CertificationStatus.VALID,
                    verification=Certification.Verification.VERIFIED,
                ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
            )
        )
    if min_price is not None:
        qs = qs.filter(normalised_price__gte=min_price)
    if max_price is not None:
        qs = qs.filter(normalised_price__lte=max_price)
    if q:
        query = SearchQuery(fold(q), config=SEARCH_CONFIG, search_type="websearch")
        qs = qs.filter(search_document=query).annotate(
            search_rank=SearchRank(F("search_document"), query)
        )
    return qs


def offers_search(qs: QuerySet[Offer], query: OfferQuery) -> QuerySet[Offer]:
    """``qs`` narrowed to what ``query`` asks (ordering aside: a list
    orders by ``ORDERINGS[query.order_key]``, a page by relevance)."""
    qs = offers_filter(qs, **query.filters())
    if query.status:
        qs = qs.filter(status=query.status)
    return qs
