"""ML606: pandas chained assignment, a silent no-op under Copy-on-Write."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.frames import KindTable
from mlint.rule import FileContext, Rule, register
from mlint.rules.training._shared import has_keyword, kind_table, shown, without_keyword
from mlint.types import Applicability, Fix, FixAvailability

# Attributes of a frame that are not columns.
_FRAME_ATTRIBUTES = frozenset(
    {"loc", "iloc", "at", "iat", "values", "index", "columns", "T", "dtypes", "shape", "str"}
)
_INPLACE_METHODS = frozenset(
    {
        "fillna",
        "replace",
        "clip",
        "interpolate",
        "where",
        "mask",
        "ffill",
        "bfill",
        "dropna",
        "drop",
        "drop_duplicates",
        "rename",
        "sort_values",
        "reset_index",
        "set_index",
        "update",
    }
)
# Methods whose result has the column's shape, so assigning it back is the same update.
_SHAPE_KEEPING = frozenset(
    {"fillna", "replace", "clip", "interpolate", "where", "mask", "ffill", "bfill"}
)


def _string_key(node: cst.Subscript) -> cst.BaseExpression | None:
    """The single string (or list of strings) index of ``x["a"]``, else ``None``."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    if isinstance(value, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
        return value
    return None


def _plain_index(node: cst.Subscript) -> cst.BaseExpression | None:
    """The single non-slice index of ``x[i]``, else ``None``."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    return node.slice[0].slice.value


@register
class ChainedAssignment(Rule):
    """## What it does
    Checks for chained assignment on a pandas `DataFrame`: `df["a"][mask] = v`,
    `df[mask]["b"] = v`, `df.loc[mask]["b"] = v`, and in-place methods called on a
    column, `df["c"].fillna(v, inplace=True)` or `df.c.fillna(v, inplace=True)`.

    The frame is known from where it comes from: `pd.read_csv(...)`, `pd.DataFrame(...)`,
    `pd.concat(...)` and friends, a frame method applied to one (`df.dropna()`,
    `df.copy()`), or a parameter annotated `pd.DataFrame`. NumPy arrays (`a[i][j] = v`
    writes through a view) and dicts are not reported.

    ## Why is this bad?
    The first indexing step may return a copy; the assignment then writes into that
    temporary and the frame is unchanged. Older pandas warns (`SettingWithCopyWarning`)
    and sometimes writes through; under Copy-on-Write (the default from pandas 3.0)
    it never does: the line silently does nothing.

    ## Example
    ```python
    df = pd.read_csv("data.csv")
    df["age"][df["age"] < 0] = 0
    df["city"].fillna("unknown", inplace=True)
    ```

    ## Use instead
    ```python
    df = pd.read_csv("data.csv")
    df.loc[df["age"] < 0, "age"] = 0
    df["city"] = df["city"].fillna("unknown")
    ```

    ## Fix safety
    The fix rewrites `df[col][rows] = v`, `df[rows][col] = v` and `df.loc[rows][col] = v`
    (with `col` a string) to `df.loc[rows, col] = v`, and an in-place fill or replace on
    a column to an assignment back to the column. It is unsafe: `.loc` selects by label
    where `df[col][rows]` with an integer selects by position on a non-default index,
    and the code may have relied on the old (non-)effect. Slices and in-place methods
    that change the column's length (`dropna`, `drop`) get no fix.

    ## References
    - [pandas: Copy-on-Write](https://pandas.pydata.org/docs/user_guide/copy_on_write.html)
    """

    code = "ML606"
    name = "chained-assignment"
    message = "Chained assignment on a DataFrame writes to a temporary copy: use `.loc[rows, col]`"
    fix_availability = FixAvailability.SOMETIMES
    triggers = ("pandas",)

    def __init__(self, context: FileContext, options: object = None) -> None:
        super().__init__(context, options)
        self._tables: dict[int, KindTable] = {}
        source = context.source
        self._enabled = ("][" in source or "inplace=True" in source) and (
            context.imports.imports_module("pandas")
        )

    def _table(self) -> KindTable:
        return kind_table(self.context, self._tables)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._enabled:
            for target in node.targets:
                self._check_target(target.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if self._enabled:
            self._check_target(node.target)

    def _check_target(self, target: cst.BaseExpression) -> None:
        if not isinstance(target, cst.Subscript):
            return
        inner = target.value
        if isinstance(inner, cst.Attribute) and inner.attr.value in ("loc", "iloc", "at", "iat"):
            inner = inner.value  # df["a"].loc[i] = v
            loc_outer = True
        else:
            loc_outer = False
        if not isinstance(inner, (cst.Subscript, cst.Attribute)):
            return
        if isinstance(inner, cst.Attribute):
            if loc_outer or inner.attr.value in _FRAME_ATTRIBUTES:
                return
            frame_expr = inner.value  # df.col[mask] = v
        else:
            frame_expr = inner.value
            if isinstance(frame_expr, cst.Attribute) and frame_expr.attr.value in ("loc", "iloc"):
                frame_expr = frame_expr.value  # df.loc[m]["b"] = v
        if self._table().kind_of(frame_expr) != "frame":
            return
        ctx = self.context
        fix = None if loc_outer else self._loc_fix(target)
        self.report(
            target,
            f"`{shown(ctx, target)} = ...` is chained assignment: it writes to a temporary copy "
            f"(a no-op under Copy-on-Write); "
            + (f"use `{fix[1]} = ...`" if fix else "assign through one `.loc[rows, col]`"),
            fix=None if fix is None else fix[0],
        )

    def _loc_fix(self, target: cst.Subscript) -> tuple[Fix, str] | None:
        ctx = self.context
        inner = target.value
        outer_index = _plain_index(target)
        if outer_index is None:
            return None
        if isinstance(inner, cst.Attribute):
            column: cst.BaseExpression | str | None = f'"{inner.attr.value}"'
            rows: cst.BaseExpression | None = outer_index
            frame = inner.value
        else:
            assert isinstance(inner, cst.Subscript)
            first = inner.value
            if isinstance(first, cst.Attribute) and first.attr.value == "loc":
                column, rows, frame = _string_key(target), _plain_index(inner), first.value
            elif isinstance(first, cst.Attribute):
                return None  # df.iloc[i]["b"]: positions, no label form
            elif _string_key(inner) is not None:
                column, rows, frame = _string_key(inner), outer_index, first
            elif _string_key(target) is not None:
                column, rows, frame = _string_key(target), _plain_index(inner), first
            else:
                return None
        if column is None or rows is None:
            return None
        column_code = column if isinstance(column, str) else ctx.code(column)
        text = f"{ctx.code(frame)}.loc[{ctx.code(rows)}, {column_code}]"
        return (
            self.make_fix([ctx.replace(target, text)], Applicability.UNSAFE, "Use `.loc`"),
            text,
        )

    def visit_Expr(self, node: cst.Expr) -> None:
        if not self._enabled:
            return
        call = node.value
        if not (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Attribute)
            and call.func.attr.value in _INPLACE_METHODS
            and has_keyword(call, "inplace", "True")
        ):
            return
        receiver = call.func.value
        column: str | None = None
        if isinstance(receiver, cst.Subscript):
            frame_expr = receiver.value
            key = _string_key(receiver)
            column = None if key is None else self.context.code(key)
        elif isinstance(receiver, cst.Attribute) and receiver.attr.value not in _FRAME_ATTRIBUTES:
            frame_expr = receiver.value
            column = f'"{receiver.attr.value}"'
        else:
            return
        if isinstance(frame_expr, cst.Attribute) and frame_expr.attr.value in ("loc", "iloc"):
            return  # df.loc[...] with inplace: reported by nothing here, rows unknown
        if self._table().kind_of(frame_expr) != "frame":
            return
        ctx = self.context
        fix = None
        advice = "assign the result back instead of `inplace=True`"
        if column is not None and call.func.attr.value in _SHAPE_KEEPING:
            target = f"{ctx.code(frame_expr)}[{column}]"
            rewritten = without_keyword(call, "inplace").with_changes(
                func=call.func.with_changes(value=cst.parse_expression(target))
            )
            text = f"{target} = {ctx.render(rewritten)}"
            fix = self.make_fix([ctx.replace(node, text)], Applicability.UNSAFE, "Assign back")
            advice = f"use `{text}`"
        self.report(
            call,
            f"`{shown(ctx, call)}` works on a temporary column (a no-op under Copy-on-Write): "
            + advice,
            fix=fix,
        )
