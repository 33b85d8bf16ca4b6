"""Pillar 5: protocols and magic methods (ML5xx)."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.modules import init_module_attributes, local_module_names
from mlint.rule import Rule, register
from mlint.types import Applicability, FixAvailability


@register
class DirectForwardCall(Rule):
    """## What it does
    Checks for `module.forward(x)` called directly on an `nn.Module`.

    ## Why is this bad?
    `nn.Module.__call__` runs the forward pre-hooks and hooks (used by profilers,
    quantization, pruning, `torch.compile` guards, activation checkpointing and
    `register_forward_hook` users) around `forward`. Calling `.forward()` directly
    skips all of them, silently.

    ## Example
    ```python
    model = nn.Linear(4, 2)
    out = model.forward(x)
    ```

    ## Use instead
    ```python
    model = nn.Linear(4, 2)
    out = model(x)
    ```

    ## Fix safety
    The fix is safe when the receiver is proven to be an `nn.Module` (built by a
    module constructor in the same function, or assigned so in `__init__`), and unsafe
    otherwise. `super().forward(...)`, `Parent.forward(self, ...)`, `self.forward` inside
    `forward`, and `torch.autograd.Function` classes are never reported. Files that do not
    import torch are skipped unless the receiver is proven.

    ## Pattern
    `mlint.patterns.protocols.module_example`
    """

    code = "ML501"
    name = "direct-forward-call"
    message = "Call the module instead of `.forward()`: hooks are skipped"
    fix_availability = FixAvailability.SOMETIMES
    triggers = (".forward(",)
    pattern = "mlint.patterns.protocols.module_example"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "forward"):
            return
        receiver = func.value
        if isinstance(receiver, cst.Call):
            return  # super().forward(...), get_model().forward(...)
        if isinstance(receiver, cst.Name) and receiver.value[:1].isupper():
            return  # Parent.forward(self, ...), Function.forward(ctx, ...)
        ctx = self.context
        cls = ctx.enclosing(cst.ClassDef)
        if isinstance(cls, cst.ClassDef) and ctx.classes.is_autograd_function(cls):
            return
        function = ctx.enclosing(cst.FunctionDef)
        is_self = isinstance(receiver, cst.Name) and receiver.value == "self"
        if is_self and isinstance(function, cst.FunctionDef) and function.name.value in (
            "forward",
            "__call__",
        ):
            return
        certain = self._proven_module(receiver, cls, function)
        if not certain:
            if is_self:
                if not (isinstance(cls, cst.ClassDef) and ctx.classes.is_module(cls)):
                    return
            elif not ctx.imports.imports_module("torch"):
                return
        fix = self.make_fix(
            [ctx.replace(func, ctx.code(receiver))],
            Applicability.SAFE if certain else Applicability.UNSAFE,
            "Call the module",
        )
        self.report(
            node,
            f"Call the module instead of `{ctx.code(func)}()`: forward hooks are skipped",
            fix=fix,
        )

    def _proven_module(
        self,
        receiver: cst.BaseExpression,
        cls: cst.CSTNode | None,
        function: cst.CSTNode | None,
    ) -> bool:
        ctx = self.context
        if isinstance(receiver, cst.Name):
            if receiver.value == "self":
                return isinstance(cls, cst.ClassDef) and ctx.classes.is_module(cls)
            body = function.body if isinstance(function, cst.FunctionDef) else ctx.module
            return receiver.value in local_module_names(body, ctx.imports, ctx.classes)
        if (
            isinstance(receiver, cst.Attribute)
            and isinstance(receiver.value, cst.Name)
            and receiver.value.value == "self"
            and isinstance(cls, cst.ClassDef)
        ):
            return receiver.attr.value in init_module_attributes(cls, ctx.imports, ctx.classes)
        return False
