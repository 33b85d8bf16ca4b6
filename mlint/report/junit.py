"""JUnit XML: a test suite per file with findings, a failing test case per diagnostic."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from mlint.report import ReportContext
from mlint.report.common import display_path, not_checked, not_checked_message
from mlint.report.sources import Sources
from mlint.types import Diagnostic, FileResult

# Characters XML 1.0 cannot carry at all, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _position(diag: Diagnostic, sources: Sources) -> dict[str, str]:
    """``line``/``column`` in the file on disk; for a notebook, the JSON line, no column."""
    if diag.cell is None:
        return {"line": str(diag.start.line), "column": str(diag.start.column)}
    span = sources.file_lines(diag)
    return {"line": str(span[0])} if span is not None else {}


def render(results: Sequence[FileResult], context: ReportContext) -> str:
    sources = Sources(list(results))
    failed = {id(r) for r in not_checked(results)}
    flagged = [r for r in results if r.diagnostics or id(r) in failed]
    total = sum(len(r.diagnostics) for r in flagged)
    root = ET.Element(
        "testsuites",
        name="mlint",
        tests=str(total + len(failed) or 1),
        failures=str(total),
        errors=str(len(failed)),
    )
    if not flagged:
        # CI dashboards treat an empty report as "no tests ran": show a passing check.
        suite = ET.SubElement(
            root, "testsuite", name="mlint", tests="1", disabled="0", errors="0", failures="0"
        )
        ET.SubElement(suite, "testcase", name="No errors found", classname="mlint")
    for result in flagged:
        path = _clean(display_path(result.path))
        count = str(len(result.diagnostics))
        error = id(result) in failed
        suite = ET.SubElement(
            root,
            "testsuite",
            name=path,
            tests=str(len(result.diagnostics) + error),
            disabled="0",
            errors=str(int(error)),
            failures=count,
            package="mlint",
        )
        if error:
            case = ET.SubElement(suite, "testcase", name="mlint.not-checked", classname=path)
            message = _clean(not_checked_message(result))
            ET.SubElement(case, "error", message=message, type="not-checked").text = message
        for diag in result.diagnostics:
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"mlint.{diag.code}",
                classname=path,
                attrib=_position(diag, sources),
            )
            where = f"cell {diag.cell}, " if diag.cell is not None else ""
            message = _clean(diag.message)
            failure = ET.SubElement(case, "failure", message=message, type=diag.code)
            failure.text = (
                f"{where}line {diag.start.line}, col {diag.start.column}, {diag.code} {message}"
            )
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
