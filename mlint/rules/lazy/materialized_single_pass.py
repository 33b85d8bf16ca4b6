"""ML102 `materialized-single-pass`: the rule and the helpers only it uses."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from mlint.analysis.defuse import DefUse, NameUse, Role, UseKind
from mlint.analysis.imports import dotted_name
from mlint.rule import Rule, register
from mlint.rules.lazy._shared import _defuse, _enclosing_function, _walk
from mlint.types import Applicability, FixAvailability

# Consumers that take an iterable once and fold it into one value. ``sorted``/``set``/``tuple``
# build a collection of their own anyway, so a generator would save nothing there.
_SINGLE_PASS_CONSUMERS = frozenset({"sum", "min", "max", "any", "all"})

# ``sum([...])`` is fixed to ``sum(...)`` for these; ``any([...])``/``all([...])`` are
# left to ruff's C419, which every ruff user already sees.
_INLINE_CONSUMERS = frozenset({"sum", "min", "max"})

# ``list(x)`` arguments that are lazy iterators (a snapshot of a container is deliberate).
_LAZY_BUILTINS = frozenset({"map", "filter", "zip", "range", "enumerate", "reversed"})


@register
class MaterializedSinglePass(Rule):
    """## What it does
    Checks for a list comprehension (or `list(...)` of a lazy iterator) bound to a
    name that is then consumed exactly once, by a `for` loop or by a consumer that folds
    it into one value (`sum`, `min`, `max`, `any`, `all`); and for `sum([...])`-style
    calls that build a list only to consume it.

    ## Why is this bad?
    The whole list lives in memory although every element is needed only once, in
    order. A generator expression produces the same values one at a time, so peak
    memory stays constant.

    ## Example
    ```python
    losses = [criterion(model(x), y) for x, y in batches]
    total = sum(losses)
    ```

    ## Use instead
    ```python
    losses = (criterion(model(x), y) for x, y in batches)
    total = sum(losses)
    ```

    ## Fix safety
    The fix is unsafe: a generator runs the element expressions lazily, interleaved
    with the consumer, so side effects change order and an early `break` or a
    short-circuiting `any`/`all` skips the rest. Names that are indexed, `len()`-ed,
    iterated twice, mutated, returned, used inside a loop or a nested function are not
    reported, nor lists whose inputs are used between the list and its consumer or inside
    the consuming loop: such a list is a deliberate snapshot (`keys = [k for k in d]` before
    deleting from `d`). `list(d)`/`list(d.items())` snapshots are never reported, nor
    `"".join([...])` (faster with a list), nor `any([...])`/`all([...])`, which ruff's
    C419 already reports. Neither are lists handed to `sorted`, `set`, `tuple` or `dict`,
    which build a collection of their own anyway, nor comprehensions that `await` (or use
    `async for`): as generator expressions they would be async generators, which `sum`
    and `for` cannot consume.

    This rule is opt-in: select it with `--select ML102`. On real application code its
    findings were technically right but not worth changing: the lists were a handful of
    items, and a list is as fast as a generator there.

    ## Pattern
    `mlint.patterns.lazy.iter_lines`
    """

    code = "ML102"
    name = "materialized-single-pass"
    message = "List built only to be consumed once: use a generator expression"
    fix_availability = FixAvailability.ALWAYS
    triggers = (" for ", "list(")
    pattern = "mlint.patterns.lazy.iter_lines"
    default: ClassVar[bool] = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._defuse: dict[int, DefUse] = {}

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Name) and func.value in _INLINE_CONSUMERS):
            return
        if len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
            return
        comp = node.args[0].value
        if not isinstance(comp, cst.ListComp) or comp.lpar or _awaits(comp):
            return
        ctx = self.context
        code = ctx.code(comp)
        fix = self.make_fix(
            [ctx.replace(comp, code[1:-1])], Applicability.UNSAFE, "Pass a generator expression"
        )
        self.report(
            comp,
            f"`{func.value}([...])` builds a list only to consume it: "
            f"pass a generator, `{func.value}(... for ...)`",
            fix=fix,
        )

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        value = node.value
        lazy_source: cst.BaseExpression | None = None
        if isinstance(value, cst.ListComp):
            lazy_source = value
        elif _is_list_of_lazy(value):
            assert isinstance(value, cst.Call)
            lazy_source = value.args[0].value
        if lazy_source is None or _awaits(lazy_source):
            return
        function = _enclosing_function(self)
        if function is None:
            return
        name = node.targets[0].target.value
        defuse = _defuse(self, function, self._defuse)
        consumer = _single_consumer(defuse, name, node)
        if consumer is None:
            return
        if _inputs_touched_before(defuse, lazy_source, node, consumer):
            return
        if isinstance(consumer, cst.For) and _loop_changes_inputs(defuse, lazy_source, consumer):
            return
        ctx = self.context
        if isinstance(value, cst.ListComp):
            replacement = "(" + ctx.code(value)[1:-1] + ")"
        elif isinstance(lazy_source, cst.GeneratorExp) and not lazy_source.lpar:
            replacement = "(" + ctx.code(lazy_source) + ")"
        else:
            replacement = ctx.code(lazy_source)
        how = "a `for` loop" if isinstance(consumer, cst.For) else f"`{_callee(consumer)}()`"
        fix = self.make_fix(
            [ctx.replace(value, replacement)], Applicability.UNSAFE, "Use a generator expression"
        )
        self.report(
            value,
            f"`{name}` is built as a list but consumed once by {how}: use a generator expression",
            fix=fix,
        )


def _awaits(node: cst.CSTNode) -> bool:
    """An ``await`` or ``async for`` in the comprehension: as a generator it would be async."""
    return any(
        isinstance(n, cst.Await) or (isinstance(n, cst.CompFor) and n.asynchronous is not None)
        for n in (node, *_walk(node))
    )


def _callee(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Call):
        return dotted_name(node.func) or "call"
    return "call"


def _is_list_of_lazy(value: cst.BaseExpression) -> bool:
    """``list(<generator>)`` or ``list(map(...))``: materializing a lazy iterator."""
    if not (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "list"
        and len(value.args) == 1
        and value.args[0].keyword is None
        and not value.args[0].star
    ):
        return False
    arg = value.args[0].value
    if isinstance(arg, cst.GeneratorExp):
        return True
    return (
        isinstance(arg, cst.Call)
        and isinstance(arg.func, cst.Name)
        and arg.func.value in _LAZY_BUILTINS
    )


def _single_consumer(defuse: DefUse, name: str, assign: cst.Assign) -> cst.CSTNode | None:
    """The one ``for`` loop or consumer call that reads ``name``, if that is its only use."""
    if defuse.is_global(name):
        return None
    uses = defuse.uses(name)
    binding = [u for u in uses if u.node is assign.targets[0].target]
    if len(binding) != 1:
        return None
    bind = binding[0]
    others = [u for u in uses if u is not bind and u.role is not Role.COMPREHENSION_TARGET]
    if any(u.escaped or u.kind is not UseKind.LOAD for u in others):
        return None  # rebound, deleted, augmented, or captured by a nested scope
    if len(others) != 1:
        return None
    use = others[0]
    if use.order < bind.order or use.loops != bind.loops:
        return None
    if use.role is Role.ITERATED:
        return _for_loop_over(use)
    if use.role is Role.ARGUMENT and use.detail in _SINGLE_PASS_CONSUMERS:
        call = use.expression
        if isinstance(call, cst.Call) and len(call.args) == 1 and call.args[0].keyword is None:
            return call
    return None


def _for_loop_over(use: NameUse) -> cst.CSTNode | None:
    """The ``for`` statement whose iterable is exactly this name (not a comprehension)."""
    return use.expression if isinstance(use.expression, cst.For) else None


def _read_names(source: cst.BaseExpression) -> set[str]:
    """Names an expression reads, less the targets of its own comprehensions."""
    nodes = (source, *_walk(source))
    names = {n.value for n in nodes if isinstance(n, cst.Name)}
    for node in nodes:
        if isinstance(node, cst.CompFor):
            names -= {
                n.value for n in (node.target, *_walk(node.target)) if isinstance(n, cst.Name)
            }
    return names


def _inputs_touched_before(
    defuse: DefUse, source: cst.BaseExpression, assign: cst.Assign, consumer: cst.CSTNode
) -> bool:
    """Whether code between the list and its consumer uses what the list was built from.

    A generator computes its items only when consumed, so ``state = [(m, m.training) for m
    in model.modules()]; model.eval(); for m, t in state: ...`` would read the new state.
    """
    target = assign.targets[0].target
    start = next((u.order for u in defuse.uses(target.value) if u.node is target), None)  # type: ignore[attr-defined]
    if start is None:
        return True
    consumer_ids = {id(n) for n in _walk(consumer)} | {id(consumer)}
    consumed_at = min(
        (u.order for u in defuse.uses(target.value) if id(u.node) in consumer_ids),  # type: ignore[attr-defined]
        default=None,
    )
    if consumed_at is None:
        return True
    return any(
        start < use.order < consumed_at for name in _read_names(source) for use in defuse.uses(name)
    )


def _loop_changes_inputs(defuse: DefUse, source: cst.BaseExpression, loop: cst.CSTNode) -> bool:
    """Whether the consuming loop changes a name the list was built from.

    A list built before such a loop is a deliberate snapshot (``for k in [k for k in d
    if ...]: del d[k]``); a generator would see the changes.
    """
    names = _read_names(source)
    body = loop.body if isinstance(loop, cst.For) else loop
    for name in names:
        for use in defuse.uses_within(name, body):
            if use.mutates or use.kind in (UseKind.DELETE, UseKind.BIND):
                return True
    # Any use of an iterated container may change it (``_replace_module(model, ...)``).
    for name in _iterated_roots(source):
        if defuse.uses_within(name, body):
            return True
    return False


def _iterated_roots(source: cst.BaseExpression) -> set[str]:
    """Root names of what a comprehension, generator or ``map``/``filter`` call iterates."""
    iterables: list[cst.BaseExpression] = []
    for node in (source, *_walk(source)):
        if isinstance(node, cst.CompFor):
            iterables.append(node.iter)
    if isinstance(source, cst.Call):
        iterables.extend(arg.value for arg in source.args)
    roots: set[str] = set()
    for iterable in iterables:
        roots |= {n.value for n in (iterable, *_walk(iterable)) if isinstance(n, cst.Name)}
    return roots
