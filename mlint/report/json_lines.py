"""One JSON object per line (the ``json`` format's objects), for streaming consumers."""

from __future__ import annotations

import json
from collections.abc import Sequence

from mlint.report import ReportContext
from mlint.report.json_format import objects
from mlint.types import FileResult


def render(results: Sequence[FileResult], context: ReportContext) -> str:
    return "".join(json.dumps(obj, ensure_ascii=False) + "\n" for obj in objects(results))
