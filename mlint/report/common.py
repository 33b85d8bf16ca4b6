"""Helpers shared by the text formatters."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

from mlint.report import ReportContext
from mlint.report.sources import Sources
from mlint.types import Applicability, Diagnostic, Edit, FileResult, Location

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


def not_checked(results: Sequence[FileResult]) -> list[FileResult]:
    """Files that could not be checked and whose reason no diagnostic shows yet.

    A file mlint cannot parse already carries its ML003 diagnostic; the others (unreadable,
    undecodable, an internal error) need an entry of their own in every format.
    """
    return [r for r in results if r.error and not any(d.code == "ML003" for d in r.diagnostics)]


def not_checked_message(result: FileResult) -> str:
    """Why ``result``'s file was not checked, as one line."""
    reason = result.error or ""
    return reason if reason.startswith("mlint ") else f"mlint could not check this file: {reason}"


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


def project_path(path: str, project_root: str) -> str:
    """``path`` relative to the project root, with ``/`` separators; absolute when outside it."""
    if path == "-":
        return path
    absolute = os.path.abspath(path)
    try:
        rel = os.path.relpath(absolute, os.path.abspath(project_root))
    except ValueError:
        return absolute.replace(os.sep, "/")
    if rel == ".." or rel.startswith(".." + os.sep):
        return absolute.replace(os.sep, "/")
    return rel.replace(os.sep, "/")


def ci_path(path: str, variable: str, fallback_root: str | None = None) -> str:
    """``path`` relative to the directory CI names in ``variable`` when set.

    Otherwise relative to ``fallback_root`` (the project root) when given, or as displayed.
    """
    root = os.environ.get(variable)
    if root:
        return project_path(path, root)
    if fallback_root is not None:
        return project_path(path, fallback_root)
    return display_path(path)


def fingerprints(results: Sequence[FileResult], project_root: str) -> list[str]:
    """A stable id per diagnostic (in report order) that survives unrelated line shifts.

    Built on the baseline's entries, so GitLab, SARIF and ``--baseline`` agree on what
    "the same finding" is: path, code, the flagged text and an occurrence index.
    """
    from mlint.baseline import entries_of

    out = []
    for result in results:
        entries = {id(diag): entry for diag, entry in entries_of(result, project_root)}
        for diag in result.diagnostics:
            entry = entries[id(diag)]
            payload = "\x00".join((entry.path, str(entry.cell or ""), *entry.key[1:]))
            out.append(hashlib.blake2b(payload.encode(), digest_size=16).hexdigest())
    return out


def edit_locations(
    diag: Diagnostic, sources: Sources
) -> list[tuple[Edit, Location | None, Location | None]]:
    """Each edit of the diagnostic's fix with its start and end position (``None`` if unknown)."""
    if diag.fix is None:
        return []
    lines = sources.edits_resolvable(diag)
    return [
        (
            edit,
            lines.location(edit.start) if lines is not None else None,
            lines.location(edit.end) if lines is not None else None,
        )
        for edit in diag.fix.edits
    ]
