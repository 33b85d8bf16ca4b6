"""ML610 eval-without-train."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.blocks import iter_nodes
from mlint.analysis.imports import dotted_name
from mlint.rule import Rule, register
from mlint.rules.training._shared_608 import (
    assignments,
    callee,
    enclosing_class,
    enclosing_scope,
    imports_torch,
    method_name,
    methods,
    qualified,
    top_functions,
)

_OPTIMIZERS = frozenset(
    {"SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam", "LBFGS"}
)
_DEPTH = 3
# Layers that behave differently in train and eval mode, and words that reveal them in code.
_MODE_LAYERS = ("Dropout", "BatchNorm", "InstanceNorm", "SyncBatchNorm", "RNN", "LSTM", "GRU")
_MODE_WORDS = ("Dropout", "dropout", "BatchNorm", "batch_norm", "InstanceNorm", "training")


def _builds_something(call: cst.Call) -> bool:
    """Whether a call may build a layer: constructors and factories, not `torch.zeros(...)`."""
    func = call.func
    last = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
    return last[:1].isupper() or last in ("from_pretrained", "create_model", "load")


def _is_eval(call: cst.Call) -> bool:
    if method_name(call) == "eval":
        return not call.args
    if method_name(call) == "train" and len(call.args) == 1:
        value = call.args[0].value
        return isinstance(value, cst.Name) and value.value == "False"
    return False


def _is_train(call: cst.Call) -> bool:
    if method_name(call) != "train" or len(call.args) > 1:
        return False
    return not call.args or not (
        isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == "False"
    )


@register
class EvalWithoutTrain(Rule):
    """## What it does
    Checks for a training loop (a loop that calls `.backward()`, directly or in a
    same-file function it calls) that switches the trained model to eval mode with
    `model.eval()` — typically for validation after each epoch — and never calls
    `model.train()` anywhere in the loop or in the functions it calls.

    ## Why is this bad?
    After the first validation, dropout stays off and batch-norm layers keep using their
    frozen running statistics for the rest of training. Nothing fails: the model just
    regularises less and its batch-norm statistics stop adapting, and the run ends with
    a worse model that looks like a tuning problem.

    ## Example
    ```python
    for epoch in range(epochs):
        for x, y in train_loader:
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        validate(model, val_loader)
    ```

    ## Use instead
    ```python
    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            ...
        model.eval()
        validate(model, val_loader)
    ```

    ## Fix safety
    No fix: where training starts in the loop body needs a human.

    A model built in the file only of layers that behave the same in both modes (no
    dropout, batch or instance norm, no `self.training`, no pretrained or imported
    architecture) is not reported: switching its mode changes nothing.

    The model must be the trained one: when the file builds an optimizer from
    `X.parameters()`, only `X.eval()` (or, in a called function, the parameter `X` is
    passed to) counts, so a frozen teacher or an EMA copy switched to eval mode is not
    reported. Not reported either: a `model.train()` (or `train(True)`) anywhere in the
    loop or in the same-file functions it calls, Lightning `training_step`/
    `validation_step` (the trainer switches modes), loops without `.backward()`,
    `df.eval("...")` and the builtin `eval`, and files that do not import torch.
    """

    code = "ML610"
    name = "eval-without-train"
    message = "Model left in eval mode for the next epoch: call `model.train()` before training"
    triggers = (".eval()", ".train(False)")

    def visit_Module(self, node: cst.Module) -> None:
        self._seen: set[int] = set()
        self._trained: frozenset[str] | None = None

    def visit_For(self, node: cst.For) -> None:
        self._check(node)

    def visit_While(self, node: cst.While) -> None:
        self._check(node)

    def _check(self, loop: cst.For | cst.While) -> None:
        ctx = self.context
        if not imports_torch(ctx) or ".backward(" not in ctx.source:
            return
        functions = top_functions(ctx.module)
        cls = enclosing_class(ctx)
        backward = False
        evals: list[tuple[cst.Call, str]] = []
        stack: list[tuple[cst.CSTNode, int, cst.Call | None, dict[str, str]]] = [
            (loop.body, 0, None, {})
        ]
        seen: set[int] = set()
        while stack:
            body, level, via, renames = stack.pop()
            for item in iter_nodes(body):
                if not isinstance(item, cst.Call):
                    continue
                method = method_name(item)
                if method == "backward":
                    backward = True
                elif _is_train(item):
                    return
                elif _is_eval(item):
                    assert isinstance(item.func, cst.Attribute)
                    receiver = dotted_name(item.func.value)
                    if receiver is not None:
                        receiver = renames.get(receiver, receiver)
                        evals.append((via or item, receiver))
                if level < _DEPTH:
                    target = callee(item, functions, cls)
                    if target is not None and id(target) not in seen:
                        seen.add(id(target))
                        stack.append(
                            (target.body, level + 1, via or item, _renames(item, target, renames))
                        )
        if not backward:
            return
        trained = self._trained_models()
        scope = enclosing_scope(ctx)
        for node, receiver in evals:
            if id(node) in self._seen or (trained and receiver not in trained):
                continue
            if self._mode_free(receiver, scope):
                continue
            self._seen.add(id(node))
            shown = ctx.code(node) if len(ctx.code(node)) <= 60 else f"{receiver}.eval()"
            self.report(
                node,
                f"`{shown}` leaves `{receiver}` in eval mode for the next training step: "
                f"call `{receiver}.train()` at the start of each epoch",
            )

    def _mode_free(self, receiver: str, scope: cst.CSTNode) -> bool:
        """Whether every model bound to ``receiver`` is built only of mode-independent layers."""
        ctx = self.context
        values = [v for n, v, _ in assignments(scope) if n == receiver]
        if not values and scope is not ctx.module:
            values = [v for n, v, _ in assignments(ctx.module) if n == receiver]
        return bool(values) and all(self._built_mode_free(v, 0) for v in values)

    def _built_mode_free(self, value: cst.BaseExpression, depth: int) -> bool:
        ctx = self.context
        while (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Attribute)
            and value.func.attr.value in ("to", "cuda", "cpu", "float", "double")
        ):
            value = value.func.value
        if not isinstance(value, cst.Call) or depth > _DEPTH:
            return False
        func = value.func
        if isinstance(func, cst.Name) and func.value in ctx.classes.by_name:
            return self._class_mode_free(ctx.classes.by_name[func.value], depth + 1)
        name = qualified(ctx.imports, func) or ""
        head, _, last = name.rpartition(".")
        if head != "torch.nn" or any(word in last for word in _MODE_LAYERS):
            return False
        if last in ("Sequential", "ModuleList"):
            return all(
                not arg.star and self._built_mode_free(arg.value, depth + 1) for arg in value.args
            )
        return last[:1].isupper()

    def _class_mode_free(self, cls: cst.ClassDef, depth: int) -> bool:
        ctx = self.context
        text = ctx.code(cls)
        if any(word in text for word in _MODE_WORDS) or depth > _DEPTH:
            return False
        for base, _ in ctx.classes.base_names(cls):
            local = ctx.classes.by_name.get(base)
            if local is not None:
                if local is cls or not self._class_mode_free(local, depth + 1):
                    return False
            elif base not in ("torch.nn.Module", "torch.nn.modules.module.Module"):
                return False
        for method in methods(cls).values():
            for item in iter_nodes(method.body):
                if (
                    isinstance(item, cst.Assign)
                    and isinstance(item.targets[0].target, cst.Attribute)
                    and isinstance(item.value, cst.Call)
                    and not self._built_mode_free(item.value, depth + 1)
                    and _builds_something(item.value)
                ):
                    return False
        return True

    def _trained_models(self) -> frozenset[str]:
        """Dotted names whose `.parameters()` some optimizer of the file is built from."""
        if self._trained is None:
            ctx = self.context
            found: set[str] = set()
            for item in iter_nodes(ctx.module, into_scopes=True):
                if not isinstance(item, cst.Call) or not item.args:
                    continue
                name = dotted_name(item.func) or ""
                if name.rpartition(".")[2] not in _OPTIMIZERS:
                    continue
                for inner in iter_nodes(item.args[0].value):
                    if (
                        isinstance(inner, cst.Call)
                        and isinstance(inner.func, cst.Attribute)
                        and inner.func.attr.value in ("parameters", "named_parameters")
                    ):
                        owner = dotted_name(inner.func.value)
                        if owner is not None:
                            found.add(owner)
            self._trained = frozenset(found)
        return self._trained


def _renames(call: cst.Call, target: cst.FunctionDef, outer: dict[str, str]) -> dict[str, str]:
    """Callee parameter name -> the caller's dotted argument, for positional and keyword args."""
    params = [*target.params.posonly_params, *target.params.params]
    if params and params[0].name.value == "self" and isinstance(call.func, cst.Attribute):
        params = params[1:]
    out: dict[str, str] = {}
    for index, arg in enumerate(call.args):
        if arg.star:
            break
        value = dotted_name(arg.value)
        if value is None:
            continue
        value = outer.get(value, value)
        if arg.keyword is not None:
            out[arg.keyword.value] = value
        elif index < len(params):
            out[params[index].name.value] = value
    return out
