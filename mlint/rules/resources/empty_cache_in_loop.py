"""ML205 `empty-cache-in-loop`: the rule and the helpers only it uses."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from mlint.analysis.blocks import iter_nodes
from mlint.analysis.origin import statement_bindings
from mlint.rule import Rule, register

_EMPTY_CACHE = "torch.cuda.empty_cache"


def _phase_loop(loop: cst.For | cst.While, call: cst.Call) -> bool:
    """Whether each iteration is a whole phase: it runs an inner loop (a fold's training, an
    epoch's batches) or drops an object it built (``model = ...; del model``)."""
    bound = statement_bindings(loop.body)
    for node in iter_nodes(loop.body):
        if isinstance(node, (cst.For, cst.While)) and not any(
            inner is call for inner in iter_nodes(node)
        ):
            return True
        if isinstance(node, cst.Del):
            targets = node.target.elements if isinstance(node.target, cst.Tuple) else ()
            names = [e.value for e in targets] if targets else [node.target]
            if any(isinstance(n, cst.Name) and n.value in bound for n in names):
                return True
    return False


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
    and retrying is a legitimate use), calls in a function defined inside a loop, and
    releases at a phase boundary: an iteration that runs a whole inner loop (a
    cross-validation fold, an epoch) or deletes an object it built (`model = ...; ...;
    del model`, one ensemble member, model size or batch-size trial per iteration).

    This rule is opt-in: select it with `--select ML205`; on real application code most
    releases in loops were once per epoch or per validation, cheap enough not to be worth
    changing.

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
    message = (
        "`torch.cuda.empty_cache()` in a loop slows every iteration: call it once after the loop"
    )
    triggers = ("empty_cache",)
    pattern = "mlint.patterns.resources.cuda_memory_scope"
    default: ClassVar[bool] = False

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.context
        if ctx.imports.qualified(node.func) != _EMPTY_CACHE:
            return
        child: cst.CSTNode = node
        for ancestor in reversed(ctx.ancestors):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.ExceptHandler)):
                return
            if isinstance(ancestor, (cst.For, cst.While)) and child is ancestor.body:
                if not _phase_loop(ancestor, node):
                    self.report(node)
                return
            child = ancestor
