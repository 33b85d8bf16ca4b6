"""ML601: a loss tensor accumulated across loop iterations with its autograd graph."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from mlint.analysis.blocks import iter_nodes
from mlint.analysis.imports import dotted_name
from mlint.analysis.origin import iter_name_nodes
from mlint.analysis.tensors import (
    GRAPH_KEEPING_METHODS,
    LossModules,
    backward_receivers,
    is_torch_file,
    leading_name,
)
from mlint.rule import FileContext, Rule, register
from mlint.rules.training._shared import Step, assigned_value, root_name, scope_steps, shown
from mlint.types import Applicability, FixAvailability


@dataclass(frozen=True)
class _Accumulation:
    step: Step
    accumulator: cst.BaseExpression
    value: cst.BaseExpression


@register
class LossAccumulatedWithGraph(Rule):
    """## What it does
    Checks for a loss tensor that is summed or collected across loop iterations
    (`total += loss`, `losses.append(loss)`, `history[k] += loss`) without `.item()`,
    `float()` or `.detach()`.

    A value counts as a loss tensor only from where it comes from: it gets `.backward()`
    (directly, through `scaler.scale(...)` or `accelerator.backward(...)`), or it is the
    result of a `torch.nn.*Loss` module, of `torch.nn.functional.*loss*` or of a name the
    file binds to such a module, or arithmetic on such a value. A variable called `loss`
    that holds a float returned by a helper, sklearn's `log_loss`, and code in files that
    never import torch are not reported.

    ## Why is this bad?
    Adding a tensor that requires grad to another one builds a new autograd node that
    references it. The running total keeps every iteration's graph (and on GPU, the
    tensors it saved) alive until the loop ends: memory grows with every batch, and an
    out-of-memory error appears after many iterations, far from its cause.

    ## Example
    ```python
    total = 0.0
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss
    ```

    ## Use instead
    ```python
    total = 0.0
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.detach()
    ```

    ## Fix safety
    When the accumulator is a local name that is never returned, stored on an object or
    differentiated, the fix adds `.detach()`: the value and device stay the same, only the
    graph is dropped, so it is safe. Otherwise the fix adds `.item()` and is unsafe: the
    accumulator becomes a Python float, which code that reads it later may not expect.
    Accumulations that later reach `.backward()` (`loss_sum.backward()`,
    `torch.stack(losses).mean().backward()`) are deliberate and not reported, nor are
    accumulations in a function that calls no `backward` and returns the total (a loss
    helper whose caller differentiates it), nor anything under `torch.no_grad()`.

    ## References
    - [PyTorch FAQ: my model reports "cuda runtime error(2): out of memory"](https://pytorch.org/docs/stable/notes/faq.html)
    """

    code = "ML601"
    name = "loss-accumulated-with-graph"
    message = "Loss accumulated with its autograd graph: use `.detach()` or `.item()`"
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("backward", "Loss(", "_loss(", "cross_entropy(", "kl_div(")

    def __init__(self, context: FileContext, options: object = None) -> None:
        super().__init__(context, options)
        # Functions (or the module) holding an accumulation-shaped statement in a loop.
        self._scopes: dict[int, cst.FunctionDef | cst.Module] = {}

    def _note(self) -> None:
        ctx = self.context
        if ctx.enclosing(cst.For, cst.While) is None:
            return
        scope = ctx.enclosing(cst.FunctionDef)
        owner = scope if isinstance(scope, cst.FunctionDef) else ctx.module
        self._scopes.setdefault(id(owner), owner)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.operator, cst.AddAssign):
            self._note()

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        if (
            isinstance(value, cst.BinaryOperation)
            and isinstance(value.operator, cst.Add)
            and isinstance(value.left, cst.Name)
        ):
            self._note()

    def visit_Expr(self, node: cst.Expr) -> None:
        value = node.value
        if (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Attribute)
            and value.func.attr.value == "append"
        ):
            self._note()

    def leave_Module(self, node: cst.Module) -> None:
        ctx = self.context
        if not self._scopes or not is_torch_file(ctx.imports):
            return
        losses: LossModules | None = None
        for scope in self._scopes.values():
            steps = scope_steps(scope, ctx.imports)
            candidates = [a for a in map(_accumulation, steps) if a is not None]
            if not candidates:
                continue
            if losses is None:
                losses = LossModules(node, ctx.imports)
            _Scope(self, scope, steps, losses).check(candidates)


def _accumulation(step: Step) -> _Accumulation | None:
    if not step.loops or step.no_grad:
        return None
    small = step.small
    if isinstance(small, cst.AugAssign) and isinstance(small.operator, cst.AddAssign):
        return _Accumulation(step, small.target, small.value)
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        value = small.value
        if (
            isinstance(target, cst.Name)
            and isinstance(value, cst.BinaryOperation)
            and isinstance(value.operator, cst.Add)
            and isinstance(value.left, cst.Name)
            and value.left.value == target.value
        ):
            return _Accumulation(step, target, value.right)
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        call = small.value
        func = call.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "append"
            and len(call.args) == 1
            and call.args[0].keyword is None
        ):
            return _Accumulation(step, func.value, call.args[0].value)
    return None


class _Scope:
    def __init__(
        self,
        rule: LossAccumulatedWithGraph,
        scope: cst.FunctionDef | cst.Module,
        steps: list[Step],
        losses: LossModules,
    ) -> None:
        self.rule = rule
        self.scope = scope
        self.steps = steps
        self.losses = losses
        self.imports = rule.context.imports
        # Step index of every statement that differentiates something, and what.
        self.backward_names: list[tuple[int, str]] = []
        self.backward_reads: set[str] = set()
        self.has_backward = False
        for step in steps:
            for _, tensor in backward_receivers(step.small, self.imports):
                self.has_backward = True
                name = leading_name(tensor)
                if name is not None:
                    self.backward_names.append((step.index, name.value))
                self.backward_reads |= _keys_read(tensor)

    def check(self, candidates: list[_Accumulation]) -> None:
        for acc in candidates:
            tainted = self._tainted(acc.value, acc.step.index, 0)
            if not tainted:
                continue
            root = root_name(acc.accumulator)
            if root is None or self._fresh_in_loop(root, acc.step):
                continue
            if self._reaches_backward(_key(acc.accumulator, root)):
                continue
            escapes = self._escapes(root, acc.accumulator)
            if escapes and not self.has_backward:
                continue  # a loss helper: the caller differentiates the total
            self._report(acc, tainted, safe=not escapes)

    # -- where a value comes from -------------------------------------------------------

    def _tainted(self, expr: cst.BaseExpression, before: int, depth: int) -> list[cst.CSTNode]:
        """The sub-expressions of ``expr`` that hold an autograd loss tensor."""
        if depth > 6:
            return []
        if isinstance(expr, cst.Name):
            return [expr] if self._name_is_loss(expr.value, before, depth) else []
        if isinstance(expr, cst.BinaryOperation):
            return self._tainted(expr.left, before, depth + 1) + self._tainted(
                expr.right, before, depth + 1
            )
        if isinstance(expr, cst.UnaryOperation):
            return self._tainted(expr.expression, before, depth + 1)
        if isinstance(expr, cst.Call):
            if self.losses.is_loss_call(expr, self.imports):
                return [expr]
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value in GRAPH_KEEPING_METHODS:
                return self._tainted(func.value, before, depth + 1)
        return []

    def _name_is_loss(self, name: str, before: int, depth: int) -> bool:
        binding = self._last_binding(name, before)
        if binding is None or binding.no_grad:
            return False
        following = self._next_binding(name, binding.index)
        end = following.index if following is not None else len(self.steps)
        if any(binding.index <= i < end and n == name for i, n in self.backward_names):
            return True
        small = binding.small
        if isinstance(small, cst.AugAssign):
            return bool(self._tainted(small.value, binding.index, depth + 1)) or self._name_is_loss(
                name, binding.index, depth + 1
            )
        targets, value = assigned_value(small)
        if value is None or not (len(targets) == 1 and isinstance(targets[0], cst.Name)):
            return False
        return bool(self._tainted(value, binding.index, depth + 1))

    def _binds(self, step: Step, name: str) -> bool:
        small = step.small
        if isinstance(small, cst.AugAssign):
            return isinstance(small.target, cst.Name) and small.target.value == name
        targets, _ = assigned_value(small)
        return any(n.value == name for t in targets for n in _target_names(t))

    def _last_binding(self, name: str, before: int) -> Step | None:
        for step in reversed(self.steps[:before]):
            if self._binds(step, name):
                return step
        return None

    def _next_binding(self, name: str, after: int) -> Step | None:
        for step in self.steps[after + 1 :]:
            if self._binds(step, name):
                return step
        return None

    # -- the accumulator ----------------------------------------------------------------

    def _fresh_in_loop(self, root: cst.Name, at: Step) -> bool:
        """Whether the accumulator is bound anew inside the loop (nothing carries over)."""
        loop = at.loops[-1]
        for step in self.steps:
            if step is at or loop not in step.loops or step.index > at.index:
                continue
            small = step.small
            if isinstance(small, (cst.Assign, cst.AnnAssign)) and self._binds(step, root.value):
                return True
        return False

    def _reaches_backward(self, key: str) -> bool:
        """Whether the accumulator (a name or ``self.x``) is later differentiated."""
        if key in self.backward_reads:
            return True
        # `loss = torch.stack(losses).mean()` followed by `loss.backward()`
        for step in self.steps:
            targets, value = assigned_value(step.small)
            if isinstance(step.small, cst.AugAssign):
                targets, value = [step.small.target], step.small.value
            if value is None or key not in _keys_read(value):
                continue
            for target in targets:
                for bound in _target_names(target):
                    if bound.value in self.backward_reads and bound.value != key:
                        return True
        return False

    def _escapes(self, root: cst.Name, accumulator: cst.BaseExpression) -> bool:
        """Whether the accumulator may reach code this scope cannot see."""
        if root.value == "self" or not isinstance(self.scope, cst.FunctionDef):
            return root.value == "self"
        name = root.value
        params = self.scope.params
        if any(
            p.name.value == name
            for p in (*params.posonly_params, *params.params, *params.kwonly_params)
        ):
            return True
        for step in self.steps:
            small = step.small
            if isinstance(small, cst.Return) and small.value is not None:
                if name in {n.value for n in iter_name_nodes(small.value)}:
                    return True
            elif isinstance(small, (cst.Global, cst.Nonlocal)):
                if any(item.name.value == name for item in small.names):
                    return True
            else:
                targets, value = assigned_value(small)
                if (
                    value is not None
                    and name in {n.value for n in iter_name_nodes(value)}
                    and any(not isinstance(t, cst.Name) for t in targets)
                ):
                    return True
        return False

    def _report(self, acc: _Accumulation, tainted: list[cst.CSTNode], safe: bool) -> None:
        ctx = self.rule.context
        method = "detach" if safe else "item"
        edits = [ctx.replace(node, f"{_atom(ctx.code(node), node)}.{method}()") for node in tainted]
        fix = self.rule.make_fix(
            edits,
            Applicability.SAFE if safe else Applicability.UNSAFE,
            f"Accumulate `.{method}()`",
        )
        value = shown(ctx, tainted[0])
        self.rule.report(
            acc.step.small,
            f"`{shown(ctx, acc.step.small)}` keeps the autograd graph of every iteration alive: "
            f"accumulate `{_atom(value, tainted[0])}.{method}()`",
            fix=fix,
        )


def _atom(code: str, node: cst.CSTNode) -> str:
    if isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
        return code
    return f"({code})"


def _target_names(target: cst.BaseExpression) -> list[cst.Name]:
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _target_names(e.value)]
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []


def _key(accumulator: cst.BaseExpression, root: cst.Name) -> str:
    """``losses`` for ``losses``/``losses[k]``; ``self.losses`` for ``self.losses[k]``."""
    while isinstance(accumulator, cst.Subscript):
        accumulator = accumulator.value
    if root.value == "self" and isinstance(accumulator, cst.Attribute):
        return dotted_name(accumulator) or root.value
    return root.value


def _keys_read(expr: cst.CSTNode) -> set[str]:
    """Names an expression reads, and the ``self.x`` attributes it reads."""
    keys: set[str] = set()
    for node in iter_nodes(expr):
        if isinstance(node, cst.Name):
            keys.add(node.value)
        elif (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value == "self"
        ):
            keys.add(f"self.{node.attr.value}")
    return keys
