"""Is this name a pandas ``DataFrame``, a NumPy array, a torch tensor? Facts from bindings.

A name is known when every binding of it in one scope (a function, or the module) comes
from a constructor or reader of that kind, or from a method of the same kind that returns
a new object; one binding from anything else and the name is unknown.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mlint.analysis.imports import ImportTable
from mlint.analysis.tensors import TENSOR_FACTORIES
from mlint.walker import children

PANDAS_CONSTRUCTORS = frozenset(
    {
        "read_csv",
        "read_excel",
        "read_parquet",
        "read_json",
        "read_table",
        "read_sql",
        "read_sql_query",
        "read_feather",
        "read_pickle",
        "read_hdf",
        "read_fwf",
        "DataFrame",
        "concat",
        "merge",
        "get_dummies",
        "pivot_table",
        "crosstab",
        "json_normalize",
    }
)
# DataFrame methods that return a new frame (without ``inplace=True``).
FRAME_METHODS = frozenset(
    {
        "copy",
        "dropna",
        "fillna",
        "drop",
        "drop_duplicates",
        "reset_index",
        "set_index",
        "merge",
        "join",
        "rename",
        "sort_values",
        "sort_index",
        "assign",
        "query",
        "astype",
        "head",
        "tail",
        "sample",
        "replace",
        "reindex",
        "ffill",
        "bfill",
        "interpolate",
        "select_dtypes",
        "explode",
        "melt",
        "pivot",
        "transpose",
        "round",
        "abs",
        "clip",
        "filter",
        "where",
        "mask",
        "infer_objects",
        "convert_dtypes",
    }
)
NUMPY_ARRAY_FUNCTIONS = frozenset(
    {
        "array",
        "asarray",
        "zeros",
        "ones",
        "empty",
        "full",
        "arange",
        "linspace",
        "concatenate",
        "stack",
        "vstack",
        "hstack",
        "load",
        "loadtxt",
        "genfromtxt",
        "zeros_like",
        "ones_like",
        "eye",
        "random.rand",
        "random.randn",
        "random.randint",
        "random.random",
        "random.normal",
        "random.uniform",
    }
)


def _bindings(scope: cst.CSTNode) -> Iterator[tuple[str, cst.BaseExpression | None]]:
    """``(name, value)`` for each binding of a plain name; ``value`` None when not an `=`."""
    stack: list[cst.CSTNode] = [scope.body if isinstance(scope, cst.FunctionDef) else scope]
    while stack:
        item = stack.pop()
        if isinstance(item, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            if isinstance(item, (cst.FunctionDef, cst.ClassDef)):
                yield item.name.value, None
            continue
        if isinstance(item, cst.Assign):
            for target in item.targets:
                if isinstance(target.target, cst.Name):
                    yield target.target.value, item.value
                else:
                    yield from _unknown_targets(target.target)
        elif isinstance(item, cst.AnnAssign) and isinstance(item.target, cst.Name):
            yield item.target.value, item.value
        elif isinstance(item, (cst.AugAssign, cst.For, cst.CompFor)):
            yield from _unknown_targets(item.target)
        elif isinstance(item, cst.AsName):
            if isinstance(item.name, cst.BaseExpression):
                yield from _unknown_targets(item.name)
        elif isinstance(item, cst.NamedExpr):
            yield from _unknown_targets(item.target)
        stack.extend(children(item))


def _unknown_targets(target: cst.BaseExpression) -> Iterator[tuple[str, None]]:
    if isinstance(target, cst.Name):
        yield target.value, None
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _unknown_targets(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _unknown_targets(target.value)


class KindTable:
    """Names of one scope known to hold a pandas frame, a NumPy array or a torch tensor."""

    def __init__(
        self,
        scope: cst.FunctionDef | cst.Module,
        imports: ImportTable,
        outer: KindTable | None = None,
    ) -> None:
        self.imports = imports
        self.outer: KindTable | None = outer
        self.local: dict[str, str | None] = {}
        kinds: dict[str, str | None] = {}
        if isinstance(scope, cst.FunctionDef):
            params = scope.params
            for param in (*params.posonly_params, *params.params, *params.kwonly_params):
                kinds[param.name.value] = self._annotation_kind(param.annotation)
        param_kinds = dict(kinds)
        pending = list(_bindings(scope))
        self.local = dict(param_kinds)
        # Optimistic start from each name's first binding, then settle: every binding agrees.
        first: dict[str, str | None] = dict(param_kinds)
        for name, value in pending:
            if name not in first:
                first[name] = None if value is None else self.kind_of(value)
        self.local = first
        for _ in range(3):
            settled: dict[str, str | None] = dict(param_kinds)
            seen = set(param_kinds)
            for name, value in pending:
                kind = None if value is None else self.kind_of(value)
                if name not in seen:
                    settled[name] = kind
                    seen.add(name)
                elif settled[name] != kind:
                    settled[name] = None
            if settled == self.local:
                break
            self.local = settled

    def _annotation_kind(self, annotation: cst.Annotation | None) -> str | None:
        if annotation is None:
            return None
        name = self.imports.qualified(annotation.annotation) or ""
        if name in ("pandas.DataFrame", "pandas.core.frame.DataFrame"):
            return "frame"
        if name in ("torch.Tensor",):
            return "tensor"
        if name in ("numpy.ndarray",):
            return "array"
        return None

    def name_kind(self, name: str) -> str | None:
        if name in self.local:
            return self.local[name]
        return self.outer.name_kind(name) if self.outer is not None else None

    def kind_of(self, expr: cst.BaseExpression) -> str | None:
        """``"frame"``, ``"series"``, ``"array"``, ``"tensor"`` or ``None`` (unknown)."""
        if isinstance(expr, cst.Name):
            return self.name_kind(expr.value)
        if isinstance(expr, cst.Call):
            return self._call_kind(expr)
        if isinstance(expr, cst.Subscript):
            base = self.kind_of(expr.value)
            if base == "frame":
                return _frame_subscript_kind(expr)
            if isinstance(expr.value, cst.Attribute) and expr.value.attr.value in ("loc", "iloc"):
                owner = self.kind_of(expr.value.value)
                if owner == "frame" and len(expr.slice) == 1:
                    return "frame" if _is_mask(expr.slice[0]) else None
            return None
        return None

    def _call_kind(self, call: cst.Call) -> str | None:
        func = call.func
        if isinstance(func, cst.Attribute):
            receiver_kind = self.kind_of(func.value)
            method = func.attr.value
            if receiver_kind == "frame" and method in FRAME_METHODS:
                inplace = any(
                    a.keyword is not None and a.keyword.value == "inplace" for a in call.args
                )
                return None if inplace else "frame"
            if receiver_kind == "tensor" and method in _TENSOR_RETURNING:
                return "tensor"
        resolved = self.imports.resolve(func)
        if resolved is None or not resolved.certain:
            return None
        head, _, last = resolved.name.partition(".")
        if head == "pandas" and last in PANDAS_CONSTRUCTORS:
            return "frame"
        if head == "numpy" and last in NUMPY_ARRAY_FUNCTIONS:
            return "array"
        if head == "torch" and last in TENSOR_FACTORIES:
            return "tensor"
        return None


def _is_mask(node: cst.SubscriptElement) -> bool:
    """A boolean-mask index: a comparison, `~m`, `a & b`, or `.isin(...)`/`.isnull()`."""
    index = node.slice
    if not isinstance(index, cst.Index):
        return False
    value = index.value
    if isinstance(value, cst.Comparison):
        return True
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.BitInvert):
        return True
    if isinstance(value, cst.BinaryOperation) and isinstance(
        value.operator, (cst.BitAnd, cst.BitOr)
    ):
        return True
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value in ("isin", "isnull", "isna", "notnull", "notna", "between")
    )


def _frame_subscript_kind(expr: cst.Subscript) -> str | None:
    if len(expr.slice) != 1:
        return None
    index = expr.slice[0].slice
    if not isinstance(index, cst.Index):
        return None
    value = index.value
    if isinstance(value, (cst.SimpleString, cst.FormattedString)):
        return "series"
    if isinstance(value, cst.List):
        return "frame"
    return "frame" if _is_mask(expr.slice[0]) else None


_TENSOR_RETURNING = frozenset(
    {
        "to",
        "cuda",
        "cpu",
        "float",
        "double",
        "half",
        "long",
        "clone",
        "detach",
        "view",
        "reshape",
        "squeeze",
        "unsqueeze",
        "permute",
        "transpose",
        "flatten",
        "contiguous",
    }
)
