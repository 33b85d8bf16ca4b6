"""ML206 `backward-in-no-grad`: the rule and the helpers only it uses."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.blocks import grad_mode_at
from mlint.analysis.imports import dotted_name
from mlint.rule import Rule, register


@register
class BackwardInNoGrad(Rule):
    """## What it does
    Checks for `.backward()` lexically inside a `torch.no_grad()` /
    `torch.inference_mode()` / `set_grad_enabled(False)` block, or in a function decorated
    with one.

    ## Why is this bad?
    Nothing computed inside the block is recorded by autograd, so the loss has no graph:
    `backward()` raises "element 0 of tensors does not require grad" — or, when the loss
    was computed before the block, runs while the author believes it does not.

    `optimizer.step()` is not reported: optimizers run their update under `no_grad`
    themselves, so stepping inside the block is legitimate (custom optimizers, EMA,
    gradient-free updates). A nested `torch.enable_grad()` / `set_grad_enabled(True)`
    block re-enables autograd and is respected; `backward` of `torch.autograd.Function`
    classes (`Fn.backward(ctx, ...)`, `super().backward(...)`) is not a graph backward.

    ## Example
    ```python
    with torch.no_grad():
        loss = criterion(model(x), y)
        loss.backward()
    ```

    ## Use instead
    ```python
    loss = criterion(model(x), y)
    loss.backward()
    ```

    ## Fix safety
    No fix: where the block should end needs a human.

    ## Pattern
    `mlint.patterns.resources.grad_mode`
    """

    code = "ML206"
    name = "backward-in-no-grad"
    message = "`.backward()` inside a no-grad block: nothing was recorded to differentiate"
    triggers = ("backward",)
    pattern = "mlint.patterns.resources.grad_mode"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "backward"):
            return
        receiver = func.value
        if isinstance(receiver, cst.Call) and dotted_name(receiver.func) == "super":
            return
        if isinstance(receiver, cst.Name) and (
            receiver.value[:1].isupper() or receiver.value == "ctx"
        ):
            return
        ctx = self.context
        cls = ctx.enclosing(cst.ClassDef)
        if isinstance(cls, cst.ClassDef) and ctx.classes.is_autograd_function(cls):
            return
        if grad_mode_at(ctx.ancestors, ctx.imports) is False:
            self.report(
                node, f"`{ctx.code(node)}` inside a no-grad block: move it out of the block"
            )
