"""``path:line:col: CODE [*] message``, one diagnostic a line."""

from __future__ import annotations

from collections.abc import Sequence

from mlint.report import ReportContext
from mlint.report.common import (
    display_path,
    fix_marker,
    location_text,
    not_checked,
    not_checked_message,
    paint,
)
from mlint.types import FileResult


def render(results: Sequence[FileResult], context: ReportContext) -> str:
    lines = []
    for result in results:
        for diag in result.diagnostics:
            marker = fix_marker(diag, context)
            lines.append(
                f"{paint(display_path(diag.path), 'bold', context)}:{location_text(diag)}: "
                f"{paint(diag.code, 'red', context)} {marker}{diag.message}"
            )
    for result in not_checked(results):
        lines.append(
            f"{paint(display_path(result.path), 'bold', context)}:1:1: "
            f"{paint('error', 'red', context)} {not_checked_message(result)}"
        )
    return "\n".join(lines) + ("\n" if lines else "")
