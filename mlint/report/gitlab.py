"""GitLab Code Quality report (a JSON array of Code Climate issues)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from mlint.report import ReportContext
from mlint.report.common import fingerprints, not_checked, not_checked_message, project_path
from mlint.types import FileResult


def render(results: Sequence[FileResult], context: ReportContext) -> str:
    # Line-independent fingerprints: GitLab keys "new" vs "resolved" findings on them.
    prints = iter(fingerprints(results, context.project_root))
    issues: list[dict[str, Any]] = []
    for result in results:
        for diag in result.diagnostics:
            cell = f" (cell {diag.cell})" if diag.cell is not None else ""
            issues.append(
                {
                    "type": "issue",
                    "check_name": diag.code,
                    "description": f"{diag.code}: {diag.message}{cell}",
                    "categories": ["Bug Risk"],
                    "fingerprint": next(prints),
                    "severity": "major",
                    "location": {
                        "path": project_path(diag.path, context.project_root),
                        "lines": {"begin": diag.start.line, "end": diag.end.line},
                    },
                }
            )
    for result in not_checked(results):
        path = project_path(result.path, context.project_root)
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
