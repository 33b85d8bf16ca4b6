"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mlint import __version__
from mlint.report import ReportContext
from mlint.report.common import edit_locations, fingerprints, not_checked_message, project_path
from mlint.report.sources import Sources
from mlint.types import Diagnostic, FileResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/mlint/mlint"
SRCROOT = "%SRCROOT%"
_SECTION = re.compile(r"^## (.+)$", re.MULTILINE)


def _what_it_does(documentation: str) -> str:
    """The ``## What it does`` section of a rule's docs, as one paragraph."""
    parts = _SECTION.split(documentation)
    for heading, body in zip(parts[1::2], parts[2::2]):
        if heading.strip().lower() == "what it does":
            return " ".join(body.split())
    return ""


def _rule(code: str, example: Diagnostic) -> dict[str, Any]:
    from mlint.docs import rule_markdown, rule_url
    from mlint.rules import all_rules

    rule = all_rules().get(code)
    if rule is None:
        # Not a registered rule (an internal code, say): describe it from the finding.
        return {
            "id": code,
            "name": example.name,
            "shortDescription": {"text": example.message},
            "defaultConfiguration": {"level": "error"},
        }
    markdown = rule_markdown(rule)
    return {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": rule.message},
        "fullDescription": {"text": _what_it_does(rule.documentation()) or rule.message},
        "help": {"text": markdown, "markdown": markdown},
        "helpUri": rule_url(code),
        "defaultConfiguration": {"level": "error"},
        "properties": {"fix": rule.fix_availability.value},
    }


def _artifact(path: str, project_root: str) -> dict[str, str]:
    rel = project_path(path, project_root)
    if rel == "-":
        return {"uri": "stdin"}
    if rel.startswith("/") or os.path.isabs(rel):
        return {"uri": Path(rel).as_uri()}
    return {"uri": quote(rel), "uriBaseId": SRCROOT}


def _fixes(diag: Diagnostic, sources: Sources, artifact: dict[str, str]) -> list[dict[str, Any]]:
    if diag.fix is None or diag.cell is not None:
        return []  # notebook edits index the cells' joined text, not the .ipynb file
    replacements = []
    for edit, start, end in edit_locations(diag, sources):
        if start is None or end is None:
            region: dict[str, int] = {"charOffset": edit.start, "charLength": edit.end - edit.start}
        else:
            region = {
                "startLine": start.line,
                "startColumn": start.column,
                "endLine": end.line,
                "endColumn": end.column,
            }
        replacements.append({"deletedRegion": region, "insertedContent": {"text": edit.content}})
    if not replacements:
        return []
    return [
        {
            "description": {"text": diag.fix.message or "Apply the fix"},
            "artifactChanges": [{"artifactLocation": artifact, "replacements": replacements}],
            "properties": {"applicability": diag.fix.applicability.value},
        }
    ]


def _region(diag: Diagnostic, sources: Sources) -> dict[str, int]:
    """The flagged span in the file on disk; for a notebook, the JSON lines of the cell's lines."""
    if diag.cell is None:
        return {
            "startLine": diag.start.line,
            "startColumn": diag.start.column,
            "endLine": diag.end.line,
            "endColumn": diag.end.column,
        }
    first, last = sources.file_lines(diag) or (1, 1)
    return {"startLine": first, "endLine": last}


def _message(diag: Diagnostic) -> str:
    if diag.cell is None:
        return diag.message
    return f"{diag.message} (cell {diag.cell}, line {diag.start.line})"


def render(results: Sequence[FileResult], context: ReportContext) -> str:
    sources = Sources(list(results))
    prints = iter(fingerprints(results, context.project_root))
    rule_index: dict[str, int] = {}
    rules: list[dict[str, Any]] = []
    for diag in sorted((d for r in results for d in r.diagnostics), key=lambda d: d.code):
        if diag.code not in rule_index:
            rule_index[diag.code] = len(rules)
            rules.append(_rule(diag.code, diag))

    sarif_results = []
    for result in results:
        for diag in result.diagnostics:
            artifact = _artifact(diag.path, context.project_root)
            item: dict[str, Any] = {
                "ruleId": diag.code,
                "ruleIndex": rule_index[diag.code],
                "level": "error",
                "message": {"text": _message(diag)},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": artifact,
                            "region": _region(diag, sources),
                        }
                    }
                ],
                "partialFingerprints": {"mlint/v1": next(prints)},
            }
            fixes = _fixes(diag, sources, artifact)
            if fixes:
                item["fixes"] = fixes
            baseline = diag.extra.get("baseline_state")
            if baseline:
                item["baselineState"] = baseline
            if diag.cell is not None:
                item["properties"] = {"cell": diag.cell, "cellLine": diag.start.line}
            sarif_results.append(item)

    notifications = [
        {
            "level": "error",
            "message": {"text": not_checked_message(result)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact(result.path, context.project_root)
                    }
                }
            ],
            "descriptor": {"id": "not-checked"},
        }
        for result in results
        if result.error
    ]
    invocation: dict[str, Any] = {"executionSuccessful": not notifications}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    root_uri = Path(os.path.abspath(context.project_root)).as_uri().rstrip("/") + "/"
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mlint",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "invocations": [invocation],
                "originalUriBaseIds": {SRCROOT: {"uri": root_uri}},
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
