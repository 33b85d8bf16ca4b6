"""Lint one source text; the function every front end (CLI, server, hook) shares."""

from __future__ import annotations

import sys
from dataclasses import replace
from functools import cache, lru_cache
from typing import Any

from mlint.lines import LineEndings
from mlint.parse import ParseFailure, cpython_error, on_large_stack, parse_module
from mlint.rule import FileContext, Rule
from mlint.rules import all_rules
from mlint.types import Applicability, Diagnostic, LintSettings, Location

# Rules the engine itself reports; they never join the traversal.
ENGINE_CODES = frozenset({"ML001", "ML002", "ML003"})


@cache
def _options(code: str, items: tuple[tuple[str, Any], ...]) -> Any:
    """The rule's options object; the settings have validated ``items`` already."""
    model = all_rules()[code].options_model
    return None if model is None else model(**dict(items))


@lru_cache(maxsize=64)
def _rules_for(codes: frozenset[str]) -> tuple[type[Rule], ...]:
    registry = all_rules()
    return tuple(registry[c] for c in sorted(codes) if c in registry and c not in ENGINE_CODES)


def _parse_error(path: str, failure: ParseFailure) -> Diagnostic:
    """ML001 when CPython rejects the file too (its message and position), else ML003."""
    location = Location(failure.line, failure.column)
    if failure.cpython:
        code, name, message = "ML001", "syntax-error", failure.message
    else:
        code, name = "ML003", "parse-error"
        message = f"mlint cannot parse this file: {failure.message}"
    return Diagnostic(
        path=path,
        code=code,
        name=name,
        message=message,
        start=location,
        end=location,
        noqa_line=failure.line,
    )


def lint_source(
    source: str, path: str, settings: LintSettings, cells: tuple[tuple[int, int], ...] = ()
) -> list[Diagnostic]:
    """Every diagnostic for one file's text, suppressions applied, sorted by position.

    ``cells`` marks notebook code cells in a joined source (see ``FileContext.cells``).

    Rules see the text with ``\n`` line breaks; their edits come back as offsets into
    ``source``, inserted lines ending as the file's lines do.
    """
    endings = LineEndings(source)
    diagnostics = _lint_lf(endings.text, path, settings, cells)
    if endings.identity:
        return diagnostics
    return [
        diag
        if diag.fix is None
        else replace(diag, fix=replace(diag.fix, edits=tuple(map(endings.edit, diag.fix.edits))))
        for diag in diagnostics
    ]


def _lint_lf(
    source: str, path: str, settings: LintSettings, cells: tuple[tuple[int, int], ...]
) -> list[Diagnostic]:
    codes = settings.codes_for(path)
    active = [
        rule
        for rule in _rules_for(codes)
        if not rule.triggers or any(trigger in source for trigger in rule.triggers)
    ]
    wants_noqa_check = "ML002" in codes and "noqa" in source
    if not active and not wants_noqa_check:
        # Nothing here for any rule: a cheap syntax check replaces the libcst parse.
        rejected = cpython_error(source) if "ML001" in codes else None
        return [] if rejected is None else [_parse_error(path, rejected)]
    try:
        module = parse_module(source)
    except ParseFailure as failure:
        # ML003 whatever the selection: the file was not checked, and the run must say so.
        wanted = "ML001" in codes or not failure.cpython
        return [_parse_error(path, failure)] if wanted else []

    diagnostics: list[Diagnostic] = []
    if active:
        from mlint.walker import walk

        context = FileContext(path, source, module, cells)
        rules = [
            rule(
                context, _options(rule.code, tuple(sorted(settings.options_for(rule.code).items())))
            )
            for rule in active
        ]
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 20_000))
        try:
            on_large_stack(lambda: walk(module, rules, context))
        finally:
            sys.setrecursionlimit(limit)
        for rule in rules:
            for pending in rule.reports:
                start_offset, end_offset = context.span(pending.node)
                start = context.location(start_offset)
                fix = pending.fix
                if fix is not None and (rule.code not in settings.fixable or not context.exact):
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
