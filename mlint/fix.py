"""Applying fixes: non-overlapping edits per pass, re-lint to a fixpoint, re-parse check."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

from mlint.engine import allowed, lint_source
from mlint.types import Diagnostic, Edit, Fix, LintSettings

MAX_PASSES = 10


@dataclass(frozen=True)
class FixOutcome:
    source: str
    applied: int
    # Diagnostics left in the fixed source.
    remaining: tuple[Diagnostic, ...]
    # Codes of the fixes applied (for ``--show-fixes`` and statistics).
    applied_codes: tuple[str, ...] = ()


def parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


def _overlaps(a: Edit, b: Edit) -> bool:
    if a.start == a.end == b.start == b.end:
        return True  # two insertions at one point: their order would be a guess
    return a.start < b.end and b.start < a.end or (a.start == a.end and b.start < a.start < b.end)


def apply_edits(source: str, fixes: Iterable[Fix]) -> tuple[str, list[Fix]]:
    """Apply every fix whose edits overlap no earlier accepted edit; the rest wait."""
    accepted: list[Fix] = []
    taken: list[Edit] = []
    for fix in sorted(fixes, key=lambda f: f.edits[0] if f.edits else Edit(0, 0)):
        if any(_overlaps(e, t) for e in fix.edits for t in taken):
            continue
        accepted.append(fix)
        taken.extend(fix.edits)
    out = source
    for edit in sorted(taken, key=lambda e: (e.start, e.end), reverse=True):
        out = out[: edit.start] + edit.content + out[edit.end :]
    return out, accepted


def fix_source(source: str, path: str, settings: LintSettings) -> FixOutcome:
    """Apply fixes until nothing more applies (at most ``MAX_PASSES`` passes)."""
    diagnostics = lint_source(source, path, settings)
    applied = 0
    codes: list[str] = []
    for _ in range(MAX_PASSES):
        candidates = [
            d
            for d in diagnostics
            if d.fix is not None
            and d.fix.edits
            and allowed(d.fix.applicability, settings.applicability)
        ]
        if not candidates:
            break
        by_fix = {id(d.fix): d for d in candidates}
        new_source, accepted = apply_edits(source, (d.fix for d in candidates if d.fix))
        if not accepted or new_source == source or not parses(new_source):
            break
        source = new_source
        applied += len(accepted)
        codes.extend(by_fix[id(f)].code for f in accepted)
        diagnostics = lint_source(source, path, settings)
    return FixOutcome(source, applied, tuple(diagnostics), tuple(codes))
