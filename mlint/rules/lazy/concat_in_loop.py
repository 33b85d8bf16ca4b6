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
    reported.

    ## Pattern
    `mlint.patterns.lazy.concat_once`
    """

    code = "ML104"
    name = "concat-in-loop"
    # Opt-in: below the 90% bar on real application code (benchmarks/realworld/).
    default = False
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
        label = dotted_name(call.func) or "concatenate"
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
