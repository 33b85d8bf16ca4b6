"""ML301 `await-in-loop`: the rule and the helpers only it uses."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from mlint.analysis.origin import names_bound, names_read, statement_bindings
from mlint.rule import Rule, register
from mlint.rules.concurrency._shared import (
    _asyncio_name,
    _sequencing,
    _whole_lines,
    in_async_function,
)
from mlint.types import Applicability, Fix, FixAvailability
from mlint.walker import children as child_nodes


@dataclass(frozen=True)
class _LoopScan:
    awaits: tuple[cst.Await, ...]
    exits: bool  # break, return or yield somewhere in the body
    guarded: bool  # `async with` / `async for` inside: ordering through a resource


def _scan_loop_body(body: cst.BaseSuite) -> _LoopScan:
    awaits: list[cst.Await] = []
    exits = guarded = False
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, (cst.Break, cst.Return, cst.Yield)):
            exits = True
        elif isinstance(node, (cst.With, cst.For)) and node.asynchronous is not None:
            guarded = True
        elif isinstance(node, cst.Await):
            awaits.append(node)
        stack.extend(reversed(tuple(child_nodes(node))))
    return _LoopScan(tuple(awaits), exits, guarded)


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

    def visit_For(self, node: cst.For) -> None:
        ctx = self.context
        if node.asynchronous is not None or node.orelse is not None:
            return
        if not in_async_function(ctx):
            return
        loop_names = names_bound(node.target)
        if not loop_names:
            return
        scan = _scan_loop_body(node.body)
        if scan.exits or scan.guarded or not scan.awaits:
            return
        calls = [a.expression for a in scan.awaits if isinstance(a.expression, cst.Call)]
        if any(_sequencing(call, ctx) for call in calls):
            return
        changed = statement_bindings(node.body) - loop_names
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
