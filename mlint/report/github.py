"""GitHub Actions workflow commands: one ``::error`` annotation per diagnostic."""

from __future__ import annotations

from collections.abc import Sequence

from mlint.report import ReportContext
from mlint.report.common import (
    ci_path,
    display_path,
    location_text,
    not_checked,
    not_checked_message,
)
from mlint.report.sources import Sources
from mlint.types import FileResult

# GitHub resolves annotation paths against the checkout; ruff makes them relative to it too.
WORKSPACE = "GITHUB_WORKSPACE"


def escape_data(text: str) -> str:
    """Escape a command's message as the Actions runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: data escaping plus the ``:`` and ``,`` that delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(results: Sequence[FileResult], context: ReportContext) -> str:
    sources = Sources(list(results))
    lines = []
    for result in results:
        for diag in result.diagnostics:
            path = display_path(diag.path)
            properties = {"title": f"mlint ({diag.code})", "file": ci_path(diag.path, WORKSPACE)}
            if diag.cell is None:
                properties |= {
                    "line": str(diag.start.line),
                    "col": str(diag.start.column),
                    "endLine": str(diag.end.line),
                    "endColumn": str(diag.end.column),
                }
            else:
                # Cell lines are not lines of the .ipynb file: annotate the JSON lines
                # that hold them, without columns; the message names the cell.
                span = sources.file_lines(diag)
                if span is not None:
                    properties |= {"line": str(span[0]), "endLine": str(span[1])}
            props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
            message = f"{path}:{location_text(diag)}: {diag.code} {diag.message}"
            lines.append(f"::error {props}::{escape_data(message)}")
    for result in not_checked(results):
        path = display_path(result.path)
        file = ci_path(result.path, WORKSPACE)
        props = f"title={escape_property('mlint (not checked)')},file={escape_property(file)}"
        message = f"{path}: {not_checked_message(result)}"
        lines.append(f"::error {props}::{escape_data(message)}")
    return "".join(line + "\n" for line in lines)
