"""A JSON array of diagnostics, field for field like ruff's ``json`` output."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from mlint.report import ReportContext
from mlint.report.common import edit_locations, not_checked, not_checked_message
from mlint.report.sources import Sources
from mlint.types import Diagnostic, FileResult, Location


def _location(location: Location | None) -> dict[str, int] | None:
    if location is None:
        return None
    return {"row": location.line, "column": location.column}


def _notebook_edits(diag: Diagnostic, sources: Sources) -> list[dict[str, Any]]:
    """A notebook fix's edits at cell-relative positions, each naming its cell (a fix may
    edit another cell than the diagnostic's, e.g. an import added to the first cell)."""
    assert diag.fix is not None
    out = []
    for edit in diag.fix.edits:
        start = sources.notebook_edit_location(diag, edit.start)
        end = sources.notebook_edit_location(diag, edit.end)
        out.append(
            {
                "content": edit.content,
                "cell": start[0] if start else None,
                "location": _location(start[1] if start else None),
                "end_location": _location(end[1] if end else None),
            }
        )
    return out


def diagnostic_json(diag: Diagnostic, sources: Sources) -> dict[str, Any]:
    """One diagnostic as ruff's JSON object (edit positions are ``null`` where unknown)."""
    from mlint.docs import rule_url

    fix = None
    if diag.fix is not None:
        fix = {
            "applicability": diag.fix.applicability.value,
            "message": diag.fix.message,
            "edits": (
                _notebook_edits(diag, sources)
                if diag.cell is not None
                else [
                    {
                        "content": edit.content,
                        "location": _location(start),
                        "end_location": _location(end),
                    }
                    for edit, start, end in edit_locations(diag, sources)
                ]
            ),
        }
    return {
        "cell": diag.cell,
        "code": diag.code,
        "end_location": _location(diag.end),
        "filename": diag.path if diag.path == "-" else os.path.abspath(diag.path),
        "fix": fix,
        "location": _location(diag.start),
        "message": diag.message,
        "name": diag.name,
        "noqa_row": diag.noqa_line or None,
        "severity": diag.severity,
        "url": rule_url(diag.code),
    }


def not_checked_json(result: FileResult) -> dict[str, Any]:
    """A file that could not be checked, shaped like a diagnostic with no code."""
    start = {"row": 1, "column": 1}
    return {
        "cell": None,
        "code": None,
        "end_location": start,
        "filename": result.path if result.path == "-" else os.path.abspath(result.path),
        "fix": None,
        "location": start,
        "message": not_checked_message(result),
        "noqa_row": None,
        "url": None,
    }


def objects(results: Sequence[FileResult]) -> list[dict[str, Any]]:
    sources = Sources(list(results))
    failed = {id(r) for r in not_checked(results)}
    out: list[dict[str, Any]] = []
    for result in results:
        out.extend(diagnostic_json(diag, sources) for diag in result.diagnostics)
        if id(result) in failed:
            out.append(not_checked_json(result))
    return out


def render(results: Sequence[FileResult], context: ReportContext) -> str:
    return json.dumps(objects(results), indent=2, ensure_ascii=False) + "\n"
