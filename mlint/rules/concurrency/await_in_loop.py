"""ML301 `await-in-loop`: the rule and the helpers only it uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import libcst as cst

from mlint.analysis.blocks import iter_nodes
from mlint.analysis.callgraph import FunctionIndex, has_await
from mlint.analysis.imports import dotted_name
from mlint.analysis.origin import names_bound, names_read, statement_bindings
from mlint.rule import FileContext, Rule, register
from mlint.rules.concurrency._shared import (
    _asyncio_name,
    _is_stateful,
    _sequencing,
    _whole_lines,
    in_async_function,
)
from mlint.types import Applicability, Fix, FixAvailability
from mlint.walker import children as child_nodes


@dataclass(frozen=True)
class _LoopScan:
    awaits: tuple[cst.Await, ...]
    exits: bool  # break or yield somewhere in the body
    returns: tuple[cst.Return, ...]
    guarded: bool  # `async with` / `async for` inside: ordering through a resource
    bookkeeping: bool  # per-item `print` or an update of `self` state: order is visible


_MUTATORS = frozenset(
    {"append", "extend", "add", "discard", "remove", "pop", "update", "insert", "clear"}
)


def _is_bookkeeping(node: cst.CSTNode) -> bool:
    """``print(...)``, ``self.x = ...``, ``self.items.add(...)``: ordered per-item effects."""
    if isinstance(node, cst.Call):
        if isinstance(node.func, cst.Name) and node.func.value == "print":
            return True
        func = node.func
        return (
            isinstance(func, cst.Attribute)
            and func.attr.value in _MUTATORS
            and (dotted_name(func.value) or "").startswith("self.")
        )
    if isinstance(node, (cst.AssignTarget, cst.AugAssign)):
        return (dotted_name(node.target) or "").startswith("self.")
    return False


_HANDLER_WORDS = frozenset(
    {
        "hook",
        "interceptor",
        "handler",
        "middleware",
        "processor",
        "callback",
        "plugin",
        "listener",
        "validator",
        "filter",
    }
)


def _is_handler(name: str) -> bool:
    """``hook``, ``self.hooks``, ``tool_result_hooks``: a chain of handlers run in order."""
    last = name.lower().split("_")[-1]
    return last in _HANDLER_WORDS or last.rstrip("s") in _HANDLER_WORDS


def _scan_loop_body(body: cst.BaseSuite) -> _LoopScan:
    awaits: list[cst.Await] = []
    returns: list[cst.Return] = []
    exits = guarded = bookkeeping = False
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        bookkeeping = bookkeeping or _is_bookkeeping(node)
        if isinstance(node, cst.Return):
            returns.append(node)
        elif isinstance(node, (cst.Break, cst.Yield)):
            exits = True
        elif isinstance(node, (cst.With, cst.For)) and node.asynchronous is not None:
            guarded = True
        elif isinstance(node, cst.Await):
            awaits.append(node)
        stack.extend(reversed(tuple(child_nodes(node))))
    return _LoopScan(tuple(awaits), exits, tuple(returns), guarded, bookkeeping)


@register
class AwaitInLoop(Rule):
    """## What it does
    Checks for a plain `for` loop inside `async def` that awaits, one iteration at a time,
    a call whose arguments depend only on the loop variable and names the loop does not
    change.

    ## Why is this bad?
    Each `await` waits for the previous request to finish: a hundred LLM or HTTP calls of
    one second take a hundred seconds instead of about one. The calls are independent, so
    they can run together with `asyncio.gather` (bounded, to respect rate limits).

    This rule is opt-in: select it with `--select ML301`; on real services many awaited
    loops were ordered on purpose (handler chains, shared state, a few items), so about
    half of its findings were not worth changing.

    ## Example
    ```python
    async def embed_all(texts):
        out = []
        for text in texts:
            out.append(await embed(text))
        return out
    ```

    ## Use instead
    ```python
    async def embed_all(texts):
        out = list(await asyncio.gather(*(embed(text) for text in texts)))
        return out
    ```

    ## Fix safety
    Loops that `break`, `return` or `yield`, that also await `asyncio.sleep`, a lock, a
    queue or a stream, that use `async with`/`async for`, or whose call uses a value the
    loop body assigns (a loop-carried dependency) or a stateful receiver (a session, a
    connection, a cursor) are not reported. The fix, offered only for `out = []` directly
    followed by `for x in xs: out.append(await f(x))`, is unsafe: the calls then overlap,
    which changes the order of their side effects and may exceed a rate limit (use
    `mlint.patterns.concurrency.gather_bounded` to cap the concurrency).

    ## Pattern
    `mlint.patterns.concurrency.gather_bounded`
    """

    code = "ML301"
    name = "await-in-loop"
    message = (
        "`await` inside a `for` loop runs independent calls one at a time; use `asyncio.gather`"
    )
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("async def",)
    pattern = "mlint.patterns.concurrency.gather_bounded"
    default: ClassVar[bool] = False

    def __init__(self, context: FileContext, options: Any = None) -> None:
        super().__init__(context, options)
        self._index: FunctionIndex | None = None
        self._iterable = ""

    def visit_For(self, node: cst.For) -> None:
        ctx = self.context
        if node.asynchronous is not None or node.orelse is not None:
            return
        if not in_async_function(ctx):
            return
        loop_names = names_bound(node.target)
        if not loop_names:
            return
        self._iterable = (dotted_name(node.iter) or "").rpartition(".")[2]
        scan = _scan_loop_body(node.body)
        if scan.exits or scan.guarded or scan.bookkeeping or not scan.awaits:
            return
        changed = statement_bindings(node.body) - loop_names
        if any(names_read(r) & (loop_names | changed) for r in scan.returns):
            return  # a search: it stops at the first item that answers
        calls = [a.expression for a in scan.awaits if isinstance(a.expression, cst.Call)]
        if any(_sequencing(call, ctx) or self._ordered(call, loop_names) for call in calls):
            return
        for awaited in scan.awaits:
            call = awaited.expression
            if not isinstance(call, cst.Call):
                continue
            reads = names_read(call)
            if reads & loop_names and not reads & changed:
                self.report(
                    awaited,
                    f"`await {ctx.code(call.func)}(...)` in a `for` loop runs one call at a "
                    "time; run them together with `asyncio.gather`",
                    fix=self._fix(node, awaited),
                )
                return

    def _ordered(self, call: cst.Call, loop_names: frozenset[str]) -> bool:
        """Whether the calls must run in order although each reads the loop variable.

        A handler chain (``await hook.run(request)``: each item acts on one shared object),
        a shared session or pipeline passed in, or a coroutine of this file that never
        suspends or that updates ``self`` for the next iteration.
        """
        ctx = self.context
        callee_root = (dotted_name(call.func) or "").partition(".")[0]
        shared = names_read(call) - loop_names - {callee_root}
        if callee_root in loop_names and shared:
            return True
        if shared and any(_is_handler(name) for name in loop_names | {self._iterable}):
            return True  # `for hook in hooks: await run_hook(hook, request)`
        for arg in call.args:
            name = dotted_name(arg.value)
            if name is not None and _is_stateful(name):
                return True
        if self._index is None:
            self._index = FunctionIndex.of(ctx.module)
        function = ctx.enclosing(cst.FunctionDef)
        target = self._index.callee(
            call, function if isinstance(function, cst.FunctionDef) else None
        )
        if target is None or target.asynchronous is None:
            return False
        if not has_await(target):
            return True  # no I/O to overlap: gathering changes nothing
        return any(_is_bookkeeping(n) for n in iter_nodes(target.body))

    def _fix(self, loop: cst.For, awaited: cst.Await) -> Fix | None:
        """``out = []; for x in xs: out.append(await f(x))`` -> one gather, else ``None``."""
        ctx = self.context
        if not isinstance(loop.body, cst.IndentedBlock) or len(loop.body.body) != 1:
            return None
        line = loop.body.body[0]
        if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1):
            return None
        if loop.body.header.comment or line.leading_lines:
            return None
        expr = line.body[0]
        if not (isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call)):
            return None
        append = expr.value
        if not (
            isinstance(append.func, cst.Attribute)
            and append.func.attr.value == "append"
            and isinstance(append.func.value, cst.Name)
            and len(append.args) == 1
            and append.args[0].keyword is None
            and append.args[0].star == ""
            and append.args[0].value is awaited
        ):
            return None
        out = append.func.value.value
        previous = self._previous_statement(loop)
        if not (isinstance(previous, cst.SimpleStatementLine) and len(previous.body) == 1):
            return None
        assign = previous.body[0]
        if not (
            isinstance(assign, cst.Assign)
            and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
            and assign.targets[0].target.value == out
            and isinstance(assign.value, cst.List)
            and not assign.value.elements
        ):
            return None
        if any(c.comment for c in (*loop.leading_lines,)) or previous.trailing_whitespace.comment:
            return None
        if out in names_read(awaited) or out in names_read(loop.iter):
            return None
        asyncio_name = _asyncio_name(ctx)
        if asyncio_name is None:
            return None
        aio, imports = asyncio_name
        generator = (
            f"{ctx.code(awaited.expression)} for {ctx.code(loop.target)} in {ctx.code(loop.iter)}"
        )
        text = f"{out} = list(await {aio}.gather(*({generator})))"
        moved = line.trailing_whitespace.comment
        if moved is not None and previous.trailing_whitespace.comment is None:
            text += f"  {moved.value}"  # keep the loop body's comment
        elif moved is not None:
            return None
        return self.make_fix(
            [ctx.replace(assign, text), _whole_lines(ctx, loop), *imports],
            Applicability.UNSAFE,
            "Gather the calls with `asyncio.gather`",
        )

    def _previous_statement(self, statement: cst.CSTNode) -> cst.CSTNode | None:
        parent = self.context.parent
        body = parent.body if isinstance(parent, (cst.IndentedBlock, cst.Module)) else ()
        for index, item in enumerate(body):
            if item is statement:
                return body[index - 1] if index > 0 else None
        return None
