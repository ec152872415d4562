"""The shape of the code (README "Development"): no import cycle in leads_core, modules a
reader can hold in mind, pages that only draw, and test machinery kept out of the product."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.import_graph import ROOT, cycles, module_graph

MAX_LINES = 450
PRODUCT = sorted((ROOT / "leads_core").rglob("*.py"))


def test_no_import_cycle_in_leads_core() -> None:
    graph = module_graph("leads_core")
    assert "leads_core.services.leads" in graph  # the graph is read, not empty
    assert cycles(graph) == []


def test_cycles_are_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("path", PRODUCT, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_is_at_most_450_lines(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", PRODUCT, ids=lambda p: str(p.relative_to(ROOT)))
def test_product_imports_no_test_machinery_nor_ui(path: Path) -> None:
    banned = ("tests", "pytest", "playwright", "streamlit", "dashboard")
    assert not {m for m in _imports(path) if m.split(".")[0] in banned}


@pytest.mark.parametrize("path", sorted((ROOT / "pages").glob("*.py")), ids=lambda p: p.name)
def test_page_opens_no_database_session(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "session_scope" not in text
    assert not {m for m in _imports(path) if m.startswith(("leads_core.storage", "sqlmodel"))}


def test_tests_mirror_the_package() -> None:
    packages = [p.parent.name for p in (ROOT / "leads_core").glob("*/__init__.py")]
    assert {"api", "files", "ingest", "scoring", "services", "storage"} <= set(packages)
    missing = [name for name in packages if not (ROOT / "tests" / name).is_dir()]
    assert missing == []
