"""ML302 `sequential-awaits`: the rule and the helpers only it uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst

from mlint.analysis.callgraph import FunctionIndex, has_await
from mlint.analysis.origin import names_read
from mlint.rule import FileContext, Rule, register
from mlint.rules.concurrency._shared import (
    _asyncio_name,
    _receiver,
    _sequencing,
    _whole_lines,
    in_async_function,
)
from mlint.types import Applicability, Fix, FixAvailability
from mlint.walker import children as child_nodes


@dataclass(frozen=True)
class _AwaitedAssignment:
    line: cst.SimpleStatementLine
    assign: cst.Assign
    target: str
    call: cst.Call
    reads: frozenset[str]
    receiver: str | None


def _used_after(name: str, rest: Sequence[cst.BaseStatement]) -> bool:
    return any(name in names_read(statement) for statement in rest)


@register
class SequentialAwaits(Rule):
    """## What it does
    Checks for two or more consecutive statements that each assign the result of awaiting
    an independent call (`a = await f()` then `b = await g()`), inside `async def`.

    ## Why is this bad?
    The second request only starts once the first has finished, so the latencies add up.
    When no call uses a result of an earlier one, they can run together.

    ## Example
    ```python
    async def load(user_id):
        profile = await fetch_profile(user_id)
        history = await fetch_history(user_id)
        return profile, history
    ```

    ## Use instead
    ```python
    async def load(user_id):
        profile, history = await asyncio.gather(fetch_profile(user_id), fetch_history(user_id))
        return profile, history
    ```

    ## Fix safety
    A run ends at a call that reads a name bound by an earlier await, at a second call on
    the same receiver, at a stateful receiver (a session, a connection, a cursor, a lock, a
    queue, a stream) and at awaits that order work on purpose (`asyncio.sleep`, `close`,
    `commit`, ...). Awaits whose result is not assigned, or assigned but never read, are
    never reported: they are run for their side effects (a refresh before a listing), whose
    order matters. Coroutines of the same file that never `await` are not reported either:
    they do no I/O, so gathering them changes nothing. The fix is unsafe: the calls overlap, and
    their side effects may depend on each other in ways the code does not show.

    ## Pattern
    `mlint.patterns.concurrency.gather_bounded`
    """

    code = "ML302"
    name = "sequential-awaits"
    message = "Independent `await`s run one after another; run them together with `asyncio.gather`"
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("async def",)
    pattern = "mlint.patterns.concurrency.gather_bounded"

    def __init__(self, context: FileContext, options: Any = None) -> None:
        super().__init__(context, options)
        self._index: FunctionIndex | None = None

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if not in_async_function(self.context):
            return
        run: list[_AwaitedAssignment] = []
        for index, statement in enumerate(node.body):
            item = self._candidate(statement)
            if item is not None and not _used_after(item.target, node.body[index + 1 :]):
                item = None  # awaited for its side effect: what follows may depend on it
            if item is None or self._conflicts(run, item):
                self._flush(run)
                run = [item] if item is not None else []
            else:
                run.append(item)
        self._flush(run)

    def _candidate(self, statement: cst.BaseStatement) -> _AwaitedAssignment | None:
        if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
            return None
        assign = statement.body[0]
        if not (
            isinstance(assign, cst.Assign)
            and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
            and isinstance(assign.value, cst.Await)
            and isinstance(assign.value.expression, cst.Call)
        ):
            return None
        call = assign.value.expression
        if _sequencing(call, self.context) or self._never_suspends(call):
            return None
        if any(isinstance(n, cst.Await) for n in _descendants(call)):
            return None
        target = assign.targets[0].target
        assert isinstance(target, cst.Name)
        return _AwaitedAssignment(
            statement, assign, target.value, call, names_read(call), _receiver(call, self.context)
        )

    def _never_suspends(self, call: cst.Call) -> bool:
        """A coroutine of this file with no ``await``: there is nothing to overlap."""
        if self._index is None:
            self._index = FunctionIndex.of(self.context.module)
        function = self.context.enclosing(cst.FunctionDef)
        caller = function if isinstance(function, cst.FunctionDef) else None
        target = self._index.callee(call, caller)
        return target is not None and target.asynchronous is not None and not has_await(target)

    @staticmethod
    def _conflicts(run: list[_AwaitedAssignment], item: _AwaitedAssignment) -> bool:
        for earlier in run:
            if earlier.target in item.reads or earlier.target == item.target:
                return True
            if item.receiver is not None and item.receiver == earlier.receiver:
                return True
            if item.receiver == "<expression>" or earlier.receiver == "<expression>":
                return True
        return False

    def _flush(self, run: list[_AwaitedAssignment]) -> None:
        if len(run) < 2:
            return
        names = ", ".join(f"`{item.target}`" for item in run)
        self.report(
            run[0].assign,
            f"{len(run)} independent `await`s ({names}) run one after another; "
            "run them together with `asyncio.gather`",
            fix=self._fix(run),
        )

    def _fix(self, run: list[_AwaitedAssignment]) -> Fix | None:
        ctx = self.context
        for index, item in enumerate(run):
            if index and item.line.trailing_whitespace.comment:
                return None  # deleting the line would drop the comment
            if index and item.line.leading_lines:
                return None
        asyncio_name = _asyncio_name(ctx)
        if asyncio_name is None:
            return None
        aio, imports = asyncio_name
        targets = ", ".join(item.target for item in run)
        calls = ", ".join(ctx.code(item.call) for item in run)
        edits = [ctx.replace(run[0].assign, f"{targets} = await {aio}.gather({calls})")]
        edits.extend(_whole_lines(ctx, item.line) for item in run[1:])
        return self.make_fix(
            [*edits, *imports], Applicability.UNSAFE, "Gather the awaits with `asyncio.gather`"
        )


def _descendants(node: cst.CSTNode) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []
    stack = list(child_nodes(node))
    while stack:
        item = stack.pop()
        out.append(item)
        stack.extend(child_nodes(item))
    return out
