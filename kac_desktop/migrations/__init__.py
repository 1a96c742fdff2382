"""The schema's Alembic migrations (``versions/``), and their revision graph read without
Alembic: importing Alembic costs ~0.3 s, and every start only needs to know whether the
database is at the head (kac_desktop.db imports Alembic when an upgrade is due)."""

from __future__ import annotations

import re
from pathlib import Path

VERSIONS = Path(__file__).with_name("versions")
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.*?)\s*$", re.MULTILINE)
_LITERAL = re.compile(r"""^(?:None|"([^"\\]*)"|'([^'\\]*)')$""")


def revision_graph() -> dict[str, str | None] | None:
    """revision → the revision it revises, from the plain ``revision = "…"`` and
    ``down_revision = "…"`` lines of the version files; None when a file says it some other
    way (a merge's tuple, a computed value): then only Alembic can tell."""
    graph: dict[str, str | None] = {}
    for path in sorted(VERSIONS.glob("*.py")):
        if path.name == "__init__.py":
            continue
        found: dict[str, str | None] = {}
        for name, value in _ASSIGNMENT.findall(path.read_text(encoding="utf-8")):
            literal = _LITERAL.match(value)
            if literal is None or name in found:
                return None
            found[name] = literal.group(1) or literal.group(2)
        if not found.get("revision") or "down_revision" not in found:
            return None
        graph[found["revision"]] = found["down_revision"]  # type: ignore[index]
    return graph


def head_of(graph: dict[str, str | None]) -> str | None:
    """The one revision nothing revises (None for no revisions or several heads)."""
    heads = set(graph) - set(graph.values())
    return next(iter(heads)) if len(heads) == 1 else None
