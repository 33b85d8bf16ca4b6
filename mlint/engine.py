"""Lint one source text; the function every front end (CLI, server, hook) shares."""

from __future__ import annotations

import sys
from functools import cache, lru_cache
from typing import Any

from mlint.rule import FileContext, Rule, all_rules
from mlint.types import Applicability, Diagnostic, LintSettings, Location

# Rules the engine itself reports; they never join the traversal.
ENGINE_CODES = frozenset({"ML001", "ML002"})


@cache
def _options(code: str, items: tuple[tuple[str, Any], ...]) -> Any:
    """The rule's options object; the settings have validated ``items`` already."""
    model = all_rules()[code].options_model
    return None if model is None else model(**dict(items))


@lru_cache(maxsize=64)
def _rules_for(codes: frozenset[str]) -> tuple[type[Rule], ...]:
    registry = all_rules()
    return tuple(registry[c] for c in sorted(codes) if c in registry and c not in ENGINE_CODES)


def _syntax_error(path: str, source: str, exc: Exception) -> Diagnostic:
    line = int(getattr(exc, "raw_line", 0) or getattr(exc, "lineno", 0) or 1)
    column = int(getattr(exc, "raw_column", 0) or 0) + 1
    message = str(getattr(exc, "message", "") or exc).splitlines()[0]
    location = Location(line, column)
    return Diagnostic(
        path=path,
        code="ML001",
        name="syntax-error",
        message=f"SyntaxError: {message}",
        start=location,
        end=location,
        noqa_line=line,
    )


def lint_source(
    source: str, path: str, settings: LintSettings, cell_lines: tuple[int, ...] = ()
) -> list[Diagnostic]:
    """Every diagnostic for one file's text, suppressions applied, sorted by position.

    ``cell_lines`` are the 1-based first lines of a notebook's cells in ``source``.
    """
    import libcst as cst

    codes = settings.codes_for(path)
    active = [
        rule
        for rule in _rules_for(codes)
        if not rule.triggers or any(trigger in source for trigger in rule.triggers)
    ]
    wants_noqa_check = "ML002" in codes and "noqa" in source
    if not active and not wants_noqa_check:
        # Nothing here for any rule: a cheap syntax check replaces the libcst parse.
        return _ast_syntax_check(source, path) if "ML001" in codes else []
    try:
        module = cst.parse_module(source)
    except Exception as exc:  # noqa: BLE001  (libcst raises ParserSyntaxError, rarely others)
        return [_syntax_error(path, source, exc)] if "ML001" in codes else []

    diagnostics: list[Diagnostic] = []
    if active:
        from mlint.walker import walk

        context = FileContext(path, source, module, cell_lines)
        rules = [
            rule(
                context, _options(rule.code, tuple(sorted(settings.options_for(rule.code).items())))
            )
            for rule in active
        ]
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 20_000))
        try:
            walk(module, rules, context)
        finally:
            sys.setrecursionlimit(limit)
        for rule in rules:
            for pending in rule.reports:
                start_offset, end_offset = context.span(pending.node)
                start = context.location(start_offset)
                fix = pending.fix
                if fix is not None and rule.code not in settings.fixable:
                    fix = None
                diagnostics.append(
                    Diagnostic(
                        path=path,
                        code=rule.code,
                        name=rule.name,
                        message=pending.message,
                        start=start,
                        end=context.location(end_offset),
                        fix=fix,
                        noqa_line=start.line,
                    )
                )
    if not settings.ignore_noqa and (wants_noqa_check or "noqa" in source):
        from mlint.noqa import apply_suppressions

        diagnostics = apply_suppressions(source, path, diagnostics, codes, frozenset(all_rules()))
    diagnostics = _dedupe(diagnostics)
    diagnostics.sort(key=Diagnostic.sort_key)
    return diagnostics


def _ast_syntax_check(source: str, path: str) -> list[Diagnostic]:
    import ast

    try:
        ast.parse(source)
    except SyntaxError as exc:
        exc.raw_line = exc.lineno  # type: ignore[attr-defined]
        exc.raw_column = max((exc.offset or 1) - 1, 0)  # type: ignore[attr-defined]
        exc.message = exc.msg  # type: ignore[attr-defined]
        return [_syntax_error(path, source, exc)]
    except (ValueError, RecursionError, MemoryError) as exc:
        return [_syntax_error(path, source, exc)]
    return []


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str, Location, Location, str]] = set()
    out = []
    for diag in diagnostics:
        key = (diag.code, diag.start, diag.end, diag.message)
        if key not in seen:
            seen.add(key)
            out.append(diag)
    return out


def allowed(applicability: Applicability, wanted: Applicability) -> bool:
    """Whether a fix of ``applicability`` may be applied when ``wanted`` is allowed."""
    if applicability is Applicability.SAFE:
        return True
    return applicability is Applicability.UNSAFE and wanted is Applicability.UNSAFE
