"""ML612 grad-accumulation-unscaled."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.blocks import iter_nodes
from mlint.rule import Rule, register
from mlint.rules.training._shared_608 import (
    assignments,
    enclosing_class,
    enclosing_scope,
    imports_torch,
    method_name,
    reachable_calls,
    top_functions,
)

_SCALE_OPERATORS = (cst.Divide, cst.Multiply)
_SCALE_AUGMENTS = (cst.DivideAssign, cst.MultiplyAssign)
_SCALE_METHODS = frozenset({"div", "div_", "mul", "mul_", "true_divide"})


def _modulo(test: cst.BaseExpression) -> cst.BaseExpression | None:
    """The divisor of the first ``a % k`` in an `if` test, unless it is the literal 1."""
    for item in iter_nodes(test):
        if isinstance(item, cst.BinaryOperation) and isinstance(item.operator, cst.Modulo):
            right = item.right
            if isinstance(right, cst.Integer) and right.value in ("0", "1"):
                return None
            if isinstance(right, (cst.SimpleString, cst.FormattedString)):
                return None  # "%d" % x: formatting
            return right
    return None


def _zeroes(node: cst.CSTNode) -> bool:
    for item in iter_nodes(node):
        if isinstance(item, cst.Call) and method_name(item) == "zero_grad":
            return True
        if (
            isinstance(item, cst.Assign)
            and isinstance(item.targets[0].target, cst.Attribute)
            and item.targets[0].target.attr.value == "grad"
        ):
            return True
    return False


def _scales(node: cst.CSTNode) -> bool:
    """Whether an expression divides or multiplies (`loss / k`, `loss * w`, `loss.div(k)`)."""
    for item in iter_nodes(node):
        if isinstance(item, cst.BinaryOperation) and isinstance(item.operator, _SCALE_OPERATORS):
            return True
        if isinstance(item, cst.Call) and method_name(item) in _SCALE_METHODS:
            return True
    return False


@register
class GradAccumulationUnscaled(Rule):
    """## What it does
    Checks for gradient accumulation whose loss is not divided by the number of
    accumulated micro-batches: a loop calls `loss.backward()` on every iteration, and
    zeroes the gradients and steps the optimizer only under `if (i + 1) % k == 0`, while
    `loss` is never divided (or multiplied by a weight).

    ## Why is this bad?
    Gradients add up over the `k` backward passes, so the update is `k` times the mean
    gradient: the effective learning rate silently grows with the accumulation setting,
    changing `k` changes the training dynamics, and a learning rate tuned without
    accumulation diverges with it.

    ## Example
    ```python
    for i, (x, y) in enumerate(loader):
        loss = criterion(model(x), y)
        loss.backward()
        if (i + 1) % accum_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
    ```

    ## Use instead
    ```python
    for i, (x, y) in enumerate(loader):
        loss = criterion(model(x), y) / accum_steps
        loss.backward()
        if (i + 1) % accum_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
    ```

    ## Fix safety
    No fix: the right divisor (a constant `k`, or the number of micro-batches left in a
    short last window) needs a human.

    Not reported: `accelerator.backward(loss)` and DeepSpeed's `engine.backward(loss)`
    (both divide by the accumulation steps themselves), a loss divided or multiplied
    anywhere along its assignments or at the `backward` call (`(loss / k).backward()`,
    `scaler.scale(loss / k)`), a division by the same `k` in the function or in a
    same-file helper it calls (`compute_loss` dividing inside), a `zero_grad` on every
    iteration (no accumulation), `%` used for logging only (no `zero_grad` under it), and
    files that do not import torch.
    """

    code = "ML612"
    name = "grad-accumulation-unscaled"
    message = "Accumulated loss not divided by the accumulation steps"
    triggers = (".backward()",)

    def visit_Module(self, node: cst.Module) -> None:
        self._seen: set[int] = set()

    def visit_For(self, node: cst.For) -> None:
        self._check(node)

    def visit_While(self, node: cst.While) -> None:
        self._check(node)

    def _check(self, loop: cst.For | cst.While) -> None:
        ctx = self.context
        if not imports_torch(ctx) or "%" not in ctx.source:
            return
        guards: list[tuple[cst.If, cst.BaseExpression]] = []
        for item in iter_nodes(loop.body):
            if isinstance(item, cst.If):
                divisor = _modulo(item.test)
                if divisor is not None and _zeroes(item.body):
                    guards.append((item, divisor))
        if not guards:
            return
        guarded = {id(n) for guard, _ in guards for n in iter_nodes(guard.body)}
        backwards: list[cst.Call] = []
        for item in iter_nodes(loop.body):
            if id(item) in guarded:
                continue
            if isinstance(item, (cst.Call, cst.Assign)) and _zeroes(item):
                return  # gradients zeroed on every iteration: no accumulation
            if isinstance(item, cst.Call) and method_name(item) == "backward" and not item.args:
                backwards.append(item)
        scope = enclosing_scope(ctx)
        divisors = [ctx.render(d) for _, d in guards]
        if self._divides_by(scope, divisors):
            return
        for call in backwards:
            if id(call) in self._seen:
                continue
            self._seen.add(id(call))
            assert isinstance(call.func, cst.Attribute)
            loss = self._loss_of(call.func.value)
            if loss is None or self._scaled(loss, scope):
                continue
            self.report(
                call,
                f"`{ctx.code(call)}` accumulates gradients over `{divisors[0]}` micro-batches: "
                f"divide `{ctx.code(loss)}` by `{divisors[0]}` first",
            )

    def _loss_of(self, receiver: cst.BaseExpression) -> cst.BaseExpression | None:
        """The loss in `loss.backward()` or `scaler.scale(loss).backward()`."""
        if (
            isinstance(receiver, cst.Call)
            and method_name(receiver) == "scale"
            and len(receiver.args) == 1
        ):
            return receiver.args[0].value
        if isinstance(receiver, cst.Call) and method_name(receiver) in ("sum", "mean"):
            return receiver
        return (
            receiver
            if isinstance(receiver, (cst.Name, cst.Attribute, cst.BinaryOperation))
            else None
        )

    def _scaled(self, loss: cst.BaseExpression, scope: cst.CSTNode) -> bool:
        if _scales(loss):
            return True
        if isinstance(loss, cst.Call) and isinstance(loss.func, cst.Attribute):
            loss = loss.func.value
        if not isinstance(loss, cst.Name):
            return not isinstance(loss, cst.Attribute)
        for item in iter_nodes(scope):
            if (
                isinstance(item, cst.AugAssign)
                and isinstance(item.target, cst.Name)
                and item.target.value == loss.value
                and isinstance(item.operator, _SCALE_AUGMENTS)
            ):
                return True
        return any(name == loss.value and _scales(value) for name, value, _ in assignments(scope))

    def _divides_by(self, scope: cst.CSTNode, divisors: list[str]) -> bool:
        """Whether the function or a same-file function it calls divides by a divisor."""
        ctx = self.context
        functions = top_functions(ctx.module)
        cls = enclosing_class(ctx)
        bodies: list[cst.CSTNode] = [scope]
        for call in reachable_calls(scope, functions, cls):
            func = call.func
            if isinstance(func, cst.Name) and func.value in functions:
                bodies.append(functions[func.value])
        wanted = {d.rpartition(".")[2] for d in divisors}
        for body in bodies:
            for item in iter_nodes(body):
                right: cst.BaseExpression | None = None
                if isinstance(item, cst.BinaryOperation) and isinstance(item.operator, cst.Divide):
                    right = item.right
                elif isinstance(item, cst.AugAssign) and isinstance(
                    item.operator, cst.DivideAssign
                ):
                    right = item.value
                if right is not None and ctx.render(right).rpartition(".")[2] in wanted:
                    return True
        return False
