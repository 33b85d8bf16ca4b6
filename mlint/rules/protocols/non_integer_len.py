"""ML506 `non-integer-len`: the rule and the helpers only it uses."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.modules import walk_statements
from mlint.rule import Rule, register
from mlint.types import FixAvailability

# Calls that return a float whatever their argument.
_FLOAT_CALLS = frozenset(
    {"float", "numpy.ceil", "numpy.floor", "numpy.sqrt", "numpy.mean", "math.sqrt", "math.log"}
)

_FLOAT_OPERATORS = (cst.Add, cst.Subtract, cst.Multiply, cst.Modulo, cst.FloorDivide, cst.Power)


@register
class NonIntegerLen(Rule):
    """## What it does
    Checks for `__len__` methods that return a true division (`/`) or another float.

    ## Why is this bad?
    `len()` accepts only integers: `len(ds)` raises `TypeError: 'float' object cannot be
    interpreted as an integer` whenever `__len__` returns `n / batch_size`, even when
    the division is exact. The error shows up in the DataLoader or sampler, not here.

    ## Example
    ```python
    def __len__(self):
        return len(self.items) / self.batch_size
    ```

    ## Use instead
    ```python
    def __len__(self):
        return math.ceil(len(self.items) / self.batch_size)  # or `//` to drop the tail
    ```

    ## Fix safety
    No fix: `//` (drop the last partial batch) and `math.ceil` (keep it) are both
    plausible, and only the author knows which was meant. Values wrapped in `int()`,
    `round()`, `math.ceil()` or `math.floor()` are integers and not reported.

    ## Pattern
    `mlint.patterns.protocols.MapDataset`
    """

    code = "ML506"
    name = "non-integer-len"
    message = "`__len__` returns a float: `len()` raises `TypeError`"
    fix_availability = FixAvailability.NONE
    triggers = ("__len__",)
    pattern = "mlint.patterns.protocols.MapDataset"

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value != "__len__" or not isinstance(
            self.context.enclosing(cst.ClassDef, cst.FunctionDef), cst.ClassDef
        ):
            return
        for small in walk_statements(node.body):
            if (
                isinstance(small, cst.Return)
                and small.value is not None
                and self._is_float(small.value)
            ):
                self.report(
                    small.value,
                    f"`__len__` returns `{self.context.code(small.value)}`, a float: "
                    "`len()` raises `TypeError`; use `//` or `math.ceil(...)`",
                )

    def _is_float(self, expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Float):
            return True
        if isinstance(expr, cst.BinaryOperation):
            if isinstance(expr.operator, cst.Divide):
                return True
            return isinstance(expr.operator, _FLOAT_OPERATORS) and (
                self._is_float(expr.left) or self._is_float(expr.right)
            )
        if isinstance(expr, cst.UnaryOperation):
            return self._is_float(expr.expression)
        if isinstance(expr, cst.IfExp):
            return self._is_float(expr.body) or self._is_float(expr.orelse)
        if isinstance(expr, cst.Call):
            resolved = self.context.imports.resolve(expr.func)
            return (
                resolved is not None
                and resolved.name in _FLOAT_CALLS
                and (resolved.certain or resolved.name == "float")
            )
        return False
