"""Parsing that neither crashes nor lies: libcst on a large stack, CPython as the judge.

libcst's native parser recurses on the C stack: a 1,300-deep list or a 9,000-term sum
overflows a worker's 8 MiB stack (a segfault, not an exception), and takes minutes on a
larger one. CPython rejects such files anyway, so input that may be that deep goes to
``ast.parse`` first (cheap text checks decide), and libcst always runs on a thread with
a large stack. When libcst fails, CPython says whether the file is really invalid.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    import libcst as cst

# Virtual size: pages are committed only as deep as a parse goes.
_STACK_BYTES = 256 * 1024 * 1024
# CPython refuses more than 200 nested brackets; libcst is slow long before that.
_DEEP_NESTING = 100
# A line this long may hold an operator chain deep enough to overflow a parser.
_LONG_LINE = 5_000
_BRACKETS = re.compile(r"[^()\[\]{}]+")
_PAIRS = re.compile(r"\(\)|\[\]|\{\}")
# Syntax of Python 3.12 that libcst parses: `type X = ...`, `def f[T]`, `class C[T]`, and
# f-strings that reuse their quote or span lines inside a replacement field (PEP 701).
# Loose on purpose: a false match costs one `ast.parse`.
_PY312_STATEMENTS = re.compile(
    r"^[ \t]*(?:type[ \t]+[A-Za-z_]\w*[ \t]*[=\[]|(?:async[ \t]+)?(?:def|class)[ \t]+[A-Za-z_]\w*[ \t]*\[)",
    re.MULTILINE,
)
_PY312_FSTRINGS = re.compile(r"[fF][rR]?(?:\"[^\"\n]*?\{[^}\"\n]*[\"\n]|'[^'\n]*?\{[^}'\n]*['\n])")

T = TypeVar("T")


class ParseFailure(Exception):
    """The source could not be parsed; ``cpython`` is True when CPython rejects it too."""

    def __init__(self, message: str, line: int, column: int, cpython: bool) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.cpython = cpython


def cpython_error(source: str) -> ParseFailure | None:
    """CPython's verdict on ``source``: its error (message, line, 1-based column), or None."""
    import ast

    try:
        ast.parse(source)
    except SyntaxError as exc:
        message = f"{type(exc).__name__}: {exc.msg}"
        return ParseFailure(message, exc.lineno or 1, max(exc.offset or 1, 1), True)
    except (ValueError, RecursionError, MemoryError) as exc:
        first = (str(exc).splitlines() or [""])[0]
        return ParseFailure(f"{type(exc).__name__}: {first}".rstrip(": "), 1, 1, True)
    return None


def may_trouble_libcst(source: str) -> bool:
    """Whether ``source`` may be too deep for libcst, or use syntax this CPython lacks."""
    if sys.version_info < (3, 12) and (
        _PY312_STATEMENTS.search(source) or _PY312_FSTRINGS.search(source)
    ):
        return True
    if len(source) > _LONG_LINE and any(len(line) > _LONG_LINE for line in source.split("\n")):
        return True
    return _nested_at_least(source, _DEEP_NESTING)


def _nested_at_least(source: str, depth: int) -> bool:
    """Brackets nest ``depth`` deep somewhere (roughly: brackets in strings count too)."""
    brackets = _BRACKETS.sub("", source)
    if len(brackets) < 2 * depth:
        return False
    for _ in range(depth):
        stripped = _PAIRS.sub("", brackets)
        if stripped == brackets:
            return False
        brackets = stripped
    return True


def parse_module(source: str) -> cst.Module:
    """The libcst tree of ``source``; raises ``ParseFailure`` with CPython's verdict."""
    if may_trouble_libcst(source):
        rejected = cpython_error(source)
        if rejected is not None:
            raise rejected
    import libcst as cst

    try:
        return on_large_stack(lambda: cst.parse_module(source))
    except Exception as exc:  # ParserSyntaxError, RecursionError, rarely others
        rejected = cpython_error(source)
        if rejected is not None:
            raise rejected from exc
        raise _libcst_failure(exc) from exc


def _libcst_failure(exc: Exception) -> ParseFailure:
    line = int(getattr(exc, "raw_line", 0) or 1)
    column = int(getattr(exc, "raw_column", 0) or 0) + 1
    message = getattr(exc, "message", None)
    if not isinstance(message, str):  # not a ParserSyntaxError: a libcst internal error
        message = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}".rstrip(": ")
    return ParseFailure((message.splitlines() or [""])[0], line, column, False)


def on_large_stack(function: Callable[[], T]) -> T:
    """``function()`` on a thread whose stack deep input cannot overflow."""
    executor = _large_stack_thread()
    if executor is None or threading.current_thread().name.startswith("mlint-large-stack"):
        return function()
    return executor.submit(function).result()


@cache
def _large_stack_thread() -> ThreadPoolExecutor | None:
    from concurrent.futures import ThreadPoolExecutor

    try:
        previous = threading.stack_size(_STACK_BYTES)
    except (ValueError, RuntimeError):  # a platform that cannot set it: parse in place
        return None
    try:
        executor = ThreadPoolExecutor(1, thread_name_prefix="mlint-large-stack")
        executor.submit(int).result()  # start the thread now, while the size applies
    finally:
        threading.stack_size(previous)
    return executor


if hasattr(os, "register_at_fork"):
    # A forked worker inherits the executor but not its thread: start a new one there.
    os.register_at_fork(after_in_child=_large_stack_thread.cache_clear)
