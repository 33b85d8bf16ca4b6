"""ML501 `direct-forward-call`: the rule and the helpers only it uses."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from mlint.analysis.imports import dotted_name
from mlint.analysis.modules import file_module_attributes, file_module_names, walk_statements
from mlint.rule import Rule, register
from mlint.rules.protocols._shared import _is_self, _methods, _self_attribute
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
    otherwise. `super().forward(...)`, `Parent.forward(self, ...)` and
    `nn.LayerNorm.forward(self, x)`, `helper.forward(self, ...)` (a strategy object that
    takes the layer), `self.forward(...)` in the class's own methods (a LightningModule's
    `validation_step` calling its forward: hooks are for outside callers), RPC
    `RemoteModule` objects (their API is `.forward`), `torch.autograd.Function` classes,
    and receivers that are certainly not modules (a parameter annotated with a non-module
    class of the same file, a TorchScript object from `torch.classes`) are never
    reported. Files that do not import torch are skipped unless the receiver is proven.

    This rule is opt-in: select it with `--select ML501`. On real application code its
    findings were `model.forward(x)` in notebooks and scripts that register no hooks:
    technically right, but not worth changing.

    ## Pattern
    `mlint.patterns.protocols.module_example`
    """

    code = "ML501"
    name = "direct-forward-call"
    message = "Call the module instead of `.forward()`: hooks are skipped"
    fix_availability = FixAvailability.SOMETIMES
    triggers = (".forward(",)
    pattern = "mlint.patterns.protocols.module_example"
    default: ClassVar[bool] = False

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "forward"):
            return
        receiver = func.value
        if isinstance(receiver, cst.Call):
            return  # super().forward(...), get_model().forward(...)
        dotted = dotted_name(receiver)
        if dotted is not None and dotted.rpartition(".")[2][:1].isupper():
            return  # Parent.forward(self, ...), nn.LayerNorm.forward(self, x)
        if isinstance(receiver, cst.Name) and receiver.value == "self":
            return  # a module's own method calling its forward: hooks are for outside callers
        if node.args and _is_self(node.args[0].value):
            return  # helper.forward(self, ...): a strategy object, not a submodule
        ctx = self.context
        cls = ctx.enclosing(cst.ClassDef)
        if isinstance(cls, cst.ClassDef) and ctx.classes.is_autograd_function(cls):
            return
        function = ctx.enclosing(cst.FunctionDef)
        certain = self._proven_module(receiver, cls, function)
        if not certain:
            if self._proven_other(receiver, cls, function):
                return
            if not ctx.imports.imports_module("torch"):
                return
        fix = self.make_fix(
            [ctx.replace(func, ctx.render(receiver))],
            Applicability.SAFE if certain else Applicability.UNSAFE,
            "Call the module",
        )
        self.report(
            node,
            f"Call the module instead of `{ctx.code(func)}()`: forward hooks are skipped",
            fix=fix,
        )

    def _proven_other(
        self,
        receiver: cst.BaseExpression,
        cls: cst.CSTNode | None,
        function: cst.CSTNode | None,
    ) -> bool:
        """Whether the receiver is certainly something else than a module.

        A parameter annotated with a same-file class that is not a module, or a
        ``self.x`` that the class assigns from ``torch.classes``/``torch.ops`` (TorchScript
        custom classes have a ``forward`` too).
        """
        ctx = self.context
        if isinstance(receiver, cst.Name) and self._remote_module(receiver.value, function):
            return True
        if isinstance(receiver, cst.Name):
            # Innermost function first: closures see their enclosing functions' parameters.
            for scope in reversed(ctx.ancestors):
                if not isinstance(scope, cst.FunctionDef):
                    continue
                for param in (*scope.params.posonly_params, *scope.params.params):
                    if param.name.value == receiver.value:
                        annotation = param.annotation
                        local = ctx.classes.by_name.get(
                            dotted_name(annotation.annotation) or "" if annotation else ""
                        )
                        return local is not None and not ctx.classes.is_module(local)
            return False
        attr = _self_attribute(receiver)
        if attr is None or not isinstance(cls, cst.ClassDef):
            return False
        for method in _methods(cls).values():
            for small in walk_statements(method.body):
                if (
                    isinstance(small, cst.Assign)
                    and len(small.targets) == 1
                    and _self_attribute(small.targets[0].target) == attr
                    and isinstance(small.value, cst.Call)
                    and (ctx.imports.qualified(small.value.func) or "").startswith(
                        ("torch.classes.", "torch.ops.")
                    )
                ):
                    return True
        return False

    def _remote_module(self, name: str, function: cst.CSTNode | None) -> bool:
        """``name = RemoteModule(...)``: an RPC stub whose API *is* ``.forward``."""
        body = function.body if isinstance(function, cst.FunctionDef) else self.context.module
        for small in walk_statements(body):
            if (
                isinstance(small, cst.Assign)
                and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)
                and small.targets[0].target.value == name
                and isinstance(small.value, cst.Call)
                and (self.context.imports.qualified(small.value.func) or "").endswith(
                    ".RemoteModule"
                )
            ):
                return True
        return False

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
            return receiver.value in file_module_names(ctx, body)
        if (
            isinstance(receiver, cst.Attribute)
            and isinstance(receiver.value, cst.Name)
            and receiver.value.value == "self"
            and isinstance(cls, cst.ClassDef)
        ):
            return receiver.attr.value in file_module_attributes(ctx, cls)
        return False
