"""ML607: the result of a non-mutating pandas/NumPy/torch call thrown away."""

from __future__ import annotations

import bisect
import re
from typing import ClassVar

import libcst as cst

from mlint.analysis.frames import KindTable
from mlint.rule import FileContext, Rule, register
from mlint.rules.training._shared import has_keyword, kind_table, shown
from mlint.types import Applicability, FixAvailability

# Cell markers of notebooks exported as scripts: nbconvert's `# In[ ]:`, jupytext's `# %%`.
_CELL_MARKER = re.compile(r"# In\[[ 0-9]*\]:|# %%")
_FRAME_METHODS = frozenset(
    {
        "dropna",
        "fillna",
        "drop",
        "drop_duplicates",
        "reset_index",
        "set_index",
        "rename",
        "sort_values",
        "sort_index",
        "replace",
        "astype",
        "assign",
        "reindex",
        "ffill",
        "bfill",
        "interpolate",
        "clip",
        "round",
        "where",
        "mask",
        "rename_axis",
        "add_prefix",
        "add_suffix",
        "infer_objects",
        "convert_dtypes",
    }
)
_NUMPY_FUNCTIONS = frozenset(
    {
        "append",
        "insert",
        "delete",
        "clip",
        "round",
        "around",
        "sort",
        "reshape",
        "squeeze",
        "expand_dims",
        "transpose",
        "nan_to_num",
        "abs",
        "absolute",
        "flip",
        "roll",
    }
)
_ARRAY_METHODS = frozenset(
    {"reshape", "astype", "flatten", "ravel", "squeeze", "transpose", "clip", "round", "copy"}
)
_TENSOR_METHODS = frozenset(
    {
        "add",
        "sub",
        "mul",
        "div",
        "pow",
        "clamp",
        "clip",
        "to",
        "float",
        "double",
        "half",
        "long",
        "int",
        "cuda",
        "cpu",
        "detach",
        "squeeze",
        "unsqueeze",
        "view",
        "reshape",
        "permute",
        "transpose",
        "abs",
        "exp",
        "log",
        "sqrt",
        "neg",
        "sigmoid",
        "relu",
        "softmax",
        "clone",
        "contiguous",
        "flatten",
        "masked_fill",
        "index_fill",
        "scatter",
    }
)
_ANY_METHOD = _FRAME_METHODS | _ARRAY_METHODS | _TENSOR_METHODS
_TORCH_FUNCTIONS = frozenset(
    {"clamp", "clip", "add", "mul", "sigmoid", "softmax", "squeeze", "unsqueeze"}
)


@register
class DiscardedResult(Rule):
    """## What it does
    Checks for an expression statement that calls a pandas, NumPy or torch function
    which returns a new object and leaves its input unchanged — `df.dropna()`,
    `df.fillna(0)`, `df.drop(columns=[...])`, `df.reset_index()`, `np.clip(z, -1, 1)`,
    `np.append(a, x)`, `t.add(1)`, `t.to(device)` — when the result is thrown away.

    The receiver must be known to be a frame, array or tensor from where it comes from
    (`pd.read_csv`, `np.zeros`, `torch.randn`, ... or a parameter annotated so). Calls
    with `inplace=True` or `out=` are not reported, nor is `nn.Module.to(...)`, which does
    work in place.

    In a notebook, the last expression of a cell is displayed, not discarded: it is not
    reported (unless a trailing `;` hides the display). Scripts exported from notebooks
    keep their cell markers (`# In[3]:` from nbconvert, `# %%` from jupytext) and are
    treated the same way. A call on a fresh object (`torch.ones(1).to("cuda")` to
    initialise CUDA, `np.sort(s.unique())`) changes no stored value and is not reported.

    This rule is opt-in: on the real-world corpus its only hits after the notebook
    display exemption were a leftover line whose loss did not matter, so it does not
    meet the 90% bar for the default set. Select it with `--select ML607`.

    ## Why is this bad?
    The call computes a new frame or array and drops it: the data stays as it was,
    while the code reads as if it was cleaned, clipped or moved. The bug surfaces far
    later (NaNs in training, a tensor on the wrong device).

    ## Example
    ```python
    df = pd.read_csv("data.csv")
    df.dropna()
    ```

    ## Use instead
    ```python
    df = pd.read_csv("data.csv")
    df = df.dropna()
    ```

    ## Fix safety
    The fix assigns the result back to the receiver (`df = df.dropna()`,
    `z = np.clip(z, -1, 1)`); it is unsafe because other names may still refer to the
    old object, and for the author the call might have been a leftover to delete rather
    than a missing assignment.
    """

    code = "ML607"
    name = "discarded-result"
    default: ClassVar[bool] = False
    message = "The result of this call is discarded: assign it back"
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("pandas", "numpy", "torch")

    def __init__(self, context: FileContext, options: object = None) -> None:
        super().__init__(context, options)
        self._tables: dict[int, KindTable] = {}
        self._cells: tuple[int, ...] | None = None
        imports = context.imports
        self._enabled = any(imports.imports_module(m) for m in ("pandas", "numpy", "torch"))

    def visit_Expr(self, node: cst.Expr) -> None:
        if not self._enabled or not isinstance(node.value, cst.Call):
            return
        call = node.value
        if has_keyword(call, "inplace") or has_keyword(call, "out") or has_keyword(call, "copy"):
            return
        found = self._discarded(call)
        if found is None:
            return
        label, target = found
        if target is None:
            # `torch.ones(1).to("cuda")`, `np.sort(s.unique())`: no stored object was
            # meant to change; a side effect or a display, not a lost update.
            return
        ctx = self.context
        if self._displayed(node):
            return
        text = f"{ctx.code(target)} = {ctx.code(call)}"
        fix = self.make_fix([ctx.replace(node, text)], Applicability.UNSAFE, "Assign back")
        self.report(
            call,
            f"`{shown(ctx, call)}` returns a new {label} and leaves `{shown(ctx, target)}` "
            f"unchanged; the result is discarded: assign it back (`{text}`)",
            fix=fix,
        )

    def _discarded(self, call: cst.Call) -> tuple[str, cst.BaseExpression | None] | None:
        """``(what is returned, the name to assign back to)`` for a discarding call."""
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in _ANY_METHOD:
            table = kind_table(self.context, self._tables)
            method = func.attr.value
            receiver = func.value
            kind = table.kind_of(receiver)
            target = receiver if _assignable(receiver) else None
            if kind in ("frame", "series") and method in _FRAME_METHODS:
                return ("frame" if kind == "frame" else "series"), target
            if kind == "array" and method in _ARRAY_METHODS:
                return "array", target
            if kind == "tensor" and method in _TENSOR_METHODS:
                return "tensor", target
        resolved = self.context.imports.resolve(func)
        if resolved is None or not resolved.certain:
            return None
        head, _, last = resolved.name.partition(".")
        first = call.args[0].value if call.args and call.args[0].keyword is None else None
        target = first if first is not None and _assignable(first) else None
        if head == "numpy" and last in _NUMPY_FUNCTIONS and first is not None:
            return "array", target
        if (
            head == "torch"
            and last in _TORCH_FUNCTIONS
            and first is not None
            and kind_table(self.context, self._tables).kind_of(first) == "tensor"
        ):
            return "tensor", target
        return None

    def _displayed(self, node: cst.Expr) -> bool:
        """Whether ``node`` is the last statement of a notebook cell (its value is shown)."""
        ctx = self.context
        cell_lines = ctx.cell_lines or self._marked_cells()
        if not cell_lines or isinstance(node.semicolon, cst.Semicolon):
            return False
        ancestors = ctx.ancestors
        if len(ancestors) < 2 or not isinstance(ancestors[-2], cst.Module):
            return False
        line = ancestors[-1]
        if not isinstance(line, cst.SimpleStatementLine) or line.body[-1] is not node:
            return False
        body = ctx.module.body
        index = next(i for i, statement in enumerate(body) if statement is line)
        here = ctx.location(ctx.span(line)[0]).line
        cell = bisect.bisect_right(cell_lines, here) - 1
        if index + 1 == len(body):
            return True
        if cell + 1 >= len(cell_lines):
            return False
        following = ctx.location(ctx.span(body[index + 1])[0]).line
        return following >= cell_lines[cell + 1]

    def _marked_cells(self) -> tuple[int, ...]:
        """Cell first lines of a notebook exported as a script (`# In[3]:`, `# %%`)."""
        if self._cells is None:
            self._cells = tuple(
                number
                for number, line in enumerate(self.context.source.splitlines(), start=1)
                if _CELL_MARKER.match(line)
            )
        return self._cells


def _assignable(expr: cst.BaseExpression) -> bool:
    """A plain name, ``self.x``, or ``df["col"]``: safe to write as an assignment target."""
    if isinstance(expr, cst.Name):
        return True
    if isinstance(expr, cst.Attribute):
        return isinstance(expr.value, cst.Name)
    if (
        isinstance(expr, cst.Subscript)
        and isinstance(expr.value, cst.Name)
        and len(expr.slice) == 1
        and isinstance(expr.slice[0].slice, cst.Index)
    ):
        return isinstance(expr.slice[0].slice.value, cst.SimpleString)
    return False
