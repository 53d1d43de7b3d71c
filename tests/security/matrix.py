"""The URL × role × method matrix: routes enumerated from the resolver,
paths filled with the cast's objects, responses reduced to a class.

Classes (the cells of matrix.csv):
  2  a 2xx answer                      3  a redirect elsewhere than the sign-in page
  L  sign in first (302 to the sign-in page, or 401)
  D  refused: 403 or 404               M  405, method not allowed
  I  authorised but the (empty) input refused: 400, 409, 422
  5  a server error (never expected)
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

TABLE = Path(__file__).with_name("matrix.csv")
ROLES = (
    "anonymous",
    "agency_a_member",
    "agency_a_admin",
    "agency_b_member",
    "provider_a_member",
    "provider_b_member",
    "operator",
)

# Left out, and why:
# - admin/: Django's admin wraps every view in ``admin_view`` (staff only,
#   then model permissions); test_sealed.py proves what it shows.
# - DRF's ``.json``-style format suffixes and the API root's: the same view
#   and permission code as the route without the suffix, which is in the table.
# - media/: served by Django only with DEBUG (never in production or tests);
#   evidence and attachments are served by views that check permissions.
# - healthz: answers 503 while the worker is absent (tests/config/test_healthz.py).
SKIPPED = (
    re.compile(r"^admin/"),
    re.compile(r"^healthz$"),
    re.compile(r"\(\?P<format>"),
    re.compile(r"<drf_format_suffix:"),
    re.compile(r"^\^?media/"),
)
LOGIN_PATHS = ("/compte/connexion/", "/admin/login/")
ALLOWED_WRITE = {"2", "3", "I"}


@dataclass(frozen=True)
class Route:
    route: str  # normalised: "api/v1/tenders/<pk>/responses/<response_id>/"
    params: tuple[str, ...]
    name: str | None
    module: str


def _normalise(pattern: str) -> str:
    pattern = pattern.replace("^", "").replace("$", "").replace("\\.", ".")
    pattern = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", pattern)
    return re.sub(r"<\w+:(\w+)>", r"<\1>", pattern)


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def routes() -> dict[str, Route]:
    """Every route the site serves (one per normalised path), minus SKIPPED."""
    found: dict[str, Route] = {}
    for raw, entry in _walk(get_resolver().url_patterns):
        if any(rule.search(raw) for rule in SKIPPED):
            continue
        route = _normalise(raw)
        callback = entry.callback
        module = getattr(callback, "__module__", "")
        found.setdefault(
            route,
            Route(
                route=route,
                params=tuple(re.findall(r"<(\w+)>", route)),
                name=entry.name,
                module=module,
            ),
        )
    return found


@dataclass
class Row:
    route: str
    method: str
    params: str  # "pk=published;response_id=sealed_a"
    expected: dict[str, str]


def load() -> list[Row]:
    """The table; a route may have several rows per method, one per object
    its path names (a draft and a published tender do not share readers)."""
    with TABLE.open(newline="") as handle:
        return [
            Row(r["route"], r["method"], r["params"], {role: r[role] for role in ROLES})
            for r in csv.DictReader(handle)
        ]


def save(rows: list[Row]) -> None:
    with TABLE.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["route", "method", "params", *ROLES])
        for row in sorted(rows, key=lambda r: (r.route, r.method, r.params)):
            writer.writerow(
                [row.route, row.method, row.params, *[row.expected.get(role, "") for role in ROLES]]
            )


def resolve_value(cast, spec: str) -> str:
    """``'text'`` is literal; ``name.attr`` reads the cast; a model instance
    gives its primary key."""
    if spec.startswith("'"):
        return spec.strip("'")
    value = cast
    for part in spec.split("."):
        value = getattr(value, part)
    return str(getattr(value, "pk", value))


def fill(route: str, params: str, cast) -> str:
    values = dict(item.split("=", 1) for item in params.split(";") if item)
    path = route
    for name in re.findall(r"<(\w+)>", route):
        path = path.replace(f"<{name}>", resolve_value(cast, values[name]), 1)
    return "/" + path


def classify(response) -> str:
    code = response.status_code
    if 200 <= code < 300:
        return "2"
    if 300 <= code < 400:
        location = response.get("Location", "")
        return "L" if any(p in location for p in LOGIN_PATHS) else "3"
    if code == 401:
        return "L"
    if code in (403, 404):
        return "D"
    if code == 405:
        return "M"
    if code in (400, 409, 422):
        return "I"
    if code >= 500:
        return "5"
    return str(code)


def breaches(method: str, expected: str, observed: str) -> bool:
    """A read breaks the table when a 2xx appears or disappears; a write when
    it passes the permission check where the table refuses it, or the other
    way round (then the row no longer proves anything for its refusals)."""
    if observed == "5":
        return True
    if method == "GET":
        return (observed == "2") != (expected == "2")
    return (observed in ALLOWED_WRITE) != (expected in ALLOWED_WRITE)
