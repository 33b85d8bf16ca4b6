"""Is this value a torch tensor, a loss module, a tensor that took part in autograd?

Syntactic facts from constructors and calls seen in the same file: a name is a loss
module when it is bound to a `torch.nn.*Loss(...)`; a call is a loss when it calls
`torch.nn.functional.*loss*` or such a module. Nothing is decided from a variable's name.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mlint.analysis.imports import ImportTable, dotted_name
from mlint.walker import children

FUNCTIONAL_LOSSES = frozenset(
    {
        "cross_entropy",
        "binary_cross_entropy",
        "binary_cross_entropy_with_logits",
        "nll_loss",
        "mse_loss",
        "l1_loss",
        "smooth_l1_loss",
        "huber_loss",
        "kl_div",
        "poisson_nll_loss",
        "gaussian_nll_loss",
        "ctc_loss",
        "cosine_embedding_loss",
        "hinge_embedding_loss",
        "margin_ranking_loss",
        "multi_margin_loss",
        "multilabel_margin_loss",
        "multilabel_soft_margin_loss",
        "soft_margin_loss",
        "triplet_margin_loss",
        "triplet_margin_with_distance_loss",
    }
)
# `torch.<name>(...)` calls that certainly return a tensor.
TENSOR_FACTORIES = frozenset(
    {
        "tensor",
        "as_tensor",
        "from_numpy",
        "zeros",
        "ones",
        "empty",
        "full",
        "rand",
        "randn",
        "randint",
        "randperm",
        "arange",
        "linspace",
        "logspace",
        "eye",
        "zeros_like",
        "ones_like",
        "empty_like",
        "full_like",
        "rand_like",
        "randn_like",
        "randint_like",
        "stack",
        "cat",
        "concat",
        "matmul",
        "mm",
        "bmm",
        "einsum",
        "softmax",
        "sigmoid",
        "tanh",
        "exp",
        "log",
        "sqrt",
        "abs",
        "clamp",
        "sum",
        "mean",
        "argmax",
        "argmin",
        "flatten",
        "reshape",
        "squeeze",
        "unsqueeze",
        "transpose",
        "permute",
        "normal",
        "bernoulli",
        "multinomial",
    }
)
# Tensor methods that return a tensor (the result of one on a tensor is a tensor).
TENSOR_METHODS = frozenset(
    {
        "to",
        "cuda",
        "cpu",
        "float",
        "double",
        "half",
        "bfloat16",
        "long",
        "int",
        "bool",
        "clone",
        "detach",
        "contiguous",
        "view",
        "reshape",
        "squeeze",
        "unsqueeze",
        "permute",
        "transpose",
        "flatten",
        "mean",
        "sum",
        "abs",
        "exp",
        "log",
        "sqrt",
        "clamp",
        "softmax",
        "sigmoid",
        "requires_grad_",
    }
)
# Methods that keep the autograd graph of their receiver.
GRAPH_KEEPING_METHODS = TENSOR_METHODS - {"detach", "long", "int", "bool"}


def is_torch_file(imports: ImportTable) -> bool:
    return imports.imports_module("torch")


def qualified(node: cst.BaseExpression, imports: ImportTable) -> str | None:
    """The qualified name of a callee, trusting conventional aliases only in torch files."""
    resolved = imports.resolve(node)
    if resolved is None:
        return None
    if resolved.certain:
        return resolved.name
    head = (dotted_name(node) or "").partition(".")[0]
    if head in ("nn", "F", "torch") and is_torch_file(imports):
        return resolved.name
    return None


def is_loss_constructor(call: cst.Call, imports: ImportTable) -> bool:
    """``nn.CrossEntropyLoss(...)`` and any other ``torch.nn.*Loss`` class."""
    name = qualified(call.func, imports)
    return name is not None and name.startswith("torch.nn.") and name.endswith("Loss")


def is_functional_loss(call: cst.Call, imports: ImportTable) -> bool:
    """``F.cross_entropy(...)``, ``torch.nn.functional.mse_loss(...)``, ..."""
    name = qualified(call.func, imports)
    if name is None:
        return False
    head, _, last = name.rpartition(".")
    return head == "torch.nn.functional" and (last in FUNCTIONAL_LOSSES or last.endswith("_loss"))


def is_tensor_factory(call: cst.Call, imports: ImportTable) -> bool:
    """``torch.zeros(...)``, ``torch.tensor(...)``, ``torch.stack(...)``, ..."""
    name = qualified(call.func, imports)
    if name is None:
        return False
    head, _, last = name.rpartition(".")
    return head == "torch" and last in TENSOR_FACTORIES


def _self_attribute(node: cst.BaseExpression) -> str | None:
    if (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == "self"
    ):
        return node.attr.value
    return None


def _assignments(node: cst.CSTNode) -> Iterator[tuple[cst.BaseExpression, cst.BaseExpression]]:
    stack: list[cst.CSTNode] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Assign):
            for target in item.targets:
                yield target.target, item.value
        elif isinstance(item, cst.AnnAssign) and item.value is not None:
            yield item.target, item.value
        elif isinstance(item, cst.BaseExpression):
            continue
        stack.extend(children(item))


class LossModules:
    """Names and ``self`` attributes a file binds to ``torch.nn.*Loss`` modules.

    A name counts when every one of its bindings in the file is a loss constructor;
    ``criterion`` passed as a parameter under the same name is then the same module.
    """

    def __init__(self, module: cst.Module, imports: ImportTable) -> None:
        loss_names: set[str] = set()
        other_names: set[str] = set()
        loss_attrs: set[str] = set()
        other_attrs: set[str] = set()
        for target, value in _assignments(module):
            is_loss = isinstance(value, cst.Call) and is_loss_constructor(value, imports)
            attr = _self_attribute(target)
            if isinstance(target, cst.Name):
                (loss_names if is_loss else other_names).add(target.value)
            elif attr is not None:
                (loss_attrs if is_loss else other_attrs).add(attr)
        self.names = frozenset(loss_names - other_names)
        self.attributes = frozenset(loss_attrs - other_attrs)

    def is_loss_call(self, call: cst.Call, imports: ImportTable) -> bool:
        """A call that returns a loss tensor: a functional loss or a loss module applied."""
        func = call.func
        if isinstance(func, cst.Call) and is_loss_constructor(func, imports):
            return True  # nn.MSELoss()(a, b)
        if isinstance(func, cst.Name) and func.value in self.names:
            return True
        attr = _self_attribute(func)
        if attr is not None and attr in self.attributes:
            return True
        return is_functional_loss(call, imports)


def backward_receivers(
    node: cst.CSTNode, imports: ImportTable | None = None
) -> Iterator[tuple[cst.Call, cst.BaseExpression]]:
    """``(call, tensor expression)`` for ``x.backward()``, ``scaler.scale(x).backward()``,
    ``accelerator.backward(x)`` and ``torch.autograd.backward(x)`` in ``node``.

    ``dist_autograd.backward(ctx, [loss])`` and other functions of imported modules are
    not a tensor's backward (distributed autograd keeps gradients per context)."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        item = stack.pop()
        stack.extend(children(item))
        if not (
            isinstance(item, cst.Call)
            and isinstance(item.func, cst.Attribute)
            and item.func.attr.value == "backward"
        ):
            continue
        receiver = item.func.value
        if (
            imports is not None
            and isinstance(receiver, cst.Name)
            and receiver.value in imports.names
            and receiver.value not in ("accelerator", "autograd", "fabric")
        ):
            continue
        if (
            isinstance(receiver, cst.Call)
            and isinstance(receiver.func, cst.Attribute)
            and receiver.func.attr.value == "scale"
            and receiver.args
        ):
            yield item, receiver.args[0].value  # scaler.scale(loss).backward()
        elif (
            isinstance(receiver, cst.Name)
            and receiver.value in ("accelerator", "autograd")
            or isinstance(receiver, cst.Attribute)
            and dotted_name(receiver)
            in (
                "self.accelerator",
                "torch.autograd",
                "self.fabric",
            )
            or isinstance(receiver, cst.Name)
            and receiver.value == "fabric"
        ):
            if item.args:
                yield item, item.args[0].value
        else:
            yield item, receiver


def leading_name(expr: cst.BaseExpression) -> cst.Name | None:
    """The tensor a backward expression is about: `loss` in `loss`, `(loss / k)`, `loss.mean()`."""
    while True:
        if isinstance(expr, cst.Name):
            return expr
        if isinstance(expr, cst.BinaryOperation):
            expr = expr.left
        elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            expr = expr.func.value
        elif isinstance(expr, cst.UnaryOperation):
            expr = expr.expression
        else:
            return None
