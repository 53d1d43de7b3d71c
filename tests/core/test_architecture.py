"""The layout rules of README's "What is where", checked on the source tree.

The ladder is core ← catalog ← tenders ← broker ← config: an app imports
only apps at or below its rung (a lower one tells a higher one through a
domain event in its ``signals.py``). Imports are read from the syntax tree,
lazy ones inside functions included, so moving an import into a function
does not hide it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LADDER = ["core", "catalog", "tenders", "broker", "config"]
RANK = {app: rank for rank, app in enumerate(LADDER)}
DOMAIN_APPS = ("core", "catalog", "tenders", "broker")
# Interface layers: another app's may not be imported by domain code.
INTERFACES = ("api", "views", "opendata")
MAX_LINES = 600
# Data tables, not logic: long by nature.
DATA_TABLES = {"catalog/demo_data.py", "tenders/demo_data.py"}


def project_modules() -> list[Path]:
    paths = []
    for app in LADDER + ["bench"]:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                paths.append(path)
    return sorted(paths)


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            # `from catalog import api` names the module catalog.api.
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def in_interface(path: Path) -> bool:
    rel = path.relative_to(ROOT)
    return any(
        part in INTERFACES or part.removesuffix(".py") in INTERFACES for part in rel.parts[1:]
    )


def test_it_keeps_every_import_on_or_below_its_rung():
    upward = []
    for path in project_modules():
        app = relative(path).split("/")[0]
        if app not in RANK:
            continue
        for name in imported_modules(path):
            target = name.split(".")[0]
            if target in RANK and RANK[target] > RANK[app]:
                upward.append(f"{relative(path)} imports {name}")
    assert upward == []


def test_it_keeps_domain_code_off_other_apps_interfaces():
    leaks = []
    for path in project_modules():
        app = relative(path).split("/")[0]
        if app not in DOMAIN_APPS or in_interface(path):
            continue
        for name in imported_modules(path):
            parts = name.split(".")
            if len(parts) >= 2 and parts[0] in DOMAIN_APPS and parts[1] in INTERFACES:
                if parts[0] != app:
                    leaks.append(f"{relative(path)} imports {name}")
    assert leaks == []


def test_it_keeps_modules_under_six_hundred_lines():
    long = []
    for path in project_modules():
        rel = relative(path)
        if rel.split("/")[0] not in DOMAIN_APPS or rel in DATA_TABLES:
            continue
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES:
            long.append(f"{rel}: {lines}")
    assert long == []


def test_it_has_one_change_feed_horizon():
    """The feed horizon (transactions below pg_snapshot_xmin) is written once."""
    holders = [
        relative(path)
        for path in project_modules()
        if "pg_snapshot_xmin(" in path.read_text() and relative(path).split("/")[0] != "bench"
    ]
    assert holders == ["core/feed.py"]


def test_it_reads_nothing_outside_the_repository():
    """The project stands alone: no code or test names the steering folder
    beside the clone (spelled in pieces here, so this test does not name it)."""
    outside = "/".join(("..", "shared"))
    offenders = []
    for path in list(project_modules()) + sorted((ROOT / "tests").rglob("*.py")):
        if path == Path(__file__).resolve():
            continue
        text = path.read_text()
        if outside in text or '/ "' + 'shared"' in text:
            offenders.append(relative(path))
    assert offenders == []


def test_it_keeps_the_benchmark_seeder_out_of_the_product():
    assert not list((ROOT / "tenders").rglob("seed_scale.py"))
    assert list((ROOT / "bench").rglob("seed_scale.py"))
