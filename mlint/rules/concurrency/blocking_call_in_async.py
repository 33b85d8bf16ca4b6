"""ML304 `blocking-call-in-async`: the rule and the helpers only it uses."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.imports import dotted_name
from mlint.rule import Rule, register
from mlint.rules.concurrency._shared import _asyncio_name, in_async_function, model_receiver
from mlint.types import Applicability, FixAvailability

_BLOCKING_CALLS = frozenset(
    {
        "time.sleep",
        "torch.load",
        "torch.save",
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "os.system",
    }
)

# Modules whose conventional alias counts even without an import (`torch`, `pd`).
_CONVENTIONAL_OK = frozenset({"torch", "pandas"})


@register
class BlockingCallInAsync(Rule):
    """## What it does
    Checks for blocking calls inside `async def`: `time.sleep`, `torch.load`,
    `*.from_pretrained`, `pd.read_*`, `subprocess.run`, and a model's `.generate()` or
    `.encode()`.

    ## Why is this bad?
    While a coroutine runs a blocking call, the event loop runs nothing else: loading a
    checkpoint or generating text for seconds freezes every other request.

    ## Example
    ```python
    async def handle(request):
        time.sleep(1)
        model = AutoModel.from_pretrained("bert-base-uncased")
    ```

    ## Use instead
    ```python
    async def handle(request):
        await asyncio.sleep(1)
        model = await asyncio.to_thread(AutoModel.from_pretrained, "bert-base-uncased")
    ```

    ## Fix safety
    Only `time.sleep(x)` used as a statement has a fix, `await asyncio.sleep(x)`; it is
    unsafe because other coroutines now run during the pause, which may be exactly what the
    blocking sleep prevented. Other calls need `asyncio.to_thread` and have no fix. Awaited
    calls (an async API of the same name) and calls inside a nested plain `def` or `lambda`
    (which run elsewhere, e.g. in `to_thread`) are not reported.

    ## Pattern
    `mlint.patterns.concurrency.to_thread`
    """

    code = "ML304"
    name = "blocking-call-in-async"
    message = "Blocking call inside `async def` stalls the event loop; use `asyncio.to_thread`"
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("async def",)
    pattern = "mlint.patterns.concurrency.to_thread"

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.context
        parent = ctx.parent
        if isinstance(parent, cst.Await) or not in_async_function(ctx):
            return
        blocking = self._blocking_name(node)
        if blocking is None:
            return
        if blocking == "time.sleep":
            fix = None
            asyncio_name = _asyncio_name(ctx)
            if isinstance(parent, cst.Expr) and asyncio_name is not None:
                aio, imports = asyncio_name
                fix = self.make_fix(
                    [ctx.replace(node.func, f"await {aio}.sleep"), *imports],
                    Applicability.UNSAFE,
                    "Use `await asyncio.sleep(...)`",
                )
            self.report(
                node,
                "`time.sleep()` blocks the event loop inside `async def`; "
                "use `await asyncio.sleep()`",
                fix=fix,
            )
            return
        self.report(
            node,
            f"`{blocking}()` blocks the event loop inside `async def`; "
            "run it with `await asyncio.to_thread(...)`",
        )

    def _blocking_name(self, node: cst.Call) -> str | None:
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "from_pretrained":
                return self.context.code(func)
            if method in ("generate", "encode"):
                receiver = dotted_name(func.value)
                if model_receiver(receiver):
                    return f"{receiver}.{method}"
        resolved = self.context.imports.resolve(func)
        if resolved is None:
            return None
        head = resolved.name.partition(".")[0]
        if not (resolved.certain or head in _CONVENTIONAL_OK):
            return None
        if resolved.name in _BLOCKING_CALLS:
            return resolved.name
        module, _, function = resolved.name.rpartition(".")
        if module == "pandas" and function.startswith("read_"):
            return resolved.name
        return None
