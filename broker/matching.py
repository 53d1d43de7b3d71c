"""The matching engine: one set-based query over the stored assessments,
scored and ranked in the same statement.

Selection: published offers of active providers whose assessment
reaches the required level (raised for State bodies' health data) and
carries the required flags, in the tender's category, with every data
location inside the tender's constraint, in a unit of the same measure,
and able to serve the quantity (minimum commitment, capacity) for the
contract's duration (minimum term).

Scoring: estimated total cost = normalised price × quantity × months;
offers over the budget are left out; rank by cost (then SLA, then id for a
stable order); score = 100 × cheapest cost ÷ cost.

The specification is a Python reference, ``tests/broker/oracle.py``, that
``tests/broker/test_matching_sql.py`` holds this SQL equal to.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from catalog import policy, units
from catalog.models import Offer, OfferAssessment, OfferStatus, ProviderStatus
from core.dates import add_months
from tenders import selectors as tender_selectors
from tenders.models import Tender

if TYPE_CHECKING:
    from tenders.eligibility import Need

# What the shortlist reads of each candidate, in this order.
CANDIDATE_COLUMNS = (
    "pk",
    "provider_id",
    "normalised_price",
    "unit",
    "sla_pct",
    "minimum_commitment",
    "capacity",
    "assessment__level",
    "assessment__flags",
    "data_countries",
)


def candidate_offers(tender: Tender, need: Need) -> QuerySet[Offer]:
    """The offers that may serve ``tender``, before the quantity test (made
    per unit in the scoring statement)."""
    compatible_units = [code for code in units.UNITS if units.units_compatible(code, tender.unit)]
    qs = Offer.objects.filter(
        status=OfferStatus.PUBLISHED,
        provider__status=ProviderStatus.ACTIVE,
        category=tender.category,
        unit__in=compatible_units,
        minimum_months__lte=tender.duration_months,
        assessment__level_rank__gte=need.level_rank,
    )
    if need.flags:
        qs = qs.filter(assessment__flags__contains=list(need.flags))
    if tender.location_constraint:
        allowed = (
            sorted(policy.EU)
            if tender.location_constraint == "EU"
            else [tender.location_constraint]
        )
        qs = qs.filter(data_countries__contained_by=allowed).exclude(data_countries=[])
    # No ORDER BY: the scoring ranks fully (cost, SLA, id); the model's
    # default ordering by name cost ~20 % of a whole-category query at 100k
    # offers.
    return qs.order_by()


def contract_end(tender: Tender) -> date:
    """The earliest the contract can end: the response deadline (in Paris,
    where the contract is signed) plus its duration, the day clamped to the
    end of a shorter month (31 January + 1 month = 28 or 29 February)."""
    return add_months(timezone.localdate(tender.response_deadline), tender.duration_months)


def _cost_multiplier(tender: Tender, offer_unit: str) -> Decimal:
    """The estimated cost for one offer unit as one exact Decimal multiplier
    of the normalised price: quantity (in the offer's unit) × unit quantity
    factor × months."""
    return (
        units.quantity_in_unit(quantity=tender.quantity, from_unit=tender.unit, to_unit=offer_unit)
        * units.UNITS[offer_unit].quantity_factor
        * tender.duration_months
    )


# One SELECT over the candidate query giving the rows the Python reference
# (tests/broker/oracle.py: score() over candidates()) gives — same ranks,
# scores, costs, reasons and warnings — so that a whole-category shortlist
# (~10k rows at 100k offers) is computed and stored without a row crossing
# into Python. The reference stays the specification;
# tests/broker/test_matching_sql.py holds them equal.
#
# - cost: PostgreSQL's round(numeric, 2) rounds half away from zero, as
#   ROUND_HALF_UP does; numeric products are exact, as the Decimal ones are
#   at these magnitudes.
# - score: Decimal.quantize rounds half to even, round() would not, so the
#   score is computed in integers: 100 × cheapest ÷ cost in thousandths is
#   n ÷ b with n = 100,000 × cheapest cents and b = cost cents, whose
#   remainder decides the rounding.
# - sorted() of flags and countries compares code points: COLLATE "C";
#   each distinct array is sorted once (a whole category has thousands of
#   rows but a few dozen distinct arrays: sorting per row was ~40 % of the
#   statement at 100k). Both columns are NOT NULL, so the joins keep every
#   row.
# - warnings: the relied certificates needed for the tender (the reference's
#   relied_for), each id once at its first position, then those expiring
#   before the contract's end (ISO dates compared as strings, as in Python).
_SHORTLIST_SQL = """
WITH u(unit, quantity, multiplier) AS (
    SELECT * FROM unnest(%s::text[], %s::numeric[], %s::numeric[])
), c AS (
    SELECT o.id, o.provider_id, o.price, o.sla, o.level, o.flags, o.countries,
           round(o.price * u.multiplier, 2) AS cost
    FROM ({candidates}) AS o(id, provider_id, price, unit, sla, minimum, capacity, level, flags, countries)
    JOIN u ON u.unit = o.unit
    WHERE o.minimum <= u.quantity AND (o.capacity IS NULL OR o.capacity >= u.quantity)
), r AS (
    SELECT c.*, row_number() OVER (ORDER BY cost, coalesce(sla, 0) DESC, id) AS rank,
           100000 * 100 * min(cost) OVER () AS n, 100 * cost AS b
    FROM c WHERE cost <= %s
), sorted_flags AS MATERIALIZED (
    SELECT d.flags, (SELECT coalesce(jsonb_agg(f ORDER BY f COLLATE "C"), '[]') FROM unnest(d.flags) f) AS json
    FROM (SELECT DISTINCT flags FROM r) AS d
), sorted_countries AS MATERIALIZED (
    SELECT d.countries, (SELECT coalesce(jsonb_agg(x ORDER BY x COLLATE "C"), '[]') FROM unnest(d.countries) x) AS json
    FROM (SELECT DISTINCT countries FROM r) AS d
)
SELECT r.id AS offer_id, r.provider_id, r.rank,
       CASE WHEN r.cost = 0 THEN 100 ELSE
           (div(r.n, r.b) + CASE WHEN 2 * mod(r.n, r.b) > r.b THEN 1
                                 WHEN 2 * mod(r.n, r.b) = r.b THEN mod(div(r.n, r.b), 2)
                                 ELSE 0 END) / 1000
       END::numeric(7, 3) AS score,
       r.cost AS estimated_cost,
       jsonb_build_array(
           jsonb_build_object('rule', 'level', 'facts', jsonb_build_object('required', %s::text, 'granted', r.level)),
           jsonb_build_object('rule', 'flags', 'facts', jsonb_build_object(
               'required', %s::jsonb,
               'granted', sf.json)),
           jsonb_build_object('rule', 'location', 'facts', jsonb_build_object(
               'constraint', %s::text, 'countries', sc.json)),
           jsonb_build_object('rule', 'cost', 'facts', jsonb_build_object(
               'estimated_cost', r.cost::text, 'budget', %s::text, 'normalised_price', r.price::text,
               'quantity', %s::text, 'months', %s::int))
       ) AS reasons,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'rule', 'certificate_expires_before_contract_end',
                   'facts', jsonb_build_object('scheme', w.cert -> 'scheme', 'reference', w.cert -> 'reference',
                                               'expires_on', w.cert -> 'expires_on', 'contract_end', %s::text))
               ORDER BY w.n), '[]')
        FROM (SELECT DISTINCT ON (e.cert -> 'id') e.cert, e.n
              FROM jsonb_array_elements(CASE WHEN jsonb_typeof(a.relied) = 'array' THEN a.relied END)
                   WITH ORDINALITY AS e(cert, n)
              WHERE coalesce(e.cert ->> 'for', '') = ANY(%s::text[])
                 OR (coalesce(e.cert ->> 'for', '') ~ '^N[0-9]+$' AND substr(e.cert ->> 'for', 2)::numeric <= %s)
              ORDER BY e.cert -> 'id', e.n) AS w
        WHERE coalesce(w.cert ->> 'expires_on', '') <> ''
          AND (w.cert ->> 'expires_on') COLLATE "C" < %s::text COLLATE "C") AS warnings
FROM r JOIN sorted_flags sf ON sf.flags = r.flags JOIN sorted_countries sc ON sc.countries = r.countries
     LEFT JOIN LATERAL (SELECT a.relied_certificates AS relied FROM {assessment} a WHERE a.offer_id = r.id) AS a ON true
"""


def shortlist_select(tender: Tender, need: Need | None = None) -> tuple[str, list[Any]]:
    """A tender's shortlist as one SELECT (SQL and parameters, for Django's
    cursor) of ``offer_id``, ``provider_id``,
    ``rank``, ``score``, ``estimated_cost``, ``reasons``, ``warnings``:
    what ``tenders.services.shortlist_replace`` stores."""
    need = need or tender_selectors.need_of(tender)
    end = contract_end(tender).isoformat()
    # The relied certificates are read for the shortlisted offers only, so
    # that the selection itself is answered from the two tables' covering
    # indexes.
    candidate_sql, candidate_params = (
        candidate_offers(tender, need).values_list(*CANDIDATE_COLUMNS).query.sql_with_params()
    )
    unit_codes = [code for code in units.UNITS if units.units_compatible(code, tender.unit)]
    params = [
        unit_codes,
        [
            units.quantity_in_unit(quantity=tender.quantity, from_unit=tender.unit, to_unit=code)
            for code in unit_codes
        ],
        [_cost_multiplier(tender, code) for code in unit_codes],
        *candidate_params,
        tender.estimated_value,
        need.level,
        json.dumps(sorted(tender.flags)),
        tender.location_constraint,
        str(tender.estimated_value),
        str(tender.quantity),
        tender.duration_months,
        end,
        list(need.flags),
        need.level_rank,
        end,
    ]
    return _SHORTLIST_SQL.format(
        candidates=candidate_sql, assessment=OfferAssessment._meta.db_table
    ), params
