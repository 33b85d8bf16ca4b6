"""ML603: ``torch.tensor(t)`` on a value that is already a tensor."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.frames import KindTable
from mlint.analysis.tensors import TENSOR_METHODS, is_tensor_factory, qualified
from mlint.rule import FileContext, Rule, register
from mlint.rules.training._shared import kind_table
from mlint.types import Applicability, FixAvailability


@register
class TensorFromTensor(Rule):
    """## What it does
    Checks for `torch.tensor(t)` where `t` is provably a tensor: built by a `torch`
    factory (`torch.zeros`, `torch.randn`, `torch.stack`, `torch.from_numpy`, ...) in the
    same function or module, a tensor method applied to one (`t.float()`, `t.to(device)`),
    or a parameter annotated `torch.Tensor`. Lists, NumPy arrays and values of unknown
    origin are not reported.

    ## Why is this bad?
    `torch.tensor` always copies its input and never records autograd history: on a
    tensor it silently cuts the graph (gradients stop flowing into `t`), goes through a
    slow generic path, and PyTorch warns at runtime ("To copy construct from a tensor,
    it is recommended to use sourceTensor.clone().detach()"). The intent — a copy, a
    detached copy, or just the same tensor — is better said explicitly.

    ## Example
    ```python
    t = torch.randn(3)
    u = torch.tensor(t)
    ```

    ## Use instead
    ```python
    t = torch.randn(3)
    u = t.clone().detach()
    ```

    ## Fix safety
    Without keyword arguments the fix to `t.clone().detach()` is safe: it is exactly what
    `torch.tensor(t)` computes (a new, detached copy on the same device with the same
    dtype). With `dtype=`, `device=` or `requires_grad=` no fix is offered; use
    `t.clone().detach().to(...)` or `.requires_grad_(True)` as needed.

    ## References
    - [`torch.tensor`](https://pytorch.org/docs/stable/generated/torch.tensor.html)
    """

    code = "ML603"
    name = "tensor-from-tensor"
    message = "`torch.tensor(t)` on a tensor: use `t.clone().detach()`"
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("torch.tensor(",)

    def __init__(self, context: FileContext, options: object = None) -> None:
        super().__init__(context, options)
        self._tables: dict[int, KindTable] = {}

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (
            isinstance(func, cst.Attribute)
            and func.attr.value == "tensor"
            and isinstance(func.value, cst.Name)
        ):
            return
        ctx = self.context
        if qualified(func, ctx.imports) != "torch.tensor":
            return
        positional = [a for a in node.args if a.keyword is None]
        if len(positional) != 1 or positional[0].star:
            return
        value = positional[0].value
        if not self._is_tensor(value, 0):
            return
        shown = ctx.code(value)
        atom = shown if isinstance(value, (cst.Name, cst.Attribute, cst.Call)) else f"({shown})"
        replacement = f"{atom}.clone().detach()"
        fix = None
        if len(node.args) == 1:
            fix = self.make_fix(
                [ctx.replace(node, replacement)], Applicability.SAFE, "Use `.clone().detach()`"
            )
        self.report(
            node,
            f"`{ctx.code(node)}` copies a tensor and cuts its graph: use `{replacement}`",
            fix=fix,
        )

    def _is_tensor(self, value: cst.BaseExpression, depth: int) -> bool:
        ctx = self.context
        if depth > 4:
            return False
        if isinstance(value, cst.Call):
            if is_tensor_factory(value, ctx.imports):
                return True
            func = value.func
            return (
                isinstance(func, cst.Attribute)
                and func.attr.value in TENSOR_METHODS
                and self._is_tensor(func.value, depth + 1)
            )
        if isinstance(value, cst.Name):
            return self._table().name_kind(value.value) == "tensor"
        return False

    def _table(self) -> KindTable:
        return kind_table(self.context, self._tables)
