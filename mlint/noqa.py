"""Suppression comments: ``# noqa``, ``# noqa: ML501``, file-level ``# mlint: noqa``."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass

from mlint.lines import LineOffsets
from mlint.types import Applicability, Diagnostic, Edit, Fix

# flake8/ruff grammar: `# noqa`, `# noqa: A1, B2`, `# noqa:A1 B2 trailing words`.
_NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)
_FILE_NOQA = re.compile(
    r"#\s*mlint\s*:\s*noqa(?:\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)


@dataclass(frozen=True)
class NoqaComment:
    line: int
    # Character offsets of the directive (``# noqa...`` up to the end of its codes).
    start: int
    end: int
    # ``None`` for a blanket ``# noqa``.
    codes: tuple[str, ...] | None
    comment_start: int
    comment_text: str


@dataclass(frozen=True)
class Suppressions:
    by_line: dict[int, NoqaComment]
    file_blanket: bool
    file_codes: frozenset[str]


def _comments(source: str) -> Iterable[tuple[int, int, str]]:
    """``(line, column, text)`` of every comment token; strings are never mistaken for one."""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                yield tok.start[0], tok.start[1], tok.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return


def parse_suppressions(source: str, line_offset: LineOffsets) -> Suppressions:
    by_line: dict[int, NoqaComment] = {}
    file_blanket = False
    file_codes: set[str] = set()
    if "noqa" not in source.lower():
        return Suppressions({}, False, frozenset())
    for line, column, text in _comments(source):
        file_match = _FILE_NOQA.match(text)
        if file_match:
            if file_match.group("codes"):
                file_codes.update(c.upper() for c in _CODE.findall(file_match.group("codes")))
            else:
                file_blanket = True
            continue
        match = _NOQA.search(text)
        if match is None:
            continue
        base = line_offset(line, column)
        codes = (
            tuple(c.upper() for c in _CODE.findall(match.group("codes")))
            if match.group("codes")
            else None
        )
        by_line[line] = NoqaComment(
            line, base + match.start(), base + match.end(), codes, base, text
        )
    return Suppressions(by_line, file_blanket, frozenset(file_codes))


def apply_suppressions(
    source: str,
    path: str,
    diagnostics: list[Diagnostic],
    enabled: frozenset[str],
    known: frozenset[str],
) -> list[Diagnostic]:
    """Drop suppressed diagnostics and add ``ML002`` for ``ML`` codes that suppressed nothing."""
    offsets = LineOffsets(source)
    supp = parse_suppressions(source, offsets)
    if supp.file_blanket:
        return [d for d in diagnostics if d.code == "ML001"]
    kept: list[Diagnostic] = []
    used: dict[int, set[str]] = {}
    for diag in diagnostics:
        if diag.code in supp.file_codes and diag.code != "ML001":
            continue
        comment = supp.by_line.get(diag.noqa_line or diag.start.line)
        if comment is not None and diag.code != "ML001":
            if comment.codes is None:
                used.setdefault(comment.line, set()).add("*")
                continue
            if diag.code in comment.codes:
                used.setdefault(comment.line, set()).add(diag.code)
                continue
        kept.append(diag)
    if "ML002" in enabled and "ML002" not in supp.file_codes:
        kept.extend(_unused(source, path, supp, used, enabled, known, offsets))
    return kept


def _unused(
    source: str,
    path: str,
    supp: Suppressions,
    used: dict[int, set[str]],
    enabled: frozenset[str],
    known: frozenset[str],
    offsets: LineOffsets,
) -> Iterable[Diagnostic]:
    for comment in supp.by_line.values():
        if comment.codes is None:
            continue  # a blanket noqa may serve other tools
        used_here = used.get(comment.line, set())
        unused = [
            c
            for c in comment.codes
            if c.startswith("ML") and c not in used_here and (c in enabled or c not in known)
        ]
        if not unused or "ML002" in comment.codes:
            continue
        remaining = [c for c in comment.codes if c not in unused]
        if remaining:
            edit = Edit(comment.start, comment.end, "# noqa: " + ", ".join(remaining))
        else:
            edit = _removal(source, comment, offsets)
        labels = ", ".join(f"`{c}`" for c in unused)
        kind = "unknown" if all(c not in known for c in unused) else "unused"
        yield Diagnostic(
            path=path,
            code="ML002",
            name="unused-noqa",
            message=f"{kind.capitalize()} `noqa` directive: {labels}; remove it",
            start=offsets.location(comment.start),
            end=offsets.location(comment.end),
            fix=Fix((edit,), Applicability.SAFE, "Remove unused `noqa` directive"),
            noqa_line=comment.line,
        )


def _removal(source: str, comment: NoqaComment, offsets: LineOffsets) -> Edit:
    """The edit that removes a directive and leaves valid, tidy code."""
    comment_end = comment.comment_start + len(comment.comment_text)
    trailing = source[comment.end : comment_end]
    if comment.start == comment.comment_start:
        if trailing.lstrip().startswith("#"):  # `# noqa: X  # other comment`
            return Edit(comment.start, comment.end + len(trailing) - len(trailing.lstrip()), "")
        if trailing.strip():
            return Edit(comment.start, comment.end, "#")  # keep the explanation a comment
        line_start = offsets(comment.line, 0)
        before = source[line_start : comment.start]
        start = line_start + len(before.rstrip()) if before.strip() else comment.start
        return Edit(start, comment_end, "")
    # Inside a longer comment: drop the directive and the spaces before it.
    inner = source[comment.comment_start : comment.start]
    return Edit(comment.comment_start + len(inner.rstrip()), comment.end, "")


def add_noqa(source: str, diagnostics: Iterable[Diagnostic]) -> tuple[str, int]:
    """Append ``# noqa: CODES`` to each line with a diagnostic, merging existing directives."""
    import ast

    offsets = LineOffsets(source)
    supp = parse_suppressions(source, offsets)
    wanted: dict[int, set[str]] = {}
    for diag in diagnostics:
        if diag.code not in ("ML001", "ML002"):
            wanted.setdefault(diag.noqa_line or diag.start.line, set()).add(diag.code)
    inside_strings = _lines_ending_in_string(source)
    edits: list[Edit] = []
    for line, codes in wanted.items():
        if line in inside_strings:
            continue  # a comment there would become part of the string
        existing = supp.by_line.get(line)
        if existing is not None:
            if existing.codes is None:
                continue
            merged = sorted(set(existing.codes) | codes)
            edits.append(Edit(existing.start, existing.end, "# noqa: " + ", ".join(merged)))
            continue
        line_end = offsets.starts[line] if line < len(offsets.starts) else len(source)
        text = source[offsets(line, 0) : line_end]
        stripped = text.rstrip("\r\n")
        end = offsets(line, 0) + len(stripped)
        edits.append(Edit(end, end, "  # noqa: " + ", ".join(sorted(codes))))
    out = source
    count = 0
    for edit in sorted(edits, reverse=True):
        candidate = out[: edit.start] + edit.content + out[edit.end :]
        try:
            ast.parse(candidate)
        except SyntaxError:
            continue  # e.g. the line ends inside a multi-line string
        out = candidate
        count += 1
    return out, count


def _lines_ending_in_string(source: str) -> set[int]:
    """Lines whose end falls inside a multi-line string token."""
    lines: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if (
                tok.type == tokenize.STRING
                and tok.end[0] > tok.start[0]
                or tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1)
                and tok.end[0] > tok.start[0]
            ):
                lines.update(range(tok.start[0], tok.end[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return lines
