"""The house rules a reader relies on: small modules, and the import rules of DESIGN.md.

``make test`` also runs ``lint-imports`` (the layers in pyproject.toml) and ``mypy``; this file
keeps the rules a linter does not state.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("channels", "dialogs", "nlu", "integrations")
MAX_LINES = 500
ROOT_MODULES = {"channels.app", "channels.runtime", "channels.worker", "channels.retention",
                "channels.migrate"}
"""The composition root (the top layers of pyproject.toml's import rules)."""


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts and "versions" in path.parts:
                continue
            yield path


def test_no_module_is_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}, "split these modules: one job each"


def test_nothing_imports_the_composition_root_back():
    """Only the root itself builds the application; everything else is handed what it needs."""
    offenders = []
    for path in _modules():
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if name in ROOT_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported = {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                imported = {a.name for a in node.names}
            else:
                continue
            if imported & ROOT_MODULES:
                offenders.append(f"{name}:{node.lineno}")
    assert offenders == []
