"""Helpers shared by several rules of this pillar."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import libcst as cst

from mlint.analysis.origin import ConfigOrigin, config_origins, statement_bindings, string_key
from mlint.walker import children as child_nodes

if TYPE_CHECKING:
    from mlint.rule import FileContext, Rule

# Calls that turn a mapping into a typed object: after them the keys are validated.
_VALIDATING_METHODS = frozenset(
    {
        "model_validate",
        "parse_obj",
        "from_dict",
        "structured",
        "validate",
        "validate_python",
        "create",
        "merge",
        "from_mapping",
    }
)


_DEPTH = 8  # ancestors kept per use: enough for `cfg["a"]["b"]["c"]` chains


class _Chain:
    """A node and the chain of its ancestors, shared by every descendant (innermost first)."""

    __slots__ = ("node", "up")

    def __init__(self, node: cst.CSTNode, up: _Chain | None) -> None:
        self.node = node
        self.up = up


class _Use:
    """One occurrence of a name, with its nearest ancestors (innermost last)."""

    __slots__ = ("_chain", "name")

    def __init__(self, name: cst.Name, chain: _Chain | None) -> None:
        self.name = name
        self._chain = chain

    @property
    def ancestors(self) -> tuple[cst.CSTNode, ...]:
        found: list[cst.CSTNode] = []
        link = self._chain
        while link is not None and len(found) < _DEPTH:
            found.append(link.node)
            link = link.up
        return tuple(reversed(found))

    @property
    def parent(self) -> cst.CSTNode | None:
        return self._chain.node if self._chain is not None else None

    @property
    def grandparent(self) -> cst.CSTNode | None:
        up = self._chain.up if self._chain is not None else None
        return up.node if up is not None else None


def _name_uses(ctx: FileContext, scope: cst.CSTNode, name: str) -> Sequence[_Use]:
    """Every occurrence of ``name`` as a variable in ``scope`` (bindings included), in order.

    The occurrences of every name of ``scope`` are indexed once per file: rules ask per
    node, and a rescan per question made linting quadratic in the file size.
    """
    index = ctx.fact(("config-name-uses", id(scope)), lambda: _index_names(scope))
    return index.get(name, ())


def _index_names(scope: cst.CSTNode) -> dict[str, list[_Use]]:
    found: dict[str, list[_Use]] = {}
    stack: list[tuple[cst.CSTNode, _Chain | None]] = [(scope, None)]
    while stack:
        node, chain = stack.pop()
        if isinstance(node, cst.Name):
            found.setdefault(node.value, []).append(_Use(node, chain))
            continue
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            continue
        if isinstance(node, cst.Attribute):
            children: list[cst.CSTNode] = [node.value]
        elif isinstance(node, cst.Arg):
            children = [node.value]
        elif isinstance(node, cst.Param):
            children = [c for c in (node.default, node.annotation) if c is not None]
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            children = [c for c in child_nodes(node) if c is not node.name]
        else:
            children = list(child_nodes(node))
        inner = _Chain(node, chain)
        stack.extend((child, inner) for child in reversed(children))
    return found


def _literal_key_read(use: _Use) -> str | None:
    """The key of ``name["key"]`` used as a value (not assigned or deleted), else ``None``."""
    sub = use.parent
    if not (isinstance(sub, cst.Subscript) and sub.value is use.name and len(sub.slice) == 1):
        return None
    index = sub.slice[0].slice
    if not isinstance(index, cst.Index):
        return None
    if isinstance(use.grandparent, (cst.AssignTarget, cst.Del)):
        return None
    if isinstance(use.grandparent, (cst.AugAssign, cst.AnnAssign)) and (
        use.grandparent.target is sub
    ):
        return None
    return string_key(index.value)


def _get_call(call: cst.Call) -> tuple[str, str, cst.Arg | None] | None:
    """``(receiver, key, default)`` of ``receiver.get("key"[, default])``, else ``None``."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "get"):
        return None
    if not isinstance(func.value, cst.Name) or not 1 <= len(call.args) <= 2:
        return None
    if any(arg.star for arg in call.args) or call.args[0].keyword is not None:
        return None
    key = string_key(call.args[0].value)
    if key is None:
        return None
    return func.value.value, key, call.args[1] if len(call.args) == 2 else None


class _ScopedOrigins:
    """Config origins per scope (function or module), computed once per scope."""

    def __init__(self, rule: Rule) -> None:
        self._rule = rule
        self._cache: dict[int, dict[str, ConfigOrigin]] = {}

    def scope(self) -> cst.FunctionDef | cst.Module:
        function = self._rule.context.enclosing(cst.FunctionDef)
        return function if isinstance(function, cst.FunctionDef) else self._rule.context.module

    def origins(self) -> dict[str, ConfigOrigin]:
        """Names holding a config mapping at the current node: local ones, then module ones."""
        ctx = self._rule.context
        scope = self.scope()
        key = id(scope)
        if key not in self._cache:
            found = config_origins(scope, ctx.imports)
            if isinstance(scope, cst.FunctionDef):
                module = self._module_origins()
                shadowed = statement_bindings(scope.body) | _parameter_names(scope)
                for name, origin in module.items():
                    if name not in shadowed and name not in found:
                        found[name] = origin
            self._cache[key] = found
        return self._cache[key]

    def _module_origins(self) -> dict[str, ConfigOrigin]:
        module = self._rule.context.module
        key = id(module)
        if key not in self._cache:
            self._cache[key] = config_origins(module, self._rule.context.imports)
        return self._cache[key]


def _parameter_names(function: cst.FunctionDef) -> frozenset[str]:
    params = function.params
    every = (*params.posonly_params, *params.params, *params.kwonly_params)
    names = {p.name.value for p in every}
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    return frozenset(names)
