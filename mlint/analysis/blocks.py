"""Lexical blocks: grad-mode contexts, statement lists, straight-line sequencing.

Answers "is this node inside a `torch.no_grad()` block or under such a decorator",
"which statement lists does this function have", and walks subtrees without
descending into nested scopes (defs, lambdas, classes run at another time).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from mlint.analysis.imports import ImportTable, dotted_name
from mlint.analysis.statements import inner_suites
from mlint.walker import children

GRAD_OFF = frozenset(
    {
        "torch.no_grad",
        "torch.autograd.no_grad",
        "torch.autograd.grad_mode.no_grad",
    }
)
INFERENCE_MODE = frozenset(
    {
        "torch.inference_mode",
        "torch.autograd.inference_mode",
        "torch.autograd.grad_mode.inference_mode",
    }
)
GRAD_ON = frozenset(
    {"torch.enable_grad", "torch.autograd.enable_grad", "torch.autograd.grad_mode.enable_grad"}
)
SET_GRAD_ENABLED = frozenset(
    {
        "torch.set_grad_enabled",
        "torch.autograd.set_grad_enabled",
        "torch.autograd.grad_mode.set_grad_enabled",
    }
)
_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def _bool_literal(node: cst.BaseExpression) -> bool | None:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


def grad_mode_of(expr: cst.BaseExpression, imports: ImportTable) -> bool | None:
    """What a `with` item or decorator does to autograd: ``False`` off, ``True`` on, ``None`` unknown.

    ``torch.no_grad`` (bare decorator), ``no_grad()``, ``inference_mode()`` and
    ``set_grad_enabled(False)`` turn it off; ``enable_grad()`` and
    ``set_grad_enabled(True)`` turn it on.
    """
    call = expr if isinstance(expr, cst.Call) else None
    name = imports.qualified(call.func if call is not None else expr)
    if name is None:
        return None
    first = call.args[0].value if call is not None and call.args else None
    if name in GRAD_OFF:
        return False
    if name in GRAD_ON:
        return True
    if name in INFERENCE_MODE:
        if first is None:
            return False
        return False if _bool_literal(first) is True else None
    if name in SET_GRAD_ENABLED and first is not None:
        value = _bool_literal(first)
        return None if value is None else value
    return None


def decorator_grad_mode(function: cst.FunctionDef, imports: ImportTable) -> bool | None:
    """The grad mode a function's decorators set (the innermost one that sets any)."""
    for decorator in reversed(function.decorators):
        mode = grad_mode_of(decorator.decorator, imports)
        if mode is not None:
            return mode
    return None


def grad_mode_at(
    ancestors: Sequence[cst.CSTNode], imports: ImportTable, *, cross_scopes: bool = False
) -> bool | None:
    """The grad mode set by the innermost enclosing `with` item or function decorator.

    ``None`` when nothing sets one. Without ``cross_scopes`` the search stops at the
    nearest def (after its decorators) or lambda: a `with` around a definition does
    not hold when the function later runs.
    """
    for node in reversed(ancestors):
        if isinstance(node, cst.With):
            for item in reversed(node.items):
                mode = grad_mode_of(item.item, imports)
                if mode is not None:
                    return mode
        elif isinstance(node, cst.FunctionDef):
            mode = decorator_grad_mode(node, imports)
            if mode is not None or not cross_scopes:
                return mode
        elif isinstance(node, (cst.Lambda, cst.ClassDef)) and not cross_scopes:
            return None
    return None


def iter_nodes(node: cst.CSTNode, *, into_scopes: bool = False) -> Iterator[cst.CSTNode]:
    """``node`` and its descendants; nested defs, lambdas and classes are skipped unless asked."""
    stack = [node]
    while stack:
        item = stack.pop()
        yield item
        if item is not node and not into_scopes and isinstance(item, _SCOPES):
            continue
        stack.extend(reversed(list(children(item))))


def iter_calls(node: cst.CSTNode) -> Iterator[cst.Call]:
    """Every call in ``node`` outside nested scopes."""
    for item in iter_nodes(node):
        if isinstance(item, cst.Call):
            yield item


def statement_blocks(
    body: cst.BaseSuite | cst.Module,
) -> Iterator[Sequence[cst.BaseStatement]]:
    """Every statement list in a body, nested compound statements included, defs excluded."""
    stack: list[cst.CSTNode] = [body]
    while stack:
        item = stack.pop()
        if isinstance(item, (cst.IndentedBlock, cst.Module)):
            statements = item.body
            yield statements
            stack.extend(
                s for s in reversed(statements) if isinstance(s, cst.BaseCompoundStatement)
            )
        elif isinstance(item, (cst.FunctionDef, cst.ClassDef)):
            continue
        elif isinstance(item, cst.BaseCompoundStatement):
            stack.extend(reversed(inner_suites(item)))


def small_statements(statement: cst.BaseStatement) -> Sequence[cst.BaseSmallStatement]:
    """The small statements of a simple statement line; empty for compound statements."""
    if isinstance(statement, cst.SimpleStatementLine):
        return statement.body
    return ()


def sole_small(statement: cst.BaseStatement) -> cst.BaseSmallStatement | None:
    """The only small statement of a line such as ``x = f()``, else ``None``."""
    smalls = small_statements(statement)
    return smalls[0] if len(smalls) == 1 else None


def bare_call(statement: cst.BaseStatement) -> cst.Call | None:
    """The call of an expression statement like ``model.eval()``, else ``None``."""
    small = sole_small(statement)
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        return small.value
    return None


def method_call(call: cst.Call) -> tuple[str, str] | None:
    """``(receiver, method)`` for ``a.b.method(...)`` with a dotted receiver, else ``None``."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    receiver = dotted_name(func.value)
    return None if receiver is None else (receiver, func.attr.value)


def names_used(node: cst.CSTNode) -> Iterator[cst.Name]:
    """Every ``Name`` in ``node``, nested scopes included (closures capture names)."""
    for item in iter_nodes(node, into_scopes=True):
        if isinstance(item, cst.Name):
            yield item


def has_multiline_string(node: cst.CSTNode) -> bool:
    """Whether re-indenting the node's text would change a string literal's value."""
    for item in iter_nodes(node, into_scopes=True):
        if isinstance(item, cst.SimpleString) and "\n" in item.value:
            return True
        if isinstance(item, cst.FormattedStringText) and "\n" in item.value:
            return True
    return False


def indent_lines(text: str, unit: str) -> str:
    """Prefix every non-blank line of ``text`` with ``unit``."""
    return "".join(unit + line if line.strip() else line for line in text.splitlines(keepends=True))
