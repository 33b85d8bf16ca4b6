"""ML609 double-activation."""

from __future__ import annotations

from typing import Literal

import libcst as cst

from mlint.analysis.blocks import iter_nodes
from mlint.rule import Rule, register
from mlint.rules.training._shared_608 import (
    LOGIT_BINARY_FUNCTIONS,
    LOGIT_BINARY_LOSSES,
    LOGIT_CLASS_FUNCTIONS,
    LOGIT_CLASS_LOSSES,
    PROBABILITY_FUNCTIONS,
    PROBABILITY_LOSSES,
    argument,
    assignments,
    call_sites,
    enclosing_class,
    enclosing_scope,
    imports_torch,
    keyword,
    methods,
    parameter_index,
    positional,
    qualified,
    reaching_binding,
    top_functions,
)

Activation = Literal["softmax", "log_softmax", "sigmoid", "logits"]
LossKind = Literal["class_logits", "binary_logits", "probability", "log_probability"]

_SOFTMAX = frozenset({"torch.softmax", "torch.nn.functional.softmax", "torch.special.softmax"})
_LOG_SOFTMAX = frozenset(
    {"torch.log_softmax", "torch.nn.functional.log_softmax", "torch.special.log_softmax"}
)
_SIGMOID = frozenset(
    {"torch.sigmoid", "torch.nn.functional.sigmoid", "torch.special.expit", "torch.nn.Sigmoid"}
)
_ACTIVATION_MODULES: dict[str, Activation] = {
    "torch.nn.Softmax": "softmax",
    "torch.nn.LogSoftmax": "log_softmax",
    "torch.nn.Sigmoid": "sigmoid",
    "torch.nn.Linear": "logits",
    "torch.nn.LazyLinear": "logits",
}
_ACTIVATION_METHODS: dict[str, Activation] = {
    "softmax": "softmax",
    "log_softmax": "log_softmax",
    "sigmoid": "sigmoid",
}
# Methods and functions that keep the values of a tensor (shape or dtype changes only).
_SHAPE_METHODS = frozenset(
    {"squeeze", "unsqueeze", "view", "reshape", "flatten", "float", "double", "contiguous", "to"}
)
_LOSS_MODULES: dict[str, LossKind] = {
    **dict.fromkeys(LOGIT_CLASS_LOSSES, "class_logits"),
    **dict.fromkeys(LOGIT_BINARY_LOSSES, "binary_logits"),
    **dict.fromkeys(PROBABILITY_LOSSES, "probability"),
    "torch.nn.NLLLoss": "log_probability",
}
_LOSS_FUNCTIONS: dict[str, LossKind] = {
    **dict.fromkeys(LOGIT_CLASS_FUNCTIONS, "class_logits"),
    **dict.fromkeys(LOGIT_BINARY_FUNCTIONS, "binary_logits"),
    **dict.fromkeys(PROBABILITY_FUNCTIONS, "probability"),
    "torch.nn.functional.nll_loss": "log_probability",
}
# (loss kind, input) -> the advice.
_MISMATCH: dict[tuple[LossKind, Activation], str] = {
    ("class_logits", "softmax"): "applies `log_softmax` itself: pass the raw logits",
    ("binary_logits", "sigmoid"): "applies `sigmoid` itself: pass the raw logits",
    ("probability", "logits"): "expects probabilities: use `BCEWithLogitsLoss` on the logits",
    ("log_probability", "softmax"): "expects log-probabilities: use `log_softmax`",
}
_DEPTH = 10


@register
class DoubleActivation(Rule):
    """## What it does
    Checks for a loss fed the wrong kind of input: a `softmax` output passed to
    `nn.CrossEntropyLoss`/`F.cross_entropy`, a `sigmoid` output passed to
    `nn.BCEWithLogitsLoss`/`F.binary_cross_entropy_with_logits`, raw logits (an
    `nn.Linear` output or a Hugging Face `outputs.logits`) passed to
    `nn.BCELoss`/`F.binary_cross_entropy`, and a `softmax` output passed to
    `nn.NLLLoss`/`F.nll_loss`.

    The activation is found at the call, through the names it is assigned to in the
    same function, and in the `forward` of a model class of the same file (`model(x)`
    where `model = Net()`, `self(x)` in a LightningModule), through `nn.Sequential`
    whose last layer is the activation.

    ## Why is this bad?
    `CrossEntropyLoss` computes `log_softmax` of its input. Fed probabilities, it
    squashes them a second time: the loss barely moves, gradients shrink by orders of
    magnitude and the model trains slowly or stalls at a worse optimum, with no error.
    The same holds for `sigmoid` before `BCEWithLogitsLoss`. The reverse, logits into
    `BCELoss`, raises on values outside `[0, 1]` only on CUDA and trains on nonsense on
    CPU; `BCEWithLogitsLoss` is also the numerically stable form.

    ## Example
    ```python
    class Net(nn.Module):
        def forward(self, x):
            return torch.softmax(self.fc(x), dim=1)

    loss = nn.CrossEntropyLoss()(model(x), y)
    ```

    ## Use instead
    ```python
    class Net(nn.Module):
        def forward(self, x):
            return self.fc(x)  # logits; apply softmax only for predictions

    loss = nn.CrossEntropyLoss()(model(x), y)
    ```

    ## Fix safety
    No fix: the activation is often wanted elsewhere (predictions, metrics), so where to
    remove it needs a human.

    Not reported: `log_softmax` before `CrossEntropyLoss` (`log_softmax` is idempotent,
    so the loss and its gradients are the same; only compute is wasted); `log_softmax`
    before `NLLLoss` and `sigmoid` before `BCELoss` (the intended pairs); an input whose
    bindings disagree (`out = model(x)` in one branch, `out = out.softmax(1)` in another);
    a model whose `forward` ends in an activation only on some paths; Keras/TensorFlow
    losses; and files that do not import torch.
    """

    code = "ML609"
    name = "double-activation"
    message = "Loss input already activated: pass raw logits"
    triggers = ("cross_entropy", "CrossEntropyLoss", "BCE", "nll_loss", "NLLLoss")

    def visit_Module(self, node: cst.Module) -> None:
        self._sites: dict[str, list[tuple[cst.Call, cst.FunctionDef | cst.Module]]] | None = None
        self._loss_names: frozenset[str] | None = None
        self._self_values: dict[tuple[int, str], list[cst.BaseExpression]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.context
        func = node.func
        if not isinstance(func, (cst.Name, cst.Attribute, cst.Call)):
            return
        if not imports_torch(ctx):
            return
        kind = self._loss_kind(func)
        if kind is None:
            return
        value = argument(node, 0, "input")
        if value is None:
            return
        activation = self._activation(value, enclosing_scope(ctx), enclosing_class(ctx), 0)
        advice = _MISMATCH.get((kind, activation)) if activation else None
        if advice is None:
            return
        shown = "raw logits" if activation == "logits" else f"a `{activation}` output"
        self.report(node, f"`{ctx.code(func)}` gets {shown} and {advice}")

    def _loss_kind(self, func: cst.BaseExpression) -> LossKind | None:
        ctx = self.context
        if isinstance(func, cst.Call):
            name = qualified(ctx.imports, func.func)
            return _LOSS_MODULES.get(name) if name else None
        name = qualified(ctx.imports, func)
        if name in _LOSS_FUNCTIONS:
            return _LOSS_FUNCTIONS[name]
        if not self._may_hold_loss(func):
            return None
        constructor = self._constructor(func, enclosing_scope(ctx), enclosing_class(ctx))
        return _LOSS_MODULES.get(constructor) if constructor else None

    def _may_hold_loss(self, func: cst.BaseExpression) -> bool:
        """Cheap gate: a name assigned from a `*Loss(...)` call in the file, or a parameter."""
        ctx = self.context
        if isinstance(func, cst.Attribute):
            key = func.attr.value
        elif isinstance(func, cst.Name):
            key = func.value
            scope = enclosing_scope(ctx)
            if isinstance(scope, cst.FunctionDef) and parameter_index(scope, key) is not None:
                return "Loss(" in ctx.source
        else:
            return False
        if self._loss_names is None:
            names: set[str] = set()
            if "Loss(" in ctx.source:
                for item in iter_nodes(ctx.module, into_scopes=True):
                    value = _strip_moves(item.value) if isinstance(item, cst.Assign) else None
                    if isinstance(item, cst.Assign) and isinstance(value, cst.Call):
                        callee = value.func
                        last = callee.attr.value if isinstance(callee, cst.Attribute) else ""
                        last = callee.value if isinstance(callee, cst.Name) else last
                        if last.endswith("Loss"):
                            for target in item.targets:
                                node = target.target
                                if isinstance(node, cst.Attribute):
                                    names.add(node.attr.value)
                                elif isinstance(node, cst.Name):
                                    names.add(node.value)
            self._loss_names = frozenset(names)
        return key in self._loss_names

    def _constructor(
        self, func: cst.BaseExpression, scope: cst.CSTNode, cls: cst.ClassDef | None
    ) -> str | None:
        """The qualified class a callee name was built from, when every binding agrees."""
        ctx = self.context
        values = [_strip_moves(v) for v, _ in self._values(func, scope, cls, 0)]
        names = {
            qualified(ctx.imports, v.func) if isinstance(v, cst.Call) else None for v in values
        }
        return names.pop() if len(names) == 1 else None

    def _values(
        self,
        node: cst.BaseExpression,
        scope: cst.CSTNode,
        cls: cst.ClassDef | None,
        depth: int,
    ) -> list[tuple[cst.BaseExpression, cst.CSTNode]]:
        """What a name or ``self.x`` may hold: ``(value, scope of the value)`` pairs.

        A local name takes the last assignment that surely ran before the use; a parameter
        of a module-level function takes the arguments of its calls in the file; other
        names take their module-level assignments. Empty when anything is unknown.
        """
        ctx = self.context
        if (
            cls is not None
            and isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value == "self"
        ):
            key = (id(cls), node.attr.value)
            if key not in self._self_values:
                self._self_values[key] = _self_assignments(cls, node.attr.value)
            return [(v, scope) for v in self._self_values[key]]
        if not isinstance(node, cst.Name) or depth > _DEPTH:
            return []
        name = node.value
        if isinstance(scope, cst.FunctionDef | cst.Module):
            found, value = reaching_binding(scope, name, node)
            if found:
                return [] if value is None else [(value, scope)]
        if isinstance(scope, cst.FunctionDef):
            where = parameter_index(scope, name)
            if where is not None:
                return self._arguments(scope, name, where, depth)
        module_values = [v for n, v, _ in assignments(ctx.module) if n == name]
        return [(v, ctx.module) for v in module_values]

    def _arguments(
        self, function: cst.FunctionDef, name: str, where: tuple[int, bool], depth: int
    ) -> list[tuple[cst.BaseExpression, cst.CSTNode]]:
        ctx = self.context
        if top_functions(ctx.module).get(function.name.value) is not function:
            return []
        if self._sites is None:
            self._sites = call_sites(ctx.module)
        out: list[tuple[cst.BaseExpression, cst.CSTNode]] = []
        index, keyword_only = where
        for call, caller in self._sites.get(function.name.value, []):
            arg = keyword(call, name) or (None if keyword_only else positional(call, index))
            if arg is None:
                return []  # a default or *args: unknown
            if isinstance(arg.value, cst.Name):
                values = self._values(arg.value, caller, None, depth + 1)
                if not values:
                    return []
                out.extend(values)
            else:
                out.append((arg.value, caller))
        return out

    def _activation(
        self,
        value: cst.BaseExpression,
        scope: cst.CSTNode,
        cls: cst.ClassDef | None,
        depth: int,
    ) -> Activation | None:
        if depth > _DEPTH:
            return None
        ctx = self.context
        if isinstance(value, cst.Subscript):
            return self._activation(value.value, scope, cls, depth + 1)
        if isinstance(value, cst.Attribute):
            return "logits" if value.attr.value == "logits" else None
        if isinstance(value, cst.Name):
            found = {
                self._activation(v, where, cls, depth + 1)
                for v, where in self._values(value, scope, cls, depth)
            }
            return found.pop() if len(found) == 1 else None
        if not isinstance(value, cst.Call):
            return None
        func = value.func
        name = qualified(ctx.imports, func)
        if name in _SOFTMAX:
            return "softmax"
        if name in _LOG_SOFTMAX:
            return "log_softmax"
        if name in _SIGMOID:
            return "sigmoid"
        if isinstance(func, cst.Attribute) and name is None:
            method = func.attr.value
            if method in _ACTIVATION_METHODS:
                return _ACTIVATION_METHODS[method]
            if method in _SHAPE_METHODS:
                return self._activation(func.value, scope, cls, depth + 1)
        if isinstance(func, cst.Call):
            built = qualified(ctx.imports, func.func)
            return _ACTIVATION_MODULES.get(built) if built else None
        return self._module_output(func, scope, cls, depth)

    def _module_output(
        self,
        func: cst.BaseExpression,
        scope: cst.CSTNode,
        cls: cst.ClassDef | None,
        depth: int,
    ) -> Activation | None:
        """What calling a module gives: its class's `forward` result, or a layer's."""
        if isinstance(func, cst.Name) and func.value == "self" and cls is not None:
            return self._forward_output(cls, depth)
        found = {
            self._built_output(v, where, depth + 1)
            for v, where in self._values(func, scope, cls, depth)
        }
        return found.pop() if len(found) == 1 else None

    def _built_output(
        self, value: cst.BaseExpression, scope: cst.CSTNode, depth: int
    ) -> Activation | None:
        ctx = self.context
        if depth > _DEPTH:
            return None
        while (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Attribute)
            and value.func.attr.value in ("to", "cuda", "cpu", "train", "eval")
        ):
            value = value.func.value  # Net().to(device)
        if isinstance(value, cst.Name):
            found = {
                self._built_output(v, where, depth + 1)
                for v, where in self._values(value, scope, None, depth)
            }
            return found.pop() if len(found) == 1 else None
        if not isinstance(value, cst.Call):
            return None
        func = value.func
        if isinstance(func, cst.Name) and func.value in ctx.classes.by_name:
            local = ctx.classes.by_name[func.value]
            return self._forward_output(local, depth) if ctx.classes.is_module(local) else None
        name = qualified(ctx.imports, func)
        if name in _ACTIVATION_MODULES:
            return _ACTIVATION_MODULES[name]
        if name == "torch.nn.Sequential" and value.args:
            last = value.args[-1].value
            return self._built_output(last, scope, depth + 1) if not value.args[-1].star else None
        return None

    def _forward_output(self, cls: cst.ClassDef, depth: int) -> Activation | None:
        if depth > _DEPTH:
            return None
        forward = methods(cls).get("forward")
        if forward is None:
            return None
        returns = [
            item.value
            for item in iter_nodes(forward.body)
            if isinstance(item, cst.Return) and item.value is not None
        ]
        found = {self._activation(v, forward, cls, depth + 1) for v in returns}
        return found.pop() if len(found) == 1 else None


def _strip_moves(value: cst.BaseExpression) -> cst.BaseExpression:
    """``nn.CrossEntropyLoss().to(device)`` -> ``nn.CrossEntropyLoss()``."""
    while (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value in ("to", "cuda", "cpu")
    ):
        value = value.func.value
    return value


def _self_assignments(cls: cst.ClassDef, attr: str) -> list[cst.BaseExpression]:
    """Values assigned to ``self.<attr>`` in any method of the class."""
    out: list[cst.BaseExpression] = []
    for method in methods(cls).values():
        for item in iter_nodes(method.body):
            if isinstance(item, cst.Assign):
                for target in item.targets:
                    node = target.target
                    if (
                        isinstance(node, cst.Attribute)
                        and isinstance(node.value, cst.Name)
                        and node.value.value == "self"
                        and node.attr.value == attr
                    ):
                        out.append(item.value)
    return out
