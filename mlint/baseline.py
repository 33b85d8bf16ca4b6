"""Baselines: record today's diagnostics so that only new ones fail tomorrow.

An entry is keyed by file, rule and a fingerprint of the flagged source text (whitespace
normalised) plus its occurrence index among identical ones in the file, so it survives
unrelated edits that shift lines.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from mlint.types import Diagnostic, FileResult

FORMAT_VERSION = 1
# A diagnostic spanning more lines than this is fingerprinted by its first line only: a
# whole flagged class or function would otherwise change with any edit inside it.
MAX_FINGERPRINT_LINES = 3


class BaselineError(Exception):
    """A baseline file that cannot be read or written; the message is one line."""


@dataclass(frozen=True)
class Entry:
    path: str  # POSIX, relative to the project root
    code: str
    fingerprint: str
    # For people reading the file; none takes part in matching.
    line: int = 0
    message: str = ""
    cell: int | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.path, self.code, self.fingerprint)

    def order(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.cell or 0, self.line, self.code, self.fingerprint)

    @property
    def location(self) -> str:
        """``path:line`` (``path:cell N:line`` in a notebook), as the text reports show it."""
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.path}:{cell}{self.line}"


@dataclass(frozen=True)
class Outcome:
    results: list[FileResult]
    baselined: int
    stale: list[Entry]


def relative_path(path: str, root: str) -> str:
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def _text_of(result: FileResult) -> str | None:
    """The text the diagnostics refer to (after fixes, if any were applied)."""
    text = result.fixed_source if result.fixed_source is not None else result.source
    if text is not None:
        return text
    from mlint.files import SourceError, read_source

    try:
        return read_source(result.path).text
    except SourceError:
        return None


def _flagged_lines(result: FileResult) -> Callable[[Diagnostic], str]:
    text = _text_of(result)
    if text is None:
        return lambda diag: ""
    lines_by_cell: dict[int | None, list[str]] = {}

    def lines_for(cell: int | None) -> list[str]:
        if cell not in lines_by_cell:
            source: str | None = text
            if cell is not None:
                from mlint.notebook import cell_source

                source = cell_source(text, cell) if text is not None else None
            lines_by_cell[cell] = (source or "").splitlines()
        return lines_by_cell[cell]

    def flagged(diag: Diagnostic) -> str:
        lines = lines_for(diag.cell)
        last = diag.end.line if diag.end.line - diag.start.line < MAX_FINGERPRINT_LINES else 0
        chosen = lines[diag.start.line - 1 : max(diag.start.line, last)]
        return " ".join(" ".join(chosen).split())

    return flagged


def fingerprint(code: str, normalized: str, occurrence: int) -> str:
    return hashlib.sha256(f"{code}\n{normalized}\n{occurrence}".encode()).hexdigest()[:16]


def entries_of(result: FileResult, root: str) -> list[tuple[Diagnostic, Entry]]:
    """Each diagnostic of one file with its baseline entry."""
    if not result.diagnostics:
        return []
    path = relative_path(result.path, root)
    flagged = _flagged_lines(result)
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    for diag in sorted(
        result.diagnostics, key=lambda d: (d.cell or 0, d.start.line, d.start.column, d.code)
    ):
        normalized = flagged(diag)
        occurrence = seen[(diag.code, normalized)]
        seen[(diag.code, normalized)] += 1
        digest = fingerprint(diag.code, normalized, occurrence)
        entry = Entry(path, diag.code, digest, diag.start.line, diag.message, diag.cell)
        out.append((diag, entry))
    return out


def collect(results: Iterable[FileResult], root: str) -> list[Entry]:
    entries = (entry for r in results if r.error is None for _, entry in entries_of(r, root))
    return sorted(entries, key=Entry.order)


def load(path: str) -> list[Entry]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise BaselineError(f"cannot read baseline `{path}`: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline `{path}` is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise BaselineError(
            f"baseline `{path}` is not an mlint baseline (version {FORMAT_VERSION}); "
            "write it again with `--write-baseline`"
        )
    try:
        return [
            Entry(
                str(item["path"]),
                str(item["code"]),
                str(item["fingerprint"]),
                int(item.get("line", 0)),
                str(item.get("message", "")),
                int(item["cell"]) if item.get("cell") is not None else None,
            )
            for item in data["entries"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise BaselineError(f"baseline `{path}` has a malformed entry: {exc}") from None


def dump(entries: Sequence[Entry]) -> str:
    """The file text: sorted, one key per line, so that a review diff reads well."""
    items = []
    for e in sorted(entries, key=Entry.order):
        item: dict[str, object] = {"path": e.path, "code": e.code, "fingerprint": e.fingerprint}
        if e.cell is not None:
            item["cell"] = e.cell
        item.update(line=e.line, message=e.message)
        items.append(item)
    data = {"version": FORMAT_VERSION, "tool": "mlint", "entries": items}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def save(path: str, entries: Sequence[Entry]) -> None:
    from mlint.files import write_atomic

    try:
        write_atomic(path, dump(entries))
    except OSError as exc:
        raise BaselineError(f"cannot write baseline `{path}`: {exc.strerror or exc}") from None


def apply(
    results: Sequence[FileResult],
    entries: Sequence[Entry],
    root: str,
    codes_for: Callable[[str], frozenset[str]],
    keep_unchanged: bool,
) -> Outcome:
    """Mark each diagnostic ``new`` or ``unchanged`` (dropped unless ``keep_unchanged``).

    Stale entries are those of files linted now, for rules enabled there, that matched nothing.
    """
    known = {e.key for e in entries}
    matched: set[tuple[str, str, str]] = set()
    linted: dict[str, frozenset[str]] = {}
    out: list[FileResult] = []
    baselined = 0
    for result in results:
        if result.error is not None:
            out.append(result)
            continue
        linted[relative_path(result.path, root)] = codes_for(result.path)
        entry_of = {id(diag): entry for diag, entry in entries_of(result, root)}
        kept = []
        for diag in result.diagnostics:
            entry = entry_of[id(diag)]
            state = "unchanged" if entry.key in known else "new"
            if state == "unchanged":
                matched.add(entry.key)
                baselined += 1
                if not keep_unchanged:
                    continue
            kept.append(replace(diag, extra={**diag.extra, "baseline_state": state}))
        out.append(replace(result, diagnostics=tuple(kept)))
    stale = [
        e for e in entries if e.key not in matched and e.path in linted and e.code in linted[e.path]
    ]
    return Outcome(out, baselined, sorted(stale, key=Entry.order))
