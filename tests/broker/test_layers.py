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


def test_it_keeps_the_matching_reference_out_of_production():
    """The Python matcher lives in tests/broker/oracle.py only."""
    offenders = [
        path.relative_to(BROKER.parent).as_posix()
        for app in ("core", "catalog", "tenders", "broker", "config")
        for path in (BROKER.parent / app).rglob("*.py")
        if "oracle" in " ".join(imported(path))
        or any(f"def {name}(" in path.read_text() for name in ("candidates", "score"))
    ]
    assert offenders == []
