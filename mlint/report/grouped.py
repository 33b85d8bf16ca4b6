"""Diagnostics grouped under their file's path, as ruff's ``grouped`` format prints them."""

from __future__ import annotations

from collections.abc import Sequence

from mlint.report import ReportContext
from mlint.report.common import display_path, fix_marker, location_text, paint
from mlint.types import FileResult


def render(results: Sequence[FileResult], context: ReportContext) -> str:
    out: list[str] = []
    for result in results:
        if not result.diagnostics:
            continue
        out.append(f"{paint(display_path(result.path), 'bold', context)}:")
        places = [location_text(diag) for diag in result.diagnostics]
        width = max(len(place) for place in places)
        for place, diag in zip(places, result.diagnostics):
            code = paint(diag.code, "red", context)
            out.append(f"  {place:<{width}} {code} {fix_marker(diag, context)}{diag.message}")
        out.append("")
    return "".join(line + "\n" for line in out)
