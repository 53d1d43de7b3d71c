"""The offers of a scale load (search documents assembled, assessments
joined), then the agencies, tenders, responses and awards."""

# SQL here is assembled from this package's own constants, never from input.
# ruff: noqa: S608

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

from bench.scale.data import (
    ADJECTIVES,
    CATEGORIES,
    CITIES,
    DESCRIPTION_WORDS,
    LOCATION_PROFILES,
    OFFER_COLUMNS,
    POOL,
    REFERENCE_PREFIX,
    SLUG_PREFIX,
    TENDER_STATUSES,
)
from bench.scale.providers import ProviderLoader, luhn_complete
from bench.scale.sql import copy_lines, copy_rows, copy_text, lexeme_text, reserve_ids
from catalog import selectors, units
from tenders.services import procedure_for


class Loader(ProviderLoader):
    """A whole scale marketplace, in the load's one transaction."""

    def offers(self, n: int, providers: list[dict]) -> dict[str, list[int]]:
        """COPY the offers (search document included), then their
        assessments and certificate scopes; return the published offer ids
        by category.

        Rows are assembled from pre-rendered fragments (prices, terms,
        locations, names, descriptions and their search lexemes): the
        per-offer work is a few random picks and one string. Each distinct
        assessment is COPYed once, and the offers' rows are made by one
        INSERT ... SELECT joining them, so the server parses and compresses
        each ~5 kB check list once, not once per offer."""
        t = time.perf_counter()
        rng, cursor = self.rng, self.cursor
        now = self.now.isoformat()
        ids = reserve_ids(cursor, "catalog_offer", n)
        categories = list(CATEGORIES)
        pool_size = min(POOL, max(n, 1))

        prices: list[list[str]] = []
        names: list[list[tuple[str, str]]] = []
        for category in categories:
            cpv, unit_codes, (low, high), nouns = CATEGORIES[category]
            pool = []
            for _ in range(pool_size):
                unit = unit_codes[rng.randrange(len(unit_codes))]
                normalised = Decimal(str(round(rng.uniform(low, high), 4)))
                unit_price = (normalised * units.UNITS[unit].factor).quantize(Decimal("0.0001"))
                normalised_unit, normalised_price = units.normalise_price(unit, unit_price)
                pool.append(
                    "\t".join(
                        copy_text(v)
                        for v in (
                            category,
                            cpv,
                            unit,
                            unit_price,
                            False,
                            normalised_unit,
                            normalised_price,
                        )
                    )
                )
            prices.append(pool)
            names.append(
                [
                    (copy_text(f"{noun} {adj}"), selectors.fold(f"{noun} {adj}"))
                    for noun in nouns
                    for adj in ADJECTIVES
                ]
            )
        terms = []
        for _ in range(pool_size):
            minimum = Decimal(rng.choice([0, 0, 0, 1, 10, 100]))
            capacity = (
                None if rng.random() < 0.7 else minimum + Decimal(rng.choice([1000, 10000, 100000]))
            )
            months = rng.choice([0, 0, 1, 12])
            sla = Decimal(rng.choice(["99.5", "99.9", "99.95", "99.99"]))
            terms.append("\t".join(copy_text(v) for v in (minimum, months, capacity, sla)))
        descriptions = []
        for _ in range(pool_size):
            text = " ".join(rng.sample(DESCRIPTION_WORDS, 8)) + f" ({rng.choice(CITIES)})."
            descriptions.append((copy_text(text), selectors.fold(text)))
        place = {}
        for location, spec in LOCATION_PROFILES.items():
            data_countries = sorted({c for countries in spec["where"][:4] for c in countries})
            for dr in (False, True):
                place[location, dr] = "\t".join(
                    copy_text(v) for v in (*spec["where"], spec["documented"], data_countries, dr)
                )

        # Search lexemes of every fragment, from PostgreSQL itself. A name is
        # "<noun> <adjective> <id>": the id is a lexeme of its own, at the
        # position the stand-in "1" takes.
        flat_names = [folded for pool in names for _text_name, folded in pool]
        lexemes = self._lexemes(
            [f"{folded} 1" for folded in flat_names]
            + [selectors.fold(p["name"]) for p in providers]
            + [folded for _text_desc, folded in descriptions]
        )
        name_lexemes = lexemes[: len(flat_names)]
        provider_lexemes = lexemes[len(flat_names) : len(flat_names) + len(providers)]
        description_lexemes = lexemes[len(flat_names) + len(providers) :]
        name_search = []  # per category, per name: (lexemes text, id position)
        for c, pool in enumerate(names):
            rendered = []
            for j in range(len(pool)):
                entries = name_lexemes[c * len(pool) + j]
                id_position = next(pos[0] for lex, pos in entries if lex == "1")
                rendered.append(
                    (lexeme_text([e for e in entries if e[0] != "1"], 0, "A"), id_position)
                )
            name_search.append(rendered)
        for p, entries in zip(providers, provider_lexemes, strict=True):
            p["lexemes"] = entries
            p["max_position"] = max((max(pos) for _lex, pos in entries), default=0)
            p["search"] = {}
            p["results"] = {}
            p["template_key"] = self._provider_template_key(p)
        description_search: dict[tuple[int, int], str] = {}

        published: dict[str, list[int]] = {c: [] for c in categories}
        offer_provider = self.offer_provider
        offer_results: list[str] = []
        result_lines: list[str] = []
        random_ = rng.random
        n_providers = len(providers)
        n_categories = len(categories)
        n_names = len(names[0])

        def lines() -> Iterator[str]:
            for pk in ids:
                provider = providers[int(random_() * n_providers)]
                c = int(random_() * n_categories)
                category = categories[c]
                locations = provider["locations"]
                location = locations[0] if random_() < 0.7 else locations[-1]
                dr = location == "fr" and random_() < 0.3
                result_key = (location, dr, c)
                result = provider["results"].get(result_key)
                if result is None:
                    template = self._template(provider, location, dr, category)
                    result = self.result_of.get((provider["id"], template))
                    if result is None:
                        result = self.result_of[provider["id"], template] = len(result_lines)
                        result_lines.append(self._result_line(result, provider, template))
                    provider["results"][result_key] = result
                offer_results.append(f"{pk}\t{result}")
                roll = random_()
                status = "published" if roll < 0.9 else ("draft" if roll < 0.97 else "withdrawn")
                if status == "published" and provider["status"] == "active":
                    published[category].append(pk)
                    offer_provider[pk] = provider["id"]
                j = int(random_() * n_names)
                name = names[c][j][0]
                name_lexemes_text, id_position = name_search[c][j]
                provider_text = provider["search"].get(id_position)
                if provider_text is None:
                    provider_text = provider["search"][id_position] = lexeme_text(
                        provider["lexemes"], id_position, "B"
                    )
                d = int(random_() * pool_size)
                shift = id_position + provider["max_position"]
                description_text = description_search.get((d, shift))
                if description_text is None:
                    description_text = description_search[d, shift] = lexeme_text(
                        description_lexemes[d], shift, "C"
                    )
                yield (
                    f"{pk}\t{provider['id']}\t{name} {pk}\t{descriptions[d][0]}\t"
                    f"{prices[c][int(random_() * pool_size)]}\t{terms[int(random_() * pool_size)]}\t"
                    f"{place[location, dr]}\t{status}\t{now}\t{now}\t"
                    f"{name_lexemes_text} '{pk}':{id_position}A {provider_text} {description_text}"
                )

        copy_lines(cursor, "catalog_offer", [*OFFER_COLUMNS, "search_document"], lines())
        self._timed("offers", t)
        t = time.perf_counter()
        cursor.execute("""
            CREATE TEMPORARY TABLE scale_result (
                idx int, level varchar(2), level_rank smallint, flags varchar(20)[],
                checks jsonb, relied jsonb, digest varchar(64)
            ) ON COMMIT DROP
        """)
        cursor.execute(
            "CREATE TEMPORARY TABLE scale_offer_result (offer_id bigint, idx int) ON COMMIT DROP"
        )
        copy_lines(
            cursor,
            "scale_result",
            ["idx", "level", "level_rank", "flags", "checks", "relied", "digest"],
            result_lines,
        )
        copy_lines(cursor, "scale_offer_result", ["offer_id", "idx"], offer_results)
        cursor.execute("ANALYZE scale_result")
        cursor.execute("ANALYZE scale_offer_result")
        cursor.execute(
            """INSERT INTO catalog_offerassessment (offer_id, level, level_rank, flags, checks,
                   relied_certificates, policy_version, inputs_digest, assessed_at)
               SELECT o.offer_id, r.level, r.level_rank, r.flags, r.checks, r.relied, %s, r.digest, %s
               FROM scale_offer_result o JOIN scale_result r ON r.idx = o.idx
               ORDER BY o.offer_id""",
            [self.policy.version, self.now],
        )
        cursor.execute("DROP TABLE scale_offer_result, scale_result")
        self.distinct_results = len(result_lines)
        self._timed("assessments", t)
        t = time.perf_counter()
        # Every certificate of the provider covers every one of its offers.
        cursor.execute(
            """INSERT INTO catalog_certification_scope_offers (certification_id, offer_id)
               SELECT c.id, o.id FROM catalog_offer o
               JOIN catalog_certification c ON c.provider_id = o.provider_id
               WHERE o.id BETWEEN %s AND %s ORDER BY o.id, c.id""",
            [ids.start, ids.stop - 1] if ids else [0, -1],
        )
        self._timed("certificate_scopes", t)
        return published

    def tenders(self, n: int, published: dict[str, list[int]]) -> None:
        t = time.perf_counter()
        rng, cursor, now = self.rng, self.cursor, self.now
        buyers = [pk for (pk,) in self._rows("SELECT id FROM catalog_buyercategory ORDER BY code")]
        n_agencies = max(5, n // 200)
        agency_ids = reserve_ids(cursor, "tenders_agency", n_agencies)
        copy_rows(
            cursor,
            "tenders_agency",
            ["id", "name", "slug", "siret", "buyer_category_id", "created_at"],
            (
                (
                    pk,
                    f"Administration {rng.choice(CITIES)} {pk}",
                    f"{SLUG_PREFIX}agency-{pk}",
                    luhn_complete(f"{pk % 10**13:013d}"),
                    rng.choice(buyers),
                    now,
                )
                for pk in agency_ids
            ),
        )
        offer_provider = self.offer_provider
        tender_ids = reserve_ids(cursor, "tenders_tender", n)
        statuses = [s for s, _w in TENDER_STATUSES]
        weights = [w for _s, w in TENDER_STATUSES]
        awarded = []
        rows = []
        for pk in tender_ids:
            category = rng.choice(list(CATEGORIES))
            cpv, unit_codes, (low, high), nouns = CATEGORIES[category]
            unit = rng.choice(unit_codes)
            status = rng.choices(statuses, weights=weights)[0]
            level = rng.choices(["N0", "N1", "N2", "N3"], weights=[10, 50, 30, 10])[0]
            flags = rng.choices([[], ["PERSONAL_DATA"], ["HEALTH"]], weights=[70, 20, 10])[0]
            location = rng.choices(["", "EU", "FR"], weights=[40, 40, 20])[0]
            quantity = Decimal(rng.choice([10, 50, 100, 500, 1000]))
            months = rng.choice([12, 24, 36, 48])
            typical = Decimal(str((low + high) / 2)) * units.UNITS[unit].quantity_factor
            value = (
                typical * quantity * months * Decimal(rng.choice(["0.8", "1.5", "3"]))
            ).quantize(Decimal("0.01"))
            value = max(value, Decimal("1000.00"))
            published_at = None if status == "draft" else now - timedelta(days=rng.randint(1, 400))
            deadline = (
                now + timedelta(days=rng.randint(5, 60))
                if status in ("published", "draft")
                else (published_at or now) + timedelta(days=30)
            )
            closed_at = deadline if status in ("closed", "awarded", "unsuccessful") else None
            decided_at = (
                deadline + timedelta(days=20) if status in ("awarded", "unsuccessful") else None
            )
            if status == "awarded" and published[category]:
                awarded.append((pk, rng.choice(published[category]), value, decided_at))
            elif status == "awarded":
                status, decided_at = "unsuccessful", deadline + timedelta(days=20)
            rows.append(
                (
                    pk,
                    rng.choice(agency_ids),
                    f"{REFERENCE_PREFIX}{pk:08d}",
                    f"{nouns[rng.randrange(3)]} pour {rng.choice(CITIES)}",
                    "Besoin de la collectivité.",
                    category,
                    cpv,
                    level,
                    flags,
                    location,
                    quantity,
                    unit,
                    months,
                    value,
                    procedure_for(value),
                    deadline,
                    60,
                    40,
                    0,
                    status,
                    "" if status not in ("cancelled", "unsuccessful") else "Besoin abandonné.",
                    published_at,
                    closed_at,
                    decided_at,
                    "",
                    None,
                    None,
                    None,
                    "",
                    now,
                    now,
                )
            )
        copy_rows(
            cursor,
            "tenders_tender",
            [
                "id",
                "agency_id",
                "reference",
                "title",
                "description",
                "category",
                "cpv_code",
                "level",
                "flags",
                "location_constraint",
                "quantity",
                "unit",
                "duration_months",
                "estimated_value",
                "procedure",
                "response_deadline",
                "weight_price",
                "weight_technical",
                "weight_other",
                "status",
                "status_reason",
                "published_at",
                "closed_at",
                "decided_at",
                "matching_state",
                "matching_queued_at",
                "matching_started_at",
                "matching_finished_at",
                "matching_error",
                "created_at",
                "updated_at",
            ],
            rows,
        )
        response_ids = reserve_ids(cursor, "tenders_tenderresponse", len(awarded))
        responses = []
        for response_id, (tender_id, offer_id, value, decided_at) in zip(
            response_ids, awarded, strict=True
        ):
            price = (value * Decimal("0.8")).quantize(Decimal("0.01"))
            receipt = hashlib.sha256(f"{tender_id}:{offer_id}:{price}".encode()).hexdigest()
            responses.append(
                (
                    response_id,
                    tender_id,
                    offer_provider[offer_id],
                    offer_id,
                    price,
                    "Réponse technique.",
                    "",
                    "",
                    "submitted",
                    decided_at - timedelta(days=25),
                    receipt,
                    None,
                    None,
                    Decimal("75"),
                    None,
                )
            )
        copy_rows(
            cursor,
            "tenders_tenderresponse",
            [
                "id",
                "tender_id",
                "provider_id",
                "offer_id",
                "total_price",
                "technical_answer",
                "attachment",
                "attachment_sha256",
                "status",
                "submitted_at",
                "receipt_sha256",
                "submitted_by_id",
                "withdrawn_at",
                "technical_score",
                "other_score",
            ],
            responses,
        )
        copy_rows(
            cursor,
            "tenders_award",
            ["tender_id", "response_id", "amount", "awarded_at", "awarded_by_id"],
            ((r[1], r[0], r[4], a[3], None) for r, a in zip(responses, awarded, strict=True)),
        )
        self._timed("tenders", t)
