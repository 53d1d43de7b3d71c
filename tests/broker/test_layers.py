"""Tasks import services, never the reverse: the services announce work to
be sent after commit through broker.signals (issue 14)."""

import ast
from pathlib import Path

BROKER = Path(__file__).resolve().parents[2] / "broker"


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_it_keeps_the_services_and_selectors_off_the_tasks():
    modules = sorted((BROKER / "services").glob("*.py")) + [BROKER / "selectors.py"]
    assert len(modules) > 2
    assert [m.name for m in modules if "broker.tasks" in imported(m)] == []


def test_it_keeps_the_product_off_the_tests_and_the_benchmarks():
    """The Python matcher lives in tests/broker/oracle.py, the scale seeder
    in bench/: production imports neither."""
    root = BROKER.parent
    offenders = [
        f"{path.relative_to(root)} imports {name}"
        for app in ("core", "catalog", "tenders", "broker", "config")
        for path in sorted((root / app).rglob("*.py"))
        for name in imported(path)
        if name.split(".")[0] in ("tests", "bench")
    ]
    assert offenders == []
    engine = ast.parse((BROKER / "matching.py").read_text())
    defined = {node.name for node in engine.body if isinstance(node, ast.FunctionDef)}
    assert "shortlist_select" in defined
    assert defined.isdisjoint({"candidates", "score"})
