"""ML602: a training loop that steps the optimizer but never zeroes the gradients."""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from mlint.analysis.blocks import iter_calls
from mlint.analysis.imports import ImportTable, dotted_name
from mlint.analysis.tensors import backward_receivers, is_torch_file
from mlint.rule import FileContext, Rule, register
from mlint.rules.training._shared import Step, scope_steps, shown
from mlint.walker import children

_ZEROING = re.compile(
    r"zero_grad|\.grad\s*=\s*None|\.grad(?:\.data)?\.(?:zero_|fill_)\(|cleargrads|clear_grad"
)


@register
class ZeroGradMissing(Rule):
    """## What it does
    Checks for a loop that calls `.backward()` and `optimizer.step()` (or
    `scaler.step(optimizer)`) while nothing zeroes the gradients: no `zero_grad()`, no
    `p.grad = None`, no `p.grad.zero_()` in the loop, the function that holds it, or a
    function or method of the same file that it calls.

    The optimizer is recognised from where it comes from (a name bound to a
    `torch.optim` class) or from its conventional names (`optimizer`, `optim`, `opt`,
    `self.optimizer`); `scheduler.step()`, `env.step(action)` and DeepSpeed's
    `engine.step()` (which zeroes by itself) are not optimizer steps.

    ## Why is this bad?
    `.backward()` adds into `.grad`; it never overwrites it. Without zeroing, each step
    uses the sum of the gradients of every batch so far: the effective learning rate
    grows with the step count and training diverges or stalls, with no error.

    ## Example
    ```python
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    ```

    ## Use instead
    ```python
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    ```

    ## Fix safety
    No fix: where zeroing belongs (every step, or every `k` steps for gradient
    accumulation) needs a human. Gradient accumulation that zeroes every `k` steps,
    `optimizer.step(closure)` with a closure that zeroes, Lightning's `training_step`
    (the trainer zeroes) and `accelerator.accumulate` blocks that call `zero_grad` are
    not reported.
    """

    code = "ML602"
    name = "zero-grad-missing"
    message = "`optimizer.step()` in a loop where nothing zeroes the gradients"
    triggers = ("backward(",)

    def __init__(self, context: FileContext, options: object = None) -> None:
        super().__init__(context, options)
        # Functions (or the module) holding a `.step(...)` statement in a loop.
        self._scopes: dict[int, cst.FunctionDef | cst.Module] = {}

    def visit_Expr(self, node: cst.Expr) -> None:
        value = node.value
        if not (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Attribute)
            and value.func.attr.value == "step"
        ):
            return
        ctx = self.context
        if ctx.enclosing(cst.For, cst.While) is None:
            return
        scope = ctx.enclosing(cst.FunctionDef)
        owner = scope if isinstance(scope, cst.FunctionDef) else ctx.module
        self._scopes.setdefault(id(owner), owner)

    def leave_Module(self, node: cst.Module) -> None:
        ctx = self.context
        if not self._scopes or not is_torch_file(ctx.imports):
            return
        helpers = _functions(node) if _ZEROING.search(ctx.source) is not None else {}
        optimizers = _optimizer_names(node, ctx.imports)
        for scope in self._scopes.values():
            steps = scope_steps(scope, ctx.imports)
            backward_loops = [
                set(step.loops)
                for step in steps
                if step.loops and any(True for _ in backward_receivers(step.small, ctx.imports))
            ]
            if not backward_loops:
                continue
            for step in steps:
                call = _optimizer_step(step, optimizers)
                if call is None or not any(loops & set(step.loops) for loops in backward_loops):
                    continue
                if self._zeroes(scope, helpers):
                    break
                self.report(
                    call,
                    f"`{shown(ctx, call)}` runs in a loop where nothing zeroes the gradients: "
                    "call `optimizer.zero_grad()` every step",
                )

    def _zeroes(
        self, scope: cst.FunctionDef | cst.Module, helpers: dict[str, cst.FunctionDef]
    ) -> bool:
        ctx = self.context
        if isinstance(scope, cst.Module):
            return _ZEROING.search(ctx.source) is not None
        seen: set[str] = set()
        pending: list[cst.FunctionDef] = [scope]
        for _ in range(3):
            following: list[cst.FunctionDef] = []
            for function in pending:
                if _ZEROING.search(ctx.code(function)) is not None:
                    return True
                for call in iter_calls(function.body):
                    callee = dotted_name(call.func) or ""
                    name = callee.removeprefix("self.")
                    if "." in name or name in seen or name not in helpers:
                        continue
                    seen.add(name)
                    following.append(helpers[name])
            pending = following
        return False


def _functions(module: cst.Module) -> dict[str, cst.FunctionDef]:
    """Every function and method of the file by name (the last definition wins)."""
    found: dict[str, cst.FunctionDef] = {}
    stack: list[cst.CSTNode] = [module]
    while stack:
        item = stack.pop()
        for child in children(item):
            if isinstance(child, cst.FunctionDef):
                found[child.name.value] = child
            if isinstance(child, (cst.BaseStatement, cst.BaseSuite)):
                stack.append(child)
    return found


def _optimizer_names(module: cst.Module, imports: ImportTable) -> frozenset[str]:
    """Names and ``self.x`` attributes bound to a ``torch.optim`` optimizer constructor."""
    names: set[str] = set()
    for node in _assignments(module):
        value = node.value
        if not isinstance(value, cst.Call):
            continue
        qualified = imports.qualified(value.func) or ""
        last = qualified.rpartition(".")[2]
        if (
            qualified.startswith("torch.optim.")
            and "lr_scheduler" not in qualified
            and last[:1].isupper()
        ):
            for target in node.targets:
                dotted = dotted_name(target.target)
                if dotted is not None:
                    names.add(dotted)
    return frozenset(names)


def _assignments(module: cst.Module) -> Iterator[cst.Assign]:
    stack: list[cst.CSTNode] = [module]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Assign):
            yield item
        elif isinstance(item, cst.BaseExpression):
            continue
        stack.extend(children(item))


def _is_optimizer(receiver: str, optimizers: frozenset[str]) -> bool:
    if receiver in optimizers:
        return True
    last = receiver.rpartition(".")[2].lower()
    if "sched" in last:
        return False
    return "optim" in last or last == "opt" or last.startswith("opt_") or last.endswith("_opt")


def _optimizer_step(step: Step, optimizers: frozenset[str]) -> cst.Call | None:
    small = step.small
    if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)):
        return None
    call = small.value
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "step"):
        return None
    receiver = dotted_name(func.value)
    if receiver is None:
        return None
    if _is_optimizer(receiver, optimizers):
        return call
    last = receiver.rpartition(".")[2].lower()
    if "scaler" in last and call.args:
        argument = dotted_name(call.args[0].value)
        if argument is not None and _is_optimizer(argument, optimizers):
            return call
    return None
