"""ML104 `concat-in-loop`: the rule and the helpers only it uses."""

from __future__ import annotations

import itertools

import libcst as cst

from mlint.analysis.imports import dotted_name
from mlint.rule import Rule, register
from mlint.rules.lazy._shared import _SCOPES, _qualified, _walk
from mlint.types import FixAvailability

_CONCATENATORS = frozenset(
    {
        "pandas.concat",
        "numpy.concatenate",
        "numpy.vstack",
        "numpy.hstack",
        "numpy.dstack",
        "numpy.row_stack",
        "numpy.column_stack",
        "numpy.append",
        "torch.cat",
        "torch.concat",
        "torch.concatenate",
        "torch.stack",
        "torch.vstack",
        "torch.hstack",
    }
)


@register
class ConcatInLoop(Rule):
    """## What it does
    Checks for a loop that grows an array, tensor or DataFrame by concatenating onto
    it: `acc = pd.concat([acc, part])`, `acc = np.concatenate([acc, x])`,
    `np.append`/`vstack`/`hstack`, `torch.cat`/`torch.stack`, `df = df.append(row)`.

    ## Why is this bad?
    Each concatenation allocates a new buffer and copies everything accumulated so
    far, so the loop does quadratic work and holds two copies at its peak. Appending
    the parts to a list and concatenating once copies each element once.

    ## Example
    ```python
    frame = pd.DataFrame()
    for path in paths:
        frame = pd.concat([frame, pd.read_csv(path)])
    ```

    ## Use instead
    ```python
    frame = pd.concat([pd.read_csv(path) for path in paths])
    ```

    ## Fix safety
    No fix: the list and the final concatenation need their own lines. A loop that
    reads the accumulator for anything else than growing it (autoregressive decoding,
    `while x.shape[0] < n`) needs the concatenated value on every step and is not
    reported; neither is KV-cache decoding, where only the new token (`nxt` in
    `ids = torch.cat([ids, nxt], dim=1)`) is fed back to the model in a `while` or
    `for _ in range(n)` loop, a loop whose body ends in an unconditional `break` or
    `return` (it runs once), a loop over `range` of a small literal bound or over the
    folds of a cross-validation splitter (`kf.split(X)`), nor oversampling that appends
    a slice of the accumulator itself (`X = np.concatenate((X, X[mask]))`).

    ## Pattern
    `mlint.patterns.lazy.concat_once`
    """

    code = "ML104"
    name = "concat-in-loop"
    message = "Concatenation inside a loop copies the accumulator every iteration: collect and concatenate once"
    fix_availability = FixAvailability.NONE
    triggers = ("concat", "append(", "stack(", ".cat(")
    pattern = "mlint.patterns.lazy.concat_once"

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1:
            return
        target = dotted_name(node.targets[0].target)
        if target is None:
            return
        call = _growing_call(self, node.value, target)
        if call is None:
            return
        loop = self._enclosing_loop()
        if loop is None or self._accumulator_read_elsewhere(loop, node, target):
            return
        if self._reset_each_iteration(loop, node, target):
            return
        if _runs_once(loop) or _few_iterations(loop) or _over_folds(loop):
            return
        if _decoding_step(loop, call, target) or _replicates(call, target):
            return
        label = dotted_name(call.func) or "concatenate"
        if (
            isinstance(call.func, cst.Attribute)
            and call.func.attr.value in ("append", "_append")
            and dotted_name(call.func.value) == target
        ):
            self.report(
                call,
                f"`{target} = {label}(...)` in a loop copies `{target}` every iteration, and "
                "`DataFrame.append` was removed in pandas 2.0: collect the rows in a list and "
                "build the frame once with `pd.DataFrame(rows)` or `pd.concat(parts)`",
            )
            return
        self.report(
            call,
            f"`{target} = {label}(...)` in a loop copies `{target}` every iteration: "
            "collect the parts in a list and concatenate once after the loop",
        )

    def _enclosing_loop(self) -> cst.For | cst.While | None:
        for node in reversed(self.context.ancestors):
            if isinstance(node, (cst.For, cst.While)):
                return node
            if isinstance(node, _SCOPES):
                return None
        return None

    def _reset_each_iteration(
        self, loop: cst.For | cst.While, assign: cst.Assign, target: str
    ) -> bool:
        """Whether ``target`` is rebound earlier on the way to ``assign`` in every iteration.

        ``x = load(i); x = torch.cat([prefix, x])`` concatenates onto a fresh value each
        time, so nothing grows across iterations.
        """
        if isinstance(loop, cst.For) and any(
            dotted_name(n) == target
            for n in (loop.target, *_walk(loop.target))
            if isinstance(n, (cst.Name, cst.Attribute))
        ):
            return True  # for x in xs: x = torch.cat([x, pad])
        ancestors = self.context.ancestors
        path = [*ancestors[ancestors.index(loop) + 1 :], assign]
        for block, child in itertools.pairwise(path):
            if not isinstance(block, (cst.IndentedBlock, cst.SimpleStatementLine)):
                continue
            for statement in block.body:
                if statement is child:
                    break
                smalls = (
                    statement.body
                    if isinstance(statement, cst.SimpleStatementLine)
                    else [statement]
                )
                for small in smalls:
                    if (
                        isinstance(small, cst.Assign)
                        and any(dotted_name(t.target) == target for t in small.targets)
                        and _growing_call(self, small.value, target) is None
                    ):
                        return True
        return False

    def _accumulator_read_elsewhere(
        self, loop: cst.For | cst.While, assign: cst.Assign, target: str
    ) -> bool:
        """Whether the loop reads ``target`` other than to grow it or test it for ``None``."""
        skipped = {id(n) for n in _walk(assign)}
        stores: set[int] = set()
        parts: list[cst.CSTNode] = [loop.body]
        if isinstance(loop, cst.While):
            parts.append(loop.test)
        nodes = [n for part in parts for n in (part, *_walk(part))]
        for node in nodes:
            if isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign)):
                stores.add(id(node.target))
            elif isinstance(node, cst.Comparison) and _is_none_test(node, target):
                skipped |= {id(n) for n in _walk(node)}
        for node in nodes:
            if id(node) in skipped or id(node) in stores:
                continue
            if isinstance(node, (cst.Name, cst.Attribute)) and dotted_name(node) == target:
                return True
        return False


def _runs_once(loop: cst.For | cst.While) -> bool:
    """The body ends in an unconditional ``break`` or ``return``: there is no second pass."""
    body = loop.body
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return False
    last = body.body[-1]
    return isinstance(last, cst.SimpleStatementLine) and any(
        isinstance(small, (cst.Break, cst.Return, cst.Raise)) for small in last.body
    )


_FEW = 32  # a loop bounded by a literal this small copies a few times, whatever it grows


def _few_iterations(loop: cst.For | cst.While) -> bool:
    """``for i in range(8)`` / ``range(min(k, 20))``: a small literal bound."""
    if not isinstance(loop, cst.For):
        return False
    it = loop.iter
    if not (isinstance(it, cst.Call) and dotted_name(it.func) == "range" and it.args):
        return False
    bound = it.args[-1].value if len(it.args) <= 2 else None
    if isinstance(bound, cst.Call) and dotted_name(bound.func) == "min":
        return any(_small_literal(a.value) for a in bound.args)
    return bound is not None and _small_literal(bound)


def _over_folds(loop: cst.For | cst.While) -> bool:
    """``for fold, (tr, va) in enumerate(kf.split(X))``: one small part per CV fold."""
    if not isinstance(loop, cst.For):
        return False
    it = loop.iter
    if isinstance(it, cst.Call) and dotted_name(it.func) == "enumerate" and it.args:
        it = it.args[0].value
    return (
        isinstance(it, cst.Call)
        and isinstance(it.func, cst.Attribute)
        and it.func.attr.value == "split"
        and bool(it.args)
    )


def _replicates(call: cst.Call, target: str) -> bool:
    """``X = np.concatenate((X, X[mask]))``: the new part is cut from the accumulator itself,
    a bounded oversampling (``np.repeat``/``np.tile`` would be neater, the cost is small)."""
    first = call.args[0].value if call.args else None
    if not isinstance(first, (cst.List, cst.Tuple)):
        return False
    return any(
        dotted_name(element.value) != target
        and any(
            isinstance(n, (cst.Name, cst.Attribute)) and dotted_name(n) == target
            for n in _walk(element.value)
        )
        for element in first.elements
    )


def _small_literal(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Integer) and int(node.value.replace("_", ""), 0) <= _FEW


def _decoding_step(loop: cst.For | cst.While, call: cst.Call, target: str) -> bool:
    """Autoregressive decoding: ``ids = torch.cat([ids, nxt], 1)`` where ``nxt`` alone is fed
    back to the model (``model(nxt, cache=...)``). The loop steps (``while``, ``for _ in
    range(n)``) instead of walking over data, and each step appends a tiny tensor."""
    if isinstance(loop, cst.For) and not (
        isinstance(loop.iter, cst.Call) and dotted_name(loop.iter.func) == "range"
    ):
        return False
    first = call.args[0].value if call.args else None
    if not isinstance(first, (cst.List, cst.Tuple)):
        return False
    parts = {
        dotted_name(e.value) for e in first.elements if dotted_name(e.value) not in (None, target)
    }
    if not parts:
        return False
    inside = {id(n) for n in _walk(call)}
    return any(
        isinstance(node, cst.Arg) and id(node) not in inside and dotted_name(node.value) in parts
        for node in _walk(loop.body)
    )


def _is_none_test(node: cst.Comparison, target: str) -> bool:
    """``acc is None`` / ``acc is not None``."""
    return (
        dotted_name(node.left) == target
        and len(node.comparisons) == 1
        and isinstance(node.comparisons[0].operator, (cst.Is, cst.IsNot))
        and isinstance(node.comparisons[0].comparator, cst.Name)
        and node.comparisons[0].comparator.value == "None"
    )


def _growing_call(rule: Rule, value: cst.BaseExpression, target: str) -> cst.Call | None:
    """The call in ``value`` that concatenates onto ``target`` (through ``x if c else y``)."""
    if isinstance(value, cst.IfExp):
        return _growing_call(rule, value.body, target) or _growing_call(rule, value.orelse, target)
    if not isinstance(value, cst.Call) or not value.args:
        return None
    func = value.func
    if (
        isinstance(func, cst.Attribute)
        and func.attr.value in ("append", "_append")
        and dotted_name(func.value) == target
    ):
        return value  # df = df.append(row): only DataFrame.append returns the new object
    name = _qualified(rule, func)
    if name not in _CONCATENATORS:
        return None
    first = value.args[0].value
    if name == "numpy.append":
        return value if dotted_name(first) == target else None
    if isinstance(first, (cst.List, cst.Tuple)) and any(
        dotted_name(e.value) == target for e in first.elements
    ):
        return value
    return None
