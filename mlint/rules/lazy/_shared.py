"""Helpers shared by several rules of this pillar."""

from __future__ import annotations

import libcst as cst

from mlint.analysis.defuse import DefUse
from mlint.rule import Rule
from mlint.walker import children

_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def _qualified(rule: Rule, func: cst.BaseExpression) -> str | None:
    resolved = rule.context.imports.resolve(func)
    return resolved.name if resolved is not None else None


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def _string_value(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Every node of a subtree, not descending into nested scopes."""
    out: list[cst.CSTNode] = []
    stack = list(children(node))
    while stack:
        item = stack.pop()
        out.append(item)
        if not isinstance(item, _SCOPES):
            stack.extend(children(item))
    return out


def _enclosing_function(rule: Rule) -> cst.FunctionDef | None:
    """The innermost enclosing ``def``, unless a lambda or class intervenes."""
    scope = rule.context.enclosing(*_SCOPES)
    return scope if isinstance(scope, cst.FunctionDef) else None


def _defuse(rule: Rule, function: cst.FunctionDef, cache: dict[int, DefUse]) -> DefUse:
    found = cache.get(id(function))
    if found is None:
        found = cache[id(function)] = DefUse.of(function)
    return found


def _is_self_attribute(node: cst.BaseExpression) -> bool:
    """``self.x``, ``self.x[k]``, ``self.x.y``."""
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            return node.value.value == "self"
        node = node.value
    return False
