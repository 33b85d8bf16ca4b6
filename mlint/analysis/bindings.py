"""Which names a file binds anywhere: a fix that inserts a builtin or an imported name asks first."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from mlint.analysis.origin import names_bound
from mlint.walker import children

if TYPE_CHECKING:
    from mlint.rule import FileContext

_TARGETED = (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor, cst.NamedExpr)


def file_bindings(ctx: FileContext) -> frozenset[str]:
    """Every name bound anywhere in the file, in any scope (imports, defs, params, targets)."""
    return ctx.fact("file-bindings", lambda: _bindings(ctx.module))


def is_rebound(ctx: FileContext, name: str) -> bool:
    """Whether ``name`` (a builtin such as ``len``, or a name a fix would import) is bound
    somewhere in the file, so that text naming it might not mean what the fix intends."""
    return name in file_bindings(ctx)


def _bindings(module: cst.Module) -> frozenset[str]:
    found: set[str] = set()
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Param)):
            found.add(node.name.value)
        elif isinstance(node, _TARGETED):
            found.update(names_bound(node.target))
        elif isinstance(node, cst.AsName) and isinstance(node.name, cst.BaseExpression):
            found.update(names_bound(node.name))
        elif isinstance(node, cst.ImportAlias):
            if node.asname is None:
                dotted: cst.BaseExpression = node.name
                while isinstance(dotted, cst.Attribute):
                    dotted = dotted.value
                if isinstance(dotted, cst.Name):
                    found.add(dotted.value)
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            found.update(item.name.value for item in node.names)
        elif isinstance(node, (cst.MatchAs, cst.MatchStar)) and node.name is not None:
            found.add(node.name.value)
        elif isinstance(node, cst.MatchMapping) and node.rest is not None:
            found.add(node.rest.value)
        stack.extend(children(node))
    return frozenset(found)
