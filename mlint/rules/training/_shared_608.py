"""Helpers shared by the training rules ML608-ML613: call arguments, scopes, same-file callees."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from mlint.analysis.blocks import iter_nodes
from mlint.analysis.imports import ImportTable
from mlint.rule import FileContext
from mlint.walker import children

# `nn.*Loss` classes and `F.*` functions grouped by what their input must be.
LOGIT_CLASS_LOSSES = frozenset({"torch.nn.CrossEntropyLoss"})
LOGIT_CLASS_FUNCTIONS = frozenset({"torch.nn.functional.cross_entropy"})
LOGIT_BINARY_LOSSES = frozenset({"torch.nn.BCEWithLogitsLoss"})
LOGIT_BINARY_FUNCTIONS = frozenset({"torch.nn.functional.binary_cross_entropy_with_logits"})
PROBABILITY_LOSSES = frozenset({"torch.nn.BCELoss"})
PROBABILITY_FUNCTIONS = frozenset({"torch.nn.functional.binary_cross_entropy"})


def imports_torch(context: FileContext) -> bool:
    return context.imports.imports_module("torch")


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positional(call: cst.Call, index: int) -> cst.Arg | None:
    """The ``index``-th positional argument, ``None`` past a ``*args``."""
    seen = 0
    for arg in call.args:
        if arg.keyword is not None or arg.star == "**":
            continue
        if arg.star == "*":
            return None
        if seen == index:
            return arg
        seen += 1
    return None


def argument(call: cst.Call, index: int, name: str) -> cst.BaseExpression | None:
    """The value passed at position ``index`` or as keyword ``name``."""
    arg = keyword(call, name) or positional(call, index)
    return None if arg is None else arg.value


def is_true(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def is_false(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"


def qualified(imports: ImportTable, node: cst.BaseExpression) -> str | None:
    """The qualified name of a callee proven by an import, or spelt out from ``torch``."""
    resolved = imports.resolve(node)
    if resolved is None:
        return None
    if resolved.certain or resolved.name.startswith("torch."):
        return resolved.name
    return None


def method_name(call: cst.Call) -> str | None:
    func = call.func
    return func.attr.value if isinstance(func, cst.Attribute) else None


def enclosing_scope(context: FileContext) -> cst.FunctionDef | cst.Module:
    function = context.enclosing(cst.FunctionDef)
    return function if isinstance(function, cst.FunctionDef) else context.module


def enclosing_class(context: FileContext) -> cst.ClassDef | None:
    """The class whose method (directly) encloses the node being visited."""
    for index in range(len(context.ancestors) - 1, -1, -1):
        node = context.ancestors[index]
        if isinstance(node, cst.FunctionDef):
            for outer in reversed(context.ancestors[:index]):
                if isinstance(outer, cst.ClassDef):
                    return outer
                if isinstance(outer, cst.FunctionDef):
                    return None
            return None
    return None


def methods(cls: cst.ClassDef) -> dict[str, cst.FunctionDef]:
    return {s.name.value: s for s in cls.body.body if isinstance(s, cst.FunctionDef)}


def top_functions(module: cst.Module) -> dict[str, cst.FunctionDef]:
    """Module-level functions by name (the last definition wins)."""
    return {s.name.value: s for s in module.body if isinstance(s, cst.FunctionDef)}


def callee(
    call: cst.Call, functions: dict[str, cst.FunctionDef], cls: cst.ClassDef | None
) -> cst.FunctionDef | None:
    """The same-file function a call runs: ``helper(...)`` or ``self.method(...)``."""
    func = call.func
    if isinstance(func, cst.Name):
        return functions.get(func.value)
    if (
        cls is not None
        and isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.value.value == "self"
    ):
        return methods(cls).get(func.attr.value)
    return None


def reachable_calls(
    body: cst.CSTNode,
    functions: dict[str, cst.FunctionDef],
    cls: cst.ClassDef | None,
    depth: int = 3,
) -> Iterator[cst.Call]:
    """Every call in ``body`` and in the same-file functions it calls, ``depth`` levels down."""
    seen: set[int] = set()
    stack: list[tuple[cst.CSTNode, int]] = [(body, 0)]
    while stack:
        node, level = stack.pop()
        for item in iter_nodes(node):
            if not isinstance(item, cst.Call):
                continue
            yield item
            if level < depth:
                target = callee(item, functions, cls)
                if target is not None and id(target) not in seen:
                    seen.add(id(target))
                    stack.append((target.body, level + 1))


def assignments(scope: cst.CSTNode) -> Iterator[tuple[str, cst.BaseExpression, cst.CSTNode]]:
    """``(name, value, statement)`` for single-name assignments in a scope (no nested defs)."""
    for item in iter_nodes(scope):
        if isinstance(item, cst.Assign):
            for target in item.targets:
                if isinstance(target.target, cst.Name):
                    yield target.target.value, item.value, item
        elif isinstance(item, (cst.AnnAssign, cst.NamedExpr)):
            value, bound = item.value, item.target
            if value is not None and isinstance(bound, cst.Name):
                yield bound.value, value, item


def call_sites(
    module: cst.Module,
) -> dict[str, list[tuple[cst.Call, cst.FunctionDef | cst.Module]]]:
    """Calls of plain names (``train(model, ...)``) by callee name, each with its calling scope."""
    sites: dict[str, list[tuple[cst.Call, cst.FunctionDef | cst.Module]]] = {}
    stack: list[tuple[cst.CSTNode, cst.FunctionDef | cst.Module]] = [(module, module)]
    while stack:
        node, scope = stack.pop()
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
            sites.setdefault(node.func.value, []).append((node, scope))
        inner = node if isinstance(node, cst.FunctionDef) else scope
        stack.extend((child, inner) for child in children(node))
    return sites


def parameter_index(function: cst.FunctionDef, name: str) -> tuple[int, bool] | None:
    """``(position, keyword_only)`` of a parameter, ``None`` when the function has none so named."""
    positional_params = [*function.params.posonly_params, *function.params.params]
    for index, param in enumerate(positional_params):
        if param.name.value == name:
            return index, False
    if any(p.name.value == name for p in function.params.kwonly_params):
        return -1, True
    return None


@dataclass(frozen=True)
class _Bind:
    """Pushed after an assignment's value: reaching it records the binding."""

    chain: tuple[int, ...]
    value: cst.BaseExpression | None


_BRANCHES = (cst.If, cst.For, cst.While, cst.Try, cst.With, cst.Match)


def reaching_binding(
    scope: cst.CSTNode, name: str, use: cst.CSTNode
) -> tuple[bool, cst.BaseExpression | None]:
    """The value of the last assignment to ``name`` before ``use`` that surely ran.

    Returns ``(found_any, value)``: ``value`` is ``None`` when the last assignment sits in a
    branch or loop that does not also hold ``use`` (it may not have run), or binds through
    an augmented assignment or a loop target.
    """
    last: _Bind | None = None
    stack: list[tuple[cst.CSTNode | _Bind, tuple[int, ...]]] = [(scope, ())]
    while stack:
        node, chain = stack.pop()
        if isinstance(node, _Bind):
            last = node
            continue
        if node is use:
            if last is None:
                return False, None
            surely_ran = chain[: len(last.chain)] == last.chain
            return True, last.value if surely_ran else None
        if node is not scope and isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, cst.Assign) and any(
            isinstance(t.target, cst.Name) and t.target.value == name for t in node.targets
        ):
            stack.append((_Bind(chain, node.value), chain))
        elif isinstance(node, (cst.AugAssign, cst.For)) and any(
            isinstance(n, cst.Name) and n.value == name for n in iter_nodes(node.target)
        ):
            stack.append((_Bind(chain, None), chain))
        inner = (*chain, id(node)) if isinstance(node, _BRANCHES) else chain
        stack.extend((child, inner) for child in reversed(tuple(children(node))))
    return last is not None, None
