"""Price comparison: the total a need would cost with each offer, on the
offer's own terms (minimum commitment and term), ordered in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from catalog import selectors, units
from catalog.forms_public import CompareForm
from catalog.models import Offer
from catalog.views.public._common import (
    PAGE_SIZE,
    _decorate,
    _levels,
    _listed,
    render_swappable,
    wants_fragment,
)
from core.money import incl_vat
from core.web import breadcrumb, paginate

MONEY = DecimalField(max_digits=30, decimal_places=6)


@dataclass
class PricedOffer:
    offer: Offer
    total: Decimal
    total_incl_vat: Decimal
    quantity: Decimal
    months: int
    notes: list[str]


def _unit_factor(field: str) -> Case:
    """Per offer, how many normalised quantities one unit of sale is
    (catalog.units.Unit.quantity_factor), times ``field``."""
    return Case(
        *(
            When(unit=code, then=F(field) * Value(spec.quantity_factor))
            for code, spec in units.UNITS.items()
        ),
        default=F(field),
        output_field=MONEY,
    )


def _priced(offer: Offer, *, quantity: Decimal, unit: str, months: int) -> PricedOffer:
    """The total for the need, on the offer's own terms: below its minimum
    commitment or term, the buyer pays the minimum, and that is said."""
    wanted = units.quantity_in_unit(quantity=quantity, from_unit=unit, to_unit=offer.unit)
    billed, billed_months, notes = wanted, months, []
    if wanted < offer.minimum_commitment:
        billed = offer.minimum_commitment
        notes.append(
            _("Minimum commitment of %(minimum)s %(unit)s: priced at the minimum.")
            % {"minimum": floatformat(offer.minimum_commitment, "-2g"), "unit": offer.unit_label}
        )
    if months < offer.minimum_months:
        billed_months = offer.minimum_months
        notes.append(
            _("Minimum term of %(months)s months: priced for %(months)s months.")
            % {"months": offer.minimum_months}
        )
    total = units.estimated_cost(
        normalised_price=offer.normalised_price,
        quantity=billed,
        unit=offer.unit,
        months=billed_months,
    )
    return PricedOffer(
        offer=offer,
        total=total,
        total_incl_vat=incl_vat(total),
        quantity=billed,
        months=billed_months,
        notes=notes,
    )


@require_GET
def catalog_compare(request: HttpRequest) -> HttpResponse:
    described = [bool(request.GET.get(key)) for key in ("quantity", "months")]
    # Without JavaScript, a half-described need is an error to show; live
    # (htmx, on each change) the visitor is still typing it.
    if all(described) or (any(described) and not wants_fragment(request)):
        form = CompareForm(request.GET)
    else:
        # Arriving from an offer or a link with some filters only: prefill,
        # do not greet the visitor with errors.
        form = CompareForm(
            initial={
                key: request.GET.getlist(key) if key == "flags" else request.GET.get(key)
                for key in request.GET
            }
        )
    context = {
        "form": form,
        "rows": None,
        "breadcrumb_data": breadcrumb(_("Compare prices")),
        "vat_rate": settings.VAT_RATE * 100,
    }
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        unit, quantity, months = data["unit"], data["quantity"], data["months"]
        spec = units.UNITS[unit]
        wanted = quantity * spec.quantity_factor  # in normalised quantities
        matching = selectors.offers_search(_listed(request.user), form.offer_query())
        comparable = matching.filter(normalised_unit=spec.normalised)
        fits = Q(capacity__isnull=True) | Q(capacity_normalised__gte=wanted)
        # Ordered in SQL by what the buyer would pay (minimums included), so
        # that every page of a long list is in the right place.
        ranked = (
            comparable.annotate(
                capacity_normalised=_unit_factor("capacity"),
                billed_total=ExpressionWrapper(
                    F("normalised_price")
                    * Greatest(
                        Value(wanted, output_field=MONEY),
                        _unit_factor("minimum_commitment"),
                        output_field=MONEY,
                    )
                    * Greatest(Value(months), F("minimum_months"), output_field=IntegerField()),
                    output_field=MONEY,
                ),
            )
            .filter(fits)
            .order_by("billed_total", "id")
        )
        page = paginate(request, ranked, per_page=PAGE_SIZE, on_each_side=2)
        _decorate(page.object_list, _levels())
        rows = [
            _priced(offer, quantity=quantity, unit=unit, months=months)
            for offer in page.object_list
        ]
        too_big = list(
            comparable.annotate(capacity_normalised=_unit_factor("capacity"))
            .exclude(fits)
            .order_by("name", "id")[:50]
        )
        _decorate(too_big, _levels())
        other_units = (
            matching.exclude(normalised_unit=spec.normalised)
            .order_by()
            .values_list("normalised_unit")
            .annotate(n=Count("id"))
            .values_list("normalised_unit", "n")
        )
        context.update(
            rows=rows,
            page=page,
            unit_label=spec.label,
            quantity=quantity,
            months=months,
            too_big=too_big,
            other_units=sorted(
                (units.NORMALISED_LABELS.get(code, code), n) for code, n in other_units
            ),
        )
    return render_swappable(
        request, "catalog/public/compare.html", "catalog/public/_compare_area.html", context
    )
