"""ML305 `nested-event-loop`: the rule and the helpers only it uses."""

from __future__ import annotations

import libcst as cst

from mlint.rule import Rule, register
from mlint.rules.concurrency._shared import in_async_function

_NESTED_LOOP_CALLS = frozenset({"asyncio.run", "anyio.run"})


@register
class NestedEventLoop(Rule):
    """## What it does
    Checks for `asyncio.run(...)` or `loop.run_until_complete(...)` inside `async def`.

    ## Why is this bad?
    An event loop is already running there: `asyncio.run` raises `RuntimeError: asyncio.run()
    cannot be called from a running event loop`, and `run_until_complete` raises
    `This event loop is already running`. Patching it with `nest_asyncio` hides a design
    problem: the coroutine should simply be awaited.

    ## Example
    ```python
    async def main():
        result = asyncio.run(fetch())
    ```

    ## Use instead
    ```python
    async def main():
        result = await fetch()
    ```

    ## Fix safety
    No fix: whether the caller should await the coroutine or become synchronous is a
    design decision. A nested plain `def` inside `async def` is not async context.

    ## Pattern
    `mlint.patterns.concurrency.run_sync`
    """

    code = "ML305"
    name = "nested-event-loop"
    message = "Starting an event loop inside `async def` fails at runtime; `await` the coroutine"
    triggers = ("async def",)
    pattern = "mlint.patterns.concurrency.run_sync"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        is_run_until_complete = (
            isinstance(func, cst.Attribute) and func.attr.value == "run_until_complete"
        )
        if not is_run_until_complete and self.context.imports.qualified(func) not in (
            _NESTED_LOOP_CALLS
        ):
            return
        if not in_async_function(self.context):
            return
        name = "run_until_complete" if is_run_until_complete else self.context.code(func)
        self.report(
            node,
            f"`{name}()` inside `async def` starts a second event loop and fails at runtime; "
            "`await` the coroutine instead",
        )
