"""Helpers shared by the security rules ML701-ML703: literals bound to names, argument lookup."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.blocks import iter_nodes
from mlint.rule import FileContext


def string_value(node: cst.BaseExpression | None) -> str | None:
    """The value of a plain or implicitly concatenated string literal."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def function_of(context: FileContext) -> cst.FunctionDef | None:
    node = context.enclosing(cst.FunctionDef)
    return node if isinstance(node, cst.FunctionDef) else None


def bindings(scope: cst.CSTNode, name: str) -> list[cst.BaseExpression | None]:
    """Values bound to ``name`` in a scope (``None`` for a binding whose value is unknown)."""
    out: list[cst.BaseExpression | None] = []
    for item in iter_nodes(scope):
        if isinstance(item, cst.Assign):
            for target in item.targets:
                if isinstance(target.target, cst.Name) and target.target.value == name:
                    out.append(item.value)
                elif any(
                    isinstance(n, cst.Name) and n.value == name for n in iter_nodes(target.target)
                ) and not isinstance(target.target, (cst.Attribute, cst.Subscript)):
                    out.append(None)  # a, b = ...
        elif isinstance(item, (cst.AnnAssign, cst.AugAssign)) and (
            isinstance(item.target, cst.Name) and item.target.value == name
        ):
            out.append(item.value if isinstance(item, cst.AnnAssign) else None)
        elif isinstance(item, (cst.For, cst.CompFor)) and any(
            isinstance(n, cst.Name) and n.value == name for n in iter_nodes(item.target)
        ):
            out.append(None)
        elif isinstance(item, cst.NamedExpr) and isinstance(item.target, cst.Name):
            if item.target.value == name:
                out.append(item.value)
        elif isinstance(item, cst.WithItem) and item.asname is not None:
            if any(isinstance(n, cst.Name) and n.value == name for n in iter_nodes(item.asname)):
                out.append(None)
    return out


def parameter(function: cst.FunctionDef, name: str) -> cst.Param | None:
    params = function.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.name.value == name:
            return param
    return None


def resolve_literal(
    context: FileContext, node: cst.BaseExpression | None, depth: int = 0
) -> cst.BaseExpression | None:
    """Follow a name to the one literal it is bound to (function, then module, then a default).

    Also reads ``d.get("key", <literal>)`` and ``getattr(o, "key", <literal>)`` as their
    default. ``None`` when the value is not a single known expression.
    """
    if node is None or depth > 4:
        return None
    if isinstance(node, cst.Call):
        func = node.func
        is_get = isinstance(func, cst.Attribute) and func.attr.value == "get"
        is_getattr = isinstance(func, cst.Name) and func.value == "getattr"
        if (is_get and len(node.args) == 2) or (is_getattr and len(node.args) == 3):
            return resolve_literal(context, node.args[-1].value, depth + 1)
        return node
    if not isinstance(node, cst.Name) or node.value in ("True", "False", "None"):
        return node
    function = function_of(context)
    if function is not None:
        found = bindings(function.body, node.value)
        param = parameter(function, node.value)
        if param is not None:
            if found or param.default is None:
                return None
            return resolve_literal(context, param.default, depth + 1)
        if found:
            return resolve_literal(context, found[0], depth + 1) if len(found) == 1 else None
    found = bindings(context.module, node.value)
    if len(found) == 1:
        return resolve_literal(context, found[0], depth + 1)
    return None
