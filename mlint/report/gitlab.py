"""GitLab Code Quality report (a JSON array of Code Climate issues)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from mlint.report import ReportContext
from mlint.report.common import (
    ci_path,
    fingerprints,
    not_checked,
    not_checked_message,
)
from mlint.report.sources import Sources
from mlint.types import FileResult

# As ruff does: paths relative to the checkout GitLab CI runs in.
PROJECT_DIR = "CI_PROJECT_DIR"


def render(results: Sequence[FileResult], context: ReportContext) -> str:
    # Line-independent fingerprints: GitLab keys "new" vs "resolved" findings on them.
    prints = iter(fingerprints(results, context.project_root))
    sources = Sources(list(results))
    issues: list[dict[str, Any]] = []
    for result in results:
        for diag in result.diagnostics:
            cell = f" (cell {diag.cell}, line {diag.start.line})" if diag.cell is not None else ""
            # GitLab shows the lines of the file on disk: for a notebook, the JSON lines.
            begin, end = sources.file_lines(diag) or (1, 1)
            issues.append(
                {
                    "type": "issue",
                    "check_name": diag.code,
                    "description": f"{diag.code}: {diag.message}{cell}",
                    "categories": ["Bug Risk"],
                    "fingerprint": next(prints),
                    "severity": "major",
                    "location": {
                        "path": ci_path(diag.path, PROJECT_DIR, context.project_root),
                        "lines": {"begin": begin, "end": end},
                    },
                }
            )
    for result in not_checked(results):
        path = ci_path(result.path, PROJECT_DIR, context.project_root)
        issues.append(
            {
                "type": "issue",
                "check_name": "mlint-not-checked",
                "description": not_checked_message(result),
                "categories": ["Bug Risk"],
                "fingerprint": hashlib.blake2b(
                    f"not-checked\x00{path}".encode(), digest_size=16
                ).hexdigest(),
                "severity": "blocker",
                "location": {"path": path, "lines": {"begin": 1, "end": 1}},
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
