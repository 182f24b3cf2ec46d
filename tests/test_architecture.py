"""The layout's rules, checked on the source: the core never reaches up, and modules stay small.

``monitor/`` is the core. The crawlers and the NLP layer come in through the plugin registry and the
HTTP API is handed to the core by the composition root (:mod:`api.main`), so no module of the core
imports ``api``, ``crawlers`` or ``models``, not even lazily inside a function.
"""

from __future__ import annotations

import ast

from tests.conftest import REPO

ABOVE_THE_CORE = {"api", "crawlers", "models"}


def imported_packages(source: str) -> list[tuple[int, str]]:
    """Every absolute import in ``source`` as (line, top-level package), wherever the statement is."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def test_the_check_sees_lazy_imports() -> None:
    source = "import os\n\ndef serve():\n    from api.app import create_app\n    import crawlers.rss as rss\n"
    assert imported_packages(source) == [(1, "os"), (4, "api"), (5, "crawlers")]


def test_the_core_imports_neither_the_api_nor_the_plugins() -> None:
    offences = [
        f"{path.relative_to(REPO)}:{line} imports {package}"
        for path in sorted((REPO / "monitor").rglob("*.py"))
        for line, package in imported_packages(path.read_text(encoding="utf-8"))
        if package in ABOVE_THE_CORE
    ]
    assert offences == []


MAX_LINES = 500
PACKAGES = ("monitor", "models", "api", "crawlers")


def test_no_module_is_over_500_lines() -> None:
    too_long = {
        str(path.relative_to(REPO)): count
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}
