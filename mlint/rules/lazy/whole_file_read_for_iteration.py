"""ML103 `whole-file-read-for-iteration`: the rule and the helpers only it uses."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from mlint.analysis.defuse import DefUse
from mlint.rule import Rule, register
from mlint.rules.lazy._shared import (
    _defuse,
    _enclosing_function,
    _keyword,
    _qualified,
    _string_value,
    _walk,
)
from mlint.types import Applicability, FixAvailability

_OPENERS = frozenset({"open", "io.open", "codecs.open"})


@register
class WholeFileReadForIteration(Rule):
    """## What it does
    Checks for iterating over a whole file read into memory: `for line in
    f.readlines()`, `for line in f.read().splitlines()` (or `.split("\\n")`), and
    the same as the source of a comprehension.

    ## Why is this bad?
    `readlines()` and `read()` load the entire file, and then a second copy as a list
    of lines, before the first line is processed. A file object is already an
    iterator over its lines and reads them one buffer at a time, so memory stays
    constant however large the file (a JSONL shard, a log, a corpus) grows.

    ## Example
    ```python
    with open(path) as f:
        for line in f.readlines():
            handle(line)
    ```

    ## Use instead
    ```python
    with open(path) as f:
        for line in f:
            handle(line)
    ```

    ## Fix safety
    `for x in f.readlines():` becomes `for x in f:`. The fix is safe when `f` is bound
    by `with open(...) as f` or `f = open(...)` in text mode in the same function and
    the loop body does not touch `f`; otherwise (an unknown receiver, a comprehension) it
    is unsafe. `read().splitlines()` and `split("\\n")` drop line endings, so they get
    no fix.

    This rule is opt-in: select it with `--select ML103`. On real application code
    the files read were class-name lists and small
    CI files, where reading them whole is as good as streaming.

    ## Pattern
    `mlint.patterns.lazy.iter_lines`
    """

    code = "ML103"
    name = "whole-file-read-for-iteration"
    message = "Whole file read into memory to iterate its lines: iterate the file object"
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("readlines(", ".read()", "read_text()")
    pattern = "mlint.patterns.lazy.iter_lines"
    default: ClassVar[bool] = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._defuse: dict[int, DefUse] = {}

    def visit_For(self, node: cst.For) -> None:
        self._check(node.iter, node)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._check(node.iter, None)

    def _check(self, iterable: cst.BaseExpression, loop: cst.For | None) -> None:
        if not isinstance(iterable, cst.Call) or not isinstance(iterable.func, cst.Attribute):
            return
        method = iterable.func.attr.value
        receiver = iterable.func.value
        ctx = self.context
        if method == "readlines" and not iterable.args:
            fix = None
            applicability = self._file_applicability(receiver, loop)
            if applicability is not None:
                fix = self.make_fix(
                    [ctx.replace(iterable, ctx.code(receiver))],
                    applicability,
                    "Iterate the file object",
                )
            self.report(
                iterable,
                f"`{ctx.code(iterable)}` reads the whole file: iterate `{ctx.code(receiver)}` "
                "line by line instead",
                fix=fix,
            )
        elif _is_line_split(iterable) and _is_whole_read(receiver):
            self.report(
                iterable,
                "Whole file read and split to iterate its lines: iterate the file object "
                'line by line (`line.rstrip("\\n")`) instead',
            )

    def _file_applicability(
        self, receiver: cst.BaseExpression, loop: cst.For | None
    ) -> Applicability | None:
        """SAFE for a text file bound in this function and untouched by the loop; UNSAFE if unsure."""
        if isinstance(receiver, cst.Call):
            return Applicability.UNSAFE if self._is_opener(receiver) else None
        if not isinstance(receiver, cst.Name):
            return None
        function = _enclosing_function(self)
        if function is None or loop is None:
            return Applicability.UNSAFE
        defuse = _defuse(self, function, self._defuse)
        bindings = defuse.bindings(receiver.value)
        if len(bindings) != 1 or not self._bound_to_text_file(function, bindings[0].node):
            return Applicability.UNSAFE
        if defuse.uses_within(receiver.value, loop.body):
            return Applicability.UNSAFE
        return Applicability.SAFE

    def _is_opener(self, call: cst.Call) -> bool:
        return _qualified(self, call.func) in _OPENERS

    def _bound_to_text_file(self, function: cst.FunctionDef, name: cst.Name) -> bool:
        for node in _walk(function.body):
            if (
                isinstance(node, cst.WithItem)
                and node.asname is not None
                and node.asname.name is name
                and isinstance(node.item, cst.Call)
            ):
                return self._opens_text(node.item)
            if isinstance(node, cst.Assign) and any(t.target is name for t in node.targets):
                return isinstance(node.value, cst.Call) and self._opens_text(node.value)
        return False

    def _opens_text(self, call: cst.Call) -> bool:
        if not self._is_opener(call):
            return False
        mode_arg = _keyword(call, "mode")
        if mode_arg is None and len(call.args) > 1 and call.args[1].keyword is None:
            mode_arg = call.args[1]
        if mode_arg is None:
            return True
        mode = _string_value(mode_arg.value)
        return mode is not None and "b" not in mode


def _is_line_split(call: cst.Call) -> bool:
    """``x.splitlines()`` or ``x.split("\\n")``."""
    assert isinstance(call.func, cst.Attribute)
    method = call.func.attr.value
    if method == "splitlines":
        return not call.args
    if method == "split" and len(call.args) == 1:
        return _string_value(call.args[0].value) == "\n"
    return False


def _is_whole_read(node: cst.BaseExpression) -> bool:
    """``f.read()`` or ``path.read_text()``, possibly ``.strip()``-ed."""
    while (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in ("strip", "rstrip", "lstrip")
    ):
        node = node.func.value
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in ("read", "read_text")
        and not any(arg.keyword is None for arg in node.args)
    )
