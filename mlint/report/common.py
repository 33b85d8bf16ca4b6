"""Helpers shared by the text formatters."""

from __future__ import annotations

import os

from mlint.report import ReportContext
from mlint.types import Applicability, Diagnostic

_COLORS = {"red": "31", "bold": "1", "cyan": "36", "green": "32", "yellow": "33", "dim": "2"}


def paint(text: str, color: str, context: ReportContext) -> str:
    if not context.color:
        return text
    return f"\x1b[{_COLORS[color]}m{text}\x1b[0m"


def display_path(path: str) -> str:
    """Paths as the user typed them, relative to the working directory where possible."""
    if path == "-" or not os.path.isabs(path):
        return path
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def location_text(diag: Diagnostic) -> str:
    if diag.cell is not None:
        return f"cell {diag.cell}:{diag.start.line}:{diag.start.column}"
    return f"{diag.start.line}:{diag.start.column}"


def fix_marker(diag: Diagnostic, context: ReportContext) -> str:
    """``[*] `` when ``--fix`` (or ``--unsafe-fixes`` if enabled) would fix the diagnostic."""
    fix = diag.fix
    if fix is None:
        return ""
    if fix.applicability is Applicability.SAFE or (
        fix.applicability is Applicability.UNSAFE and context.unsafe_fixes
    ):
        return "[*] "
    return ""
