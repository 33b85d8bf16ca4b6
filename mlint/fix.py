"""Applying fixes: non-overlapping edits per pass, re-lint to a fixpoint, re-parse check."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from mlint.engine import allowed, lint_source
from mlint.types import Applicability, Diagnostic, Edit, Fix, LintSettings

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
    return _accepted(source, ast.PyCF_ONLY_AST)


def compiles(source: str) -> bool:
    """Whether ``source`` parses and passes the compiler's checks (`await`, `return` placement)."""
    return _accepted(source, 0)


def _accepted(source: str, flags: int) -> bool:
    # A text that starts with a BOM compiles as a file does: the BOM is an encoding mark.
    source = source.removeprefix("\ufeff")
    with warnings.catch_warnings():
        # An invalid escape in the user's string is theirs to hear about, not the fixer's.
        warnings.simplefilter("ignore")
        try:
            compile(source, "<fix>", "exec", flags, dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
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


State = TypeVar("State")


def fix_loop(
    state: State,
    source_of: Callable[[State], str],
    lint: Callable[[State], list[Diagnostic]],
    advance: Callable[[State, str, list[Fix]], State],
    wanted: Applicability,
    usable: Callable[[State, Diagnostic], bool] = lambda state, diag: True,
) -> tuple[State, int, list[Diagnostic], list[str]]:
    """Apply non-overlapping fixes pass after pass until none applies (``MAX_PASSES`` at most).

    ``state`` is what is being fixed (a source text, a notebook layout); ``advance`` builds
    the next state from the new text and the fixes accepted. A pass whose result does not
    parse is refused, and the loop stops there; so is one whose result does not compile
    when the text before any fix did.
    """
    diagnostics = lint(state)
    strict: bool | None = None
    applied = 0
    codes: list[str] = []
    for _ in range(MAX_PASSES):
        candidates = [
            d
            for d in diagnostics
            if d.fix is not None
            and d.fix.edits
            and allowed(d.fix.applicability, wanted)
            and usable(state, d)
        ]
        if not candidates:
            break
        by_fix = {id(d.fix): d for d in candidates}
        source = source_of(state)
        new_source, accepted = apply_edits(source, (d.fix for d in candidates if d.fix))
        if not accepted or new_source == source:
            break
        if strict is None:
            strict = compiles(source)
        if not (compiles(new_source) if strict else parses(new_source)):
            break
        state = advance(state, new_source, accepted)
        applied += len(accepted)
        codes.extend(by_fix[id(f)].code for f in accepted)
        diagnostics = lint(state)
    return state, applied, diagnostics, codes


def fix_source(source: str, path: str, settings: LintSettings) -> FixOutcome:
    """Apply fixes until nothing more applies (at most ``MAX_PASSES`` passes)."""
    fixed, applied, diagnostics, codes = fix_loop(
        source,
        lambda text: text,
        lambda text: lint_source(text, path, settings),
        lambda _, new_text, __: new_text,
        settings.applicability,
    )
    return FixOutcome(fixed, applied, tuple(diagnostics), tuple(codes))
