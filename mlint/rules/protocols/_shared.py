"""Helpers shared by several rules of this pillar."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from mlint.analysis.imports import dotted_name
from mlint.walker import children

_STOP = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def _descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under ``node`` (itself included), not entering nested defs or lambdas."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        yield current
        for child in reversed(tuple(children(current))):
            if not isinstance(child, _STOP):
                stack.append(child)


def _methods(cls: cst.ClassDef) -> dict[str, cst.FunctionDef]:
    """Functions defined directly in the class body, by name (the last one wins)."""
    return {s.name.value: s for s in cls.body.body if isinstance(s, cst.FunctionDef)}


def _decorator_names(func: cst.FunctionDef) -> frozenset[str]:
    names = set()
    for decorator in func.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        dotted = dotted_name(expr)
        if dotted is not None:
            names.add(dotted.rpartition(".")[2])
    return frozenset(names)


def _body_statements(func: cst.FunctionDef) -> Sequence[cst.BaseStatement | cst.BaseSmallStatement]:
    return func.body.body


def _is_docstring(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _is_stub(func: cst.FunctionDef) -> bool:
    """A body of only ``...`` or ``raise NotImplementedError`` (and a docstring); or an overload."""
    if _decorator_names(func) & {"overload", "abstractmethod"}:
        return True
    if all(_is_docstring(stmt) for stmt in _body_statements(func)):
        return False
    for stmt in _body_statements(func):
        if _is_docstring(stmt):
            continue
        smalls = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt]
        for small in smalls:
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Ellipsis):
                continue
            if isinstance(small, cst.Raise) and small.exc is not None:
                exc = small.exc.func if isinstance(small.exc, cst.Call) else small.exc
                if isinstance(exc, cst.Name) and exc.value == "NotImplementedError":
                    continue
            return False
    return True


def _is_self(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Name) and node.value == "self"


def _self_attribute(node: cst.CSTNode) -> str | None:
    """``x`` for ``self.x``."""
    if isinstance(node, cst.Attribute) and _is_self(node.value):
        return node.attr.value
    return None


def _is_super_call(node: cst.CSTNode, method: str) -> bool:
    """``super().method(...)``, ``super(C, self).method(...)`` or ``Base.method(self, ...)``."""
    if not (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == method
    ):
        return False
    receiver = node.func.value
    if isinstance(receiver, cst.Call):
        return isinstance(receiver.func, cst.Name) and receiver.func.value == "super"
    return (
        dotted_name(receiver) is not None
        and not _is_self(receiver)
        and bool(node.args)
        and _is_self(node.args[0].value)
    )
