"""``path:line: [CODE(name)] message``, the format pylint-aware tools parse."""

from __future__ import annotations

from collections.abc import Sequence

from mlint.report import ReportContext
from mlint.report.common import display_path, not_checked, not_checked_message
from mlint.types import FileResult


def render(results: Sequence[FileResult], context: ReportContext) -> str:
    lines = []
    for result in results:
        for diag in result.diagnostics:
            # Parsers expect `path:line:`, so a notebook's cell goes into the message.
            cell = f" (cell {diag.cell})" if diag.cell is not None else ""
            lines.append(
                f"{display_path(diag.path)}:{diag.start.line}: [{diag.code}({diag.name})] "
                f"{diag.message}{cell}"
            )
    for result in not_checked(results):
        lines.append(f"{display_path(result.path)}:1: [error] {not_checked_message(result)}")
    return "".join(line + "\n" for line in lines)
