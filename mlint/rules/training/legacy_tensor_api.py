"""ML608 legacy-tensor-api."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from mlint.analysis.defuse import DefUse, Role
from mlint.rule import Rule, register
from mlint.rules.training._shared_608 import (
    LOGIT_BINARY_FUNCTIONS,
    LOGIT_BINARY_LOSSES,
    LOGIT_CLASS_FUNCTIONS,
    LOGIT_CLASS_LOSSES,
    PROBABILITY_FUNCTIONS,
    PROBABILITY_LOSSES,
    assignments,
    enclosing_scope,
    imports_torch,
    qualified,
)
from mlint.types import Applicability, FixAvailability

# Typed tensor constructors removed from the documented API, and what to write instead.
_TYPED_CONSTRUCTORS: dict[str, str] = {
    "FloatTensor": "torch.float32",
    "DoubleTensor": "torch.float64",
    "HalfTensor": "torch.float16",
    "BFloat16Tensor": "torch.bfloat16",
    "LongTensor": "torch.int64",
    "IntTensor": "torch.int32",
    "ShortTensor": "torch.int16",
    "CharTensor": "torch.int8",
    "ByteTensor": "torch.uint8",
    "BoolTensor": "torch.bool",
}
_TYPED_MODULES = ("torch", "torch.cuda")
_VARIABLE = frozenset({"torch.autograd.Variable", "torch.autograd.variable.Variable"})
_LOSS_CLASSES = (
    LOGIT_CLASS_LOSSES
    | LOGIT_BINARY_LOSSES
    | PROBABILITY_LOSSES
    | frozenset(
        {
            "torch.nn.MSELoss",
            "torch.nn.L1Loss",
            "torch.nn.NLLLoss",
            "torch.nn.SmoothL1Loss",
            "torch.nn.HuberLoss",
            "torch.nn.KLDivLoss",
        }
    )
)
_LOSS_FUNCTIONS = (
    LOGIT_CLASS_FUNCTIONS
    | LOGIT_BINARY_FUNCTIONS
    | PROBABILITY_FUNCTIONS
    | frozenset(
        {
            "torch.nn.functional.mse_loss",
            "torch.nn.functional.l1_loss",
            "torch.nn.functional.nll_loss",
            "torch.nn.functional.smooth_l1_loss",
            "torch.nn.functional.kl_div",
        }
    )
)
# Expressions that need no parentheses where a call stood.
_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.SimpleString, cst.Integer)


@register
class LegacyTensorApi(Rule):
    """## What it does
    Checks for tensor APIs of PyTorch before 0.4: typed constructors such as
    `torch.FloatTensor(...)`, `torch.cuda.LongTensor(...)` and `torch.Tensor(...)`,
    `torch.autograd.Variable(t)`, and `loss.data[0]` on a loss tensor.

    ## Why is this bad?
    - `torch.FloatTensor(3)` makes an *uninitialised* tensor of three elements, while
      `torch.FloatTensor([3])` makes one holding `3`: the same call means two things and
      the first silently trains on garbage memory. `torch.tensor(data, dtype=...)`,
      `torch.empty(size)` and `torch.zeros(size)` say which one is meant.
    - `Variable` has been a no-op wrapper since PyTorch 0.4; it only makes code look as if
      gradients were being tracked when they are not (`requires_grad` is a tensor flag).
    - `loss.data[0]` raises `IndexError` on the 0-dimensional tensors losses have been
      since 0.4, and `.data` bypasses autograd's version checks; use `loss.item()`.

    `x.cuda(async=True)` is the fourth legacy spelling, but `async` is a keyword since
    Python 3.7, so such a file no longer parses and ML001 reports it (use
    `non_blocking=True`).

    ## Example
    ```python
    from torch.autograd import Variable

    weights = torch.FloatTensor(num_classes)
    x = Variable(batch)
    loss = criterion(model(x), y)
    print(loss.data[0])
    ```

    ## Use instead
    ```python
    weights = torch.zeros(num_classes)
    x = batch
    loss = criterion(model(x), y)
    print(loss.item())
    ```

    ## Fix safety
    `Variable(t)` with a single argument and no keywords becomes `t`: safe, the wrapper
    returns its argument unchanged. `Variable(t, requires_grad=True)` and the constructors
    have no fix: whether a size or data was meant needs a human.

    This rule is opt-in: on real application code most hits are legacy spellings that
    still work (`torch.LongTensor(labels)`, a shape constructor filled right away,
    `Variable(x)`), worth a clean-up pass rather than a default warning. Select it with
    `--select ML608` (or `legacy-tensor-api`) when modernising a code base.

    `x.data[0]` is reported only when `x` is proven a loss (it comes from an `nn.*Loss`
    module or an `F.*` loss, or gets `.backward()`): `dataset.data[0]` is the first sample
    of a torchvision dataset and stays silent. `x.type(torch.FloatTensor)` (a dtype, not
    a constructor), `isinstance(x, torch.FloatTensor)`, TensorFlow and NumPy code, and
    files that do not import torch are not reported.
    """

    code = "ML608"
    name = "legacy-tensor-api"
    message = (
        "Legacy tensor API: use `torch.tensor(...)`/`torch.empty(...)`, a plain tensor, `.item()`"
    )
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("Tensor(", "Variable(", ".data[0]")
    default: ClassVar[bool] = False

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.context
        func = node.func
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return
        last = func.attr.value if isinstance(func, cst.Attribute) else func.value
        if last not in _TYPED_CONSTRUCTORS and last not in ("Tensor", "Variable"):
            return
        if not imports_torch(ctx):
            return
        name = qualified(ctx.imports, func)
        if name is None:
            return
        module, _, symbol = name.rpartition(".")
        if name in _VARIABLE:
            self._variable(node)
        elif symbol in _TYPED_CONSTRUCTORS and module in _TYPED_MODULES:
            dtype = _TYPED_CONSTRUCTORS[symbol]
            self.report(
                node,
                f"`{ctx.code(func)}(...)` is a legacy constructor: use "
                f"`torch.tensor(data, dtype={dtype})` or `torch.empty(size, dtype={dtype})`",
            )
        elif name == "torch.Tensor" and node.args:
            self.report(
                node,
                f"`{ctx.code(func)}(...)` is a legacy constructor: use `torch.tensor(data)` "
                "or `torch.empty(size)`",
            )

    def _variable(self, node: cst.Call) -> None:
        ctx = self.context
        fix = None
        if len(node.args) == 1 and node.args[0].keyword is None and not node.args[0].star:
            value = node.args[0].value
            text = ctx.code(value)
            if not isinstance(value, _ATOMS) or "\n" in text:
                text = f"({text})"
            fix = self.make_fix([ctx.replace(node, text)], Applicability.SAFE, "Drop `Variable`")
        self.report(
            node,
            f"`{ctx.code(node.func)}(...)` is a no-op since PyTorch 0.4: use the tensor itself "
            "(`requires_grad_()` to track gradients)",
            fix=fix,
        )

    def visit_Subscript(self, node: cst.Subscript) -> None:
        value = node.value
        if not (
            isinstance(value, cst.Attribute)
            and value.attr.value == "data"
            and len(node.slice) == 1
            and isinstance(node.slice[0].slice, cst.Index)
        ):
            return
        index = node.slice[0].slice.value
        if not (isinstance(index, cst.Integer) and index.value == "0"):
            return
        ctx = self.context
        if not imports_torch(ctx) or not self._is_loss(value.value):
            return
        self.report(
            node,
            f"`{ctx.code(node)}` fails on 0-dim loss tensors since PyTorch 0.4: use "
            f"`{ctx.code(value.value)}.item()`",
        )

    def _is_loss(self, receiver: cst.BaseExpression) -> bool:
        ctx = self.context
        if isinstance(receiver, cst.Call):
            return self._loss_call(receiver, enclosing_scope(ctx))
        if not isinstance(receiver, cst.Name):
            return False
        scope = enclosing_scope(ctx)
        name = receiver.value
        uses = DefUse.of(scope).uses(name)
        if any(u.detail == "backward" and u.role is Role.METHOD_CALL for u in uses):
            return True
        return any(
            bound == name and isinstance(value, cst.Call) and self._loss_call(value, scope)
            for bound, value, _ in assignments(scope)
        )

    def _loss_call(self, call: cst.Call, scope: cst.CSTNode) -> bool:
        ctx = self.context
        func = call.func
        name = qualified(ctx.imports, func)
        if name in _LOSS_FUNCTIONS:
            return True
        if isinstance(func, cst.Call):
            return qualified(ctx.imports, func.func) in _LOSS_CLASSES
        if isinstance(func, cst.Name):
            for where in (scope, ctx.module):
                for bound, value, _ in assignments(where):
                    if (
                        bound == func.value
                        and isinstance(value, cst.Call)
                        and qualified(ctx.imports, value.func) in _LOSS_CLASSES
                    ):
                        return True
        return False
