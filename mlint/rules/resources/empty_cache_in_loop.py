"""ML205 `empty-cache-in-loop`: the rule and the helpers only it uses."""

from __future__ import annotations

import libcst as cst

from mlint.rule import Rule, register

_EMPTY_CACHE = "torch.cuda.empty_cache"


@register
class EmptyCacheInLoop(Rule):
    """## What it does
    Checks for `torch.cuda.empty_cache()` inside a loop body.

    ## Why is this bad?
    `empty_cache()` hands the caching allocator's free blocks back to the driver; the
    next iteration has to `cudaMalloc` them again, which is slow and synchronizes the
    device. It frees no memory that tensors still use, so it cannot fix an
    out-of-memory error either. Release once, when a phase ends, if another process
    needs the memory.

    Not reported: calls in an `except` block (recovering from an out-of-memory error
    and retrying is a legitimate use) and calls in a function defined inside a loop.

    ## Example
    ```python
    for batch in loader:
        loss = step(model, batch)
        torch.cuda.empty_cache()
    ```

    ## Use instead
    ```python
    from mlint.patterns.resources import cuda_memory_scope

    with cuda_memory_scope() as memory:
        for batch in loader:
            loss = step(model, batch)
    print(memory.peak_allocated)
    ```

    ## Fix safety
    No fix: moving the call changes when memory is returned.

    ## Pattern
    `mlint.patterns.resources.cuda_memory_scope`
    """

    code = "ML205"
    name = "empty-cache-in-loop"
    # Opt-in: below the 90% bar on real application code (benchmarks/realworld/).
    default = False
    message = (
        "`torch.cuda.empty_cache()` in a loop slows every iteration: call it once after the loop"
    )
    triggers = ("empty_cache",)
    pattern = "mlint.patterns.resources.cuda_memory_scope"

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.context
        if ctx.imports.qualified(node.func) != _EMPTY_CACHE:
            return
        child: cst.CSTNode = node
        for ancestor in reversed(ctx.ancestors):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.ExceptHandler)):
                return
            if isinstance(ancestor, (cst.For, cst.While)) and child is ancestor.body:
                self.report(node)
                return
            child = ancestor
