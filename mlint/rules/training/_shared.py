"""Helpers shared by the training and data-correctness rules (ML6xx)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from mlint.analysis.blocks import decorator_grad_mode, grad_mode_of
from mlint.analysis.frames import KindTable
from mlint.analysis.imports import ImportTable
from mlint.walker import children

if TYPE_CHECKING:
    from mlint.rule import FileContext

Loop = cst.For | cst.While


@dataclass(frozen=True)
class Step:
    """One small statement of a scope, in source order, with what encloses it."""

    small: cst.BaseSmallStatement
    line: cst.BaseStatement | cst.SimpleStatementSuite
    index: int
    loops: tuple[Loop, ...]
    ifs: tuple[cst.If, ...]
    no_grad: bool


def scope_steps(scope: cst.FunctionDef | cst.Module, imports: ImportTable) -> list[Step]:
    """Every small statement of a function (or module) body, nested defs and classes excluded."""
    out: list[Step] = []
    no_grad = False
    if isinstance(scope, cst.FunctionDef):
        no_grad = decorator_grad_mode(scope, imports) is False
        body: cst.CSTNode = scope.body
    else:
        body = scope
    _walk(body, (), (), no_grad, imports, out)
    return out


def _walk(
    node: cst.CSTNode,
    loops: tuple[Loop, ...],
    ifs: tuple[cst.If, ...],
    no_grad: bool,
    imports: ImportTable,
    out: list[Step],
) -> None:
    if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        for small in node.body:
            out.append(Step(small, node, len(out), loops, ifs, no_grad))
        return
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        return
    if isinstance(node, (cst.For, cst.While)):
        _walk(node.body, (*loops, node), ifs, no_grad, imports, out)
        if node.orelse is not None:
            _walk(node.orelse, loops, ifs, no_grad, imports, out)
        return
    if isinstance(node, cst.If):
        _walk(node.body, loops, (*ifs, node), no_grad, imports, out)
        if node.orelse is not None:
            _walk(node.orelse, loops, (*ifs, node), no_grad, imports, out)
        return
    if isinstance(node, cst.With):
        inner = no_grad
        for item in node.items:
            mode = grad_mode_of(item.item, imports)
            if mode is not None:
                inner = not mode
        _walk(node.body, loops, ifs, inner, imports, out)
        return
    for child in children(node):
        if isinstance(
            child,
            (
                cst.BaseSuite,
                cst.BaseStatement,
                cst.Module,
                cst.Else,
                cst.ExceptHandler,
                cst.Finally,
                cst.MatchCase,
            ),
        ):
            _walk(child, loops, ifs, no_grad, imports, out)


def scopes(module: cst.Module) -> Iterator[cst.FunctionDef | cst.Module]:
    """The module and every function in it (methods and nested functions included)."""
    yield module
    stack: list[cst.CSTNode] = [module]
    while stack:
        item = stack.pop()
        for child in children(item):
            if isinstance(child, cst.FunctionDef):
                yield child
            if isinstance(
                child,
                (
                    cst.BaseStatement,
                    cst.BaseSuite,
                    cst.Else,
                    cst.Finally,
                    cst.ExceptHandler,
                    cst.MatchCase,
                ),
            ):
                stack.append(child)


def assigned_value(
    small: cst.BaseSmallStatement,
) -> tuple[list[cst.BaseExpression], cst.BaseExpression | None]:
    """``(targets, value)`` of an assignment statement; ``([], None)`` otherwise."""
    if isinstance(small, cst.Assign):
        return [t.target for t in small.targets], small.value
    if isinstance(small, cst.AnnAssign) and small.value is not None:
        return [small.target], small.value
    return [], None


def root_name(expr: cst.BaseExpression) -> cst.Name | None:
    """``df`` in ``df``, ``df["a"]``, ``df.loc[m, "a"]``, ``df.a.b``."""
    while isinstance(expr, (cst.Subscript, cst.Attribute)):
        expr = expr.value
    return expr if isinstance(expr, cst.Name) else None


def has_keyword(call: cst.Call, name: str, value: str | None = None) -> bool:
    """Whether ``call`` passes ``name=`` (with the literal ``value`` when given)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            if value is None:
                return True
            return isinstance(arg.value, cst.Name) and arg.value.value == value
    return False


def without_keyword(call: cst.Call, name: str) -> cst.Call:
    """``call`` with the keyword argument ``name`` removed (and a dangling comma fixed)."""
    args = [a for a in call.args if not (a.keyword is not None and a.keyword.value == name)]
    if args:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return call.with_changes(args=args)


def kind_table(context: FileContext, cache: dict[int, KindTable]) -> KindTable:
    """The kind table of the function being visited (module bindings as the fallback)."""
    function = context.enclosing(cst.FunctionDef)
    key = id(function)
    table = cache.get(key)
    if table is None:
        module_table = cache.get(0)
        if module_table is None:
            module_table = cache[0] = KindTable(context.module, context.imports)
        if isinstance(function, cst.FunctionDef):
            table = KindTable(function, context.imports, module_table)
        else:
            table = module_table
        cache[key] = table
    return table


def shown(context: FileContext, node: cst.CSTNode, limit: int = 70) -> str:
    """The node's code for a one-line message: a long or multi-line call as `f(...)`."""
    text = context.code(node)
    if "\n" not in text and len(text) <= limit:
        return text
    if isinstance(node, cst.Call):
        return f"{shown(context, node.func, limit)}(...)"
    first = text.splitlines()[0].rstrip()
    return first[:limit] + "..."
