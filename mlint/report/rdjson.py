"""reviewdog's Diagnostic Format (``rdjson``), as ruff writes it.

A notebook diagnostic's range is the ``.ipynb`` JSON line that holds its cell line (no
column): its own lines count inside the cell; the message names the cell and line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mlint.report import ReportContext
from mlint.report.common import display_path, edit_locations
from mlint.report.sources import Sources
from mlint.types import Diagnostic, FileResult, Location


def _position(location: Location) -> dict[str, int]:
    return {"line": location.line, "column": location.column}


def _range(start: Location, end: Location) -> dict[str, Any]:
    return {"start": _position(start), "end": _position(end)}


def _diagnostic(diag: Diagnostic, sources: Sources) -> dict[str, Any]:
    from mlint.docs import rule_url

    location: dict[str, Any] = {"path": display_path(diag.path)}
    message = diag.message
    if diag.cell is None:
        location["range"] = _range(diag.start, diag.end)
    else:
        message = f"cell {diag.cell}:{diag.start.line}:{diag.start.column}: {message}"
        span = sources.file_lines(diag)
        if span is not None:
            location["range"] = {"start": {"line": span[0]}, "end": {"line": span[1]}}
    out: dict[str, Any] = {
        "message": message,
        "location": location,
        "code": {"value": diag.code, "url": rule_url(diag.code)},
        "severity": diag.severity.upper(),
    }
    suggestions = [
        {"range": _range(start, end), "text": edit.content}
        for edit, start, end in edit_locations(diag, sources)
        if start is not None and end is not None
    ]
    if suggestions:
        out["suggestions"] = suggestions
    return out


def render(results: Sequence[FileResult], context: ReportContext) -> str:
    from mlint.docs import DOCS_HOME

    sources = Sources(list(results))
    report = {
        "source": {"name": "mlint", "url": DOCS_HOME},
        "severity": "WARNING",
        "diagnostics": [
            _diagnostic(diag, sources) for result in results for diag in result.diagnostics
        ],
    }
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
