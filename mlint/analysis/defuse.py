"""Def-use of plain names inside one function: where each name is bound and how it is read.

Built on demand for the functions a rule asks about (``DefUse.of(function)``), never for
a whole file. Names are matched by spelling within the function; a use inside a nested
``def``, ``lambda`` or ``class`` is marked ``escaped`` because it may run any number of
times, at any later moment.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum

import libcst as cst

from mlint.analysis.imports import dotted_name
from mlint.walker import children


class UseKind(Enum):
    BIND = "bind"
    LOAD = "load"
    DELETE = "delete"
    # ``x += ...``: read and rebound in one go.
    AUGMENT = "augment"


class Role(Enum):
    """What the code around a name does with it."""

    PLAIN = "plain"
    # for-loop or comprehension source (the name is the whole iterable expression);
    # ``expression`` is the ``For`` or the comprehension
    ITERATED = "iterated"
    INDEXED = "indexed"  # x[...]
    ITEM_STORE = "item_store"  # x[...] = ..., del x[...]
    ATTRIBUTE = "attribute"  # x.attr (read); ``detail`` is the attribute
    METHOD_CALL = "method_call"  # x.attr(...); ``detail`` is the method
    ATTRIBUTE_STORE = "attribute_store"  # x.attr = ...
    ARGUMENT = "argument"  # f(x) / f(k=x); ``detail`` is f's dotted name or ""
    RETURNED = "returned"
    YIELDED = "yielded"
    COMPREHENSION_TARGET = "comprehension_target"  # bound by ``for x in`` of a comprehension
    GLOBAL = "global"  # named by ``global`` / ``nonlocal``


# Methods that change their receiver in place (lists, dicts, sets, tensors, frames).
MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "pop",
        "popitem",
        "remove",
        "clear",
        "sort",
        "reverse",
        "update",
        "setdefault",
        "add",
        "discard",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
        "write",
        "seek",
    }
)

_LOOPS = (cst.For, cst.While)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


@dataclass(frozen=True)
class NameUse:
    """One occurrence of a name.

    ``loops`` are the loops and comprehensions (innermost last) whose repeated part
    contains the occurrence; a ``for`` loop's iterable is evaluated once, so it is not
    inside that loop. ``node`` is the ``Name``; ``expression`` the innermost expression
    the role describes (the subscript, the call, ...).
    """

    node: cst.Name
    kind: UseKind
    role: Role
    detail: str
    loops: tuple[cst.CSTNode, ...]
    escaped: bool
    expression: cst.CSTNode
    # Position of the occurrence in a source-order walk of the function.
    order: int

    @property
    def is_read(self) -> bool:
        return self.kind in (UseKind.LOAD, UseKind.AUGMENT)

    @property
    def mutates(self) -> bool:
        """Whether this occurrence changes the object the name holds (not the binding)."""
        return (
            self.role in (Role.ITEM_STORE, Role.ATTRIBUTE_STORE)
            or self.kind is UseKind.AUGMENT
            or (self.role is Role.METHOD_CALL and self.detail in MUTATING_METHODS)
        )


@dataclass(frozen=True)
class DefUse:
    """Every occurrence of every name in one function body, grouped by name."""

    function: cst.CSTNode
    by_name: dict[str, list[NameUse]] = field(default_factory=dict)

    @classmethod
    def of(cls, function: cst.FunctionDef | cst.Lambda | cst.Module) -> DefUse:
        collector = _Collector()
        if isinstance(function, (cst.FunctionDef, cst.Lambda)):
            collector.params(function.params)
            collector.visit(function.body, (), False)
        else:
            collector.visit(function, (), False)
        return cls(function, collector.by_name)

    def uses(self, name: str) -> list[NameUse]:
        return self.by_name.get(name, [])

    def bindings(self, name: str) -> list[NameUse]:
        """Bindings of ``name`` in the function's own scope (comprehension targets excluded)."""
        return [
            u
            for u in self.uses(name)
            if u.kind in (UseKind.BIND, UseKind.AUGMENT)
            and u.role is not Role.COMPREHENSION_TARGET
            and not u.escaped
        ]

    def reads(self, name: str) -> list[NameUse]:
        return [u for u in self.uses(name) if u.is_read]

    def is_mutated(self, name: str) -> bool:
        return any(u.mutates or u.kind is UseKind.DELETE for u in self.uses(name))

    def is_global(self, name: str) -> bool:
        return any(u.role is Role.GLOBAL for u in self.uses(name))

    def uses_within(self, name: str, node: cst.CSTNode) -> list[NameUse]:
        """Occurrences of ``name`` inside the subtree ``node`` (identity, not equality)."""
        inside = _subtree_ids(node)
        return [u for u in self.uses(name) if id(u.node) in inside]


def _subtree_ids(node: cst.CSTNode) -> set[int]:
    ids: set[int] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        ids.add(id(item))
        stack.extend(children(item))
    return ids


def target_names(target: cst.BaseExpression) -> Iterator[cst.Name]:
    """The names an assignment target binds (through tuples, lists and starred)."""
    if isinstance(target, cst.Name):
        yield target
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from target_names(target.value)


class _Collector:
    def __init__(self) -> None:
        self.by_name: dict[str, list[NameUse]] = {}
        self.counter = 0

    def add(
        self,
        name: cst.Name,
        kind: UseKind,
        role: Role,
        detail: str,
        loops: tuple[cst.CSTNode, ...],
        escaped: bool,
        expression: cst.CSTNode,
    ) -> None:
        self.counter += 1
        use = NameUse(name, kind, role, detail, loops, escaped, expression, self.counter)
        self.by_name.setdefault(name.value, []).append(use)

    def params(self, params: cst.Parameters) -> None:
        for group in (params.posonly_params, params.params, params.kwonly_params):
            for param in group:
                self.add(param.name, UseKind.BIND, Role.PLAIN, "", (), False, param)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self.add(star.name, UseKind.BIND, Role.PLAIN, "", (), False, star)

    def bind(
        self,
        target: cst.BaseExpression,
        kind: UseKind,
        loops: tuple[cst.CSTNode, ...],
        escaped: bool,
        role: Role = Role.PLAIN,
    ) -> None:
        """Record an assignment target: names bind, ``x[i]``/``x.a`` mutate ``x``."""
        if isinstance(target, cst.Name):
            self.add(target, kind, role, "", loops, escaped, target)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.bind(element.value, kind, loops, escaped, role)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, kind, loops, escaped, role)
        elif isinstance(target, cst.Subscript):
            self.store_through(target.value, Role.ITEM_STORE, "", target, loops, escaped)
            for index in target.slice:
                self.visit(index, loops, escaped)
        elif isinstance(target, cst.Attribute):
            self.store_through(
                target.value, Role.ATTRIBUTE_STORE, target.attr.value, target, loops, escaped
            )
        else:
            self.visit(target, loops, escaped)

    def store_through(
        self,
        value: cst.BaseExpression,
        role: Role,
        detail: str,
        expression: cst.CSTNode,
        loops: tuple[cst.CSTNode, ...],
        escaped: bool,
    ) -> None:
        if isinstance(value, cst.Name):
            self.add(value, UseKind.LOAD, role, detail, loops, escaped, expression)
        else:
            # a.b[i] = v mutates a too
            self.store_through_chain(value, role, expression, loops, escaped)

    def store_through_chain(
        self,
        value: cst.BaseExpression,
        role: Role,
        expression: cst.CSTNode,
        loops: tuple[cst.CSTNode, ...],
        escaped: bool,
    ) -> None:
        root: cst.BaseExpression = value
        while isinstance(root, (cst.Attribute, cst.Subscript)):
            if isinstance(root, cst.Subscript):
                for element in root.slice:
                    self.visit(element, loops, escaped)
            root = root.value
        if isinstance(root, cst.Name):
            self.add(root, UseKind.LOAD, role, "", loops, escaped, expression)
        else:
            self.visit(root, loops, escaped)

    def load(
        self,
        name: cst.Name,
        role: Role,
        detail: str,
        loops: tuple[cst.CSTNode, ...],
        escaped: bool,
        expression: cst.CSTNode,
    ) -> None:
        self.add(name, UseKind.LOAD, role, detail, loops, escaped, expression)

    def visit(self, node: cst.CSTNode, loops: tuple[cst.CSTNode, ...], escaped: bool) -> None:
        if isinstance(node, cst.Name):
            self.load(node, Role.PLAIN, "", loops, escaped, node)
        elif isinstance(node, cst.Attribute):
            if isinstance(node.value, cst.Name):
                self.load(node.value, Role.ATTRIBUTE, node.attr.value, loops, escaped, node)
            else:
                self.visit(node.value, loops, escaped)
        elif isinstance(node, cst.Subscript):
            if isinstance(node.value, cst.Name):
                self.load(node.value, Role.INDEXED, "", loops, escaped, node)
            else:
                self.visit(node.value, loops, escaped)
            for element in node.slice:
                self.visit(element, loops, escaped)
        elif isinstance(node, cst.Call):
            self.call(node, loops, escaped)
        elif isinstance(node, cst.Assign):
            self.visit(node.value, loops, escaped)
            for target in node.targets:
                self.bind(target.target, UseKind.BIND, loops, escaped)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.visit(node.value, loops, escaped)
                self.bind(node.target, UseKind.BIND, loops, escaped)
            self.visit(node.annotation, loops, escaped)
        elif isinstance(node, cst.AugAssign):
            self.visit(node.value, loops, escaped)
            self.bind(node.target, UseKind.AUGMENT, loops, escaped)
        elif isinstance(node, cst.NamedExpr):
            self.visit(node.value, loops, escaped)
            self.bind(node.target, UseKind.BIND, loops, escaped)
        elif isinstance(node, cst.Del):
            self.delete(node.target, loops, escaped)
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            for item in node.names:
                self.add(item.name, UseKind.LOAD, Role.GLOBAL, "", loops, escaped, node)
        elif isinstance(node, cst.For):
            self.iterated(node.iter, node, loops, escaped)
            inner = (*loops, node)
            self.bind(node.target, UseKind.BIND, inner, escaped)
            self.visit(node.body, inner, escaped)
            if node.orelse is not None:
                self.visit(node.orelse, loops, escaped)
        elif isinstance(node, cst.While):
            inner = (*loops, node)
            self.visit(node.test, inner, escaped)
            self.visit(node.body, inner, escaped)
            if node.orelse is not None:
                self.visit(node.orelse, loops, escaped)
        elif isinstance(node, _COMPREHENSIONS):
            self.comprehension(node, loops, escaped)
        elif isinstance(node, cst.WithItem):
            self.visit(node.item, loops, escaped)
            if node.asname is not None:
                self.bind(node.asname.name, UseKind.BIND, loops, escaped)
        elif isinstance(node, cst.Return):
            self.value_role(node.value, Role.RETURNED, node, loops, escaped)
        elif isinstance(node, cst.Yield):
            value = node.value
            if isinstance(value, cst.From):
                self.value_role(value.item, Role.YIELDED, node, loops, escaped)
            else:
                self.value_role(value, Role.YIELDED, node, loops, escaped)
        elif isinstance(node, (cst.ExceptHandler, cst.ExceptStarHandler)):
            if node.type is not None:
                self.visit(node.type, loops, escaped)
            if node.name is not None:
                self.bind(node.name.name, UseKind.BIND, loops, escaped)
            self.visit(node.body, loops, escaped)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            names = node.names
            if isinstance(names, cst.ImportStar):
                return
            for alias in names:
                if alias.asname is not None:
                    self.bind(alias.asname.name, UseKind.BIND, loops, escaped)
                elif isinstance(alias.name, cst.Name):
                    self.add(alias.name, UseKind.BIND, Role.PLAIN, "", loops, escaped, node)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            # The def binds its name here; its body runs elsewhere, any number of times.
            self.add(node.name, UseKind.BIND, Role.PLAIN, "", loops, escaped, node)
            for decorator in node.decorators:
                self.visit(decorator, loops, escaped)
            if isinstance(node, cst.FunctionDef):
                self.scope_params(node.params, loops)
            else:
                for arg in (*node.bases, *node.keywords):
                    self.visit(arg.value, loops, escaped)
            self.visit(node.body, loops, True)
        elif isinstance(node, cst.Lambda):
            self.scope_params(node.params, loops)
            self.visit(node.body, loops, True)
        elif isinstance(node, (cst.MatchAs, cst.MatchStar)):
            if isinstance(node, cst.MatchAs) and node.pattern is not None:
                self.visit(node.pattern, loops, escaped)
            if node.name is not None:
                self.bind(node.name, UseKind.BIND, loops, escaped)
        elif isinstance(node, cst.MatchMapping):
            for entry in node.elements:
                self.visit(entry, loops, escaped)
            if node.rest is not None:
                self.bind(node.rest, UseKind.BIND, loops, escaped)
        elif isinstance(node, cst.Arg):
            self.visit(node.value, loops, escaped)
        elif isinstance(node, cst.Param):
            return
        else:
            for child in children(node):
                self.visit(child, loops, escaped)

    def scope_params(self, params: cst.Parameters, loops: tuple[cst.CSTNode, ...]) -> None:
        """Defaults are evaluated where the def stands; parameter names belong to the inner scope."""
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.default is not None:
                self.visit(param.default, loops, False)
            self.add(param.name, UseKind.BIND, Role.PLAIN, "", loops, True, param)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self.add(star.name, UseKind.BIND, Role.PLAIN, "", loops, True, star)

    def value_role(
        self,
        value: cst.BaseExpression | None,
        role: Role,
        statement: cst.CSTNode,
        loops: tuple[cst.CSTNode, ...],
        escaped: bool,
    ) -> None:
        if value is None:
            return
        if isinstance(value, cst.Name):
            self.load(value, role, "", loops, escaped, statement)
        elif isinstance(value, cst.Tuple):
            for element in value.elements:
                self.value_role(element.value, role, statement, loops, escaped)
        else:
            self.visit(value, loops, escaped)

    def iterated(
        self,
        iterable: cst.BaseExpression,
        owner: cst.CSTNode,
        loops: tuple[cst.CSTNode, ...],
        escaped: bool,
    ) -> None:
        if isinstance(iterable, cst.Name):
            self.load(iterable, Role.ITERATED, "", loops, escaped, owner)
        else:
            self.visit(iterable, loops, escaped)

    def call(self, node: cst.Call, loops: tuple[cst.CSTNode, ...], escaped: bool) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            self.load(func.value, Role.METHOD_CALL, func.attr.value, loops, escaped, node)
        else:
            self.visit(func, loops, escaped)
        callee = dotted_name(func) or ""
        for arg in node.args:
            if isinstance(arg.value, cst.Name):
                self.load(arg.value, Role.ARGUMENT, callee, loops, escaped, node)
            else:
                self.visit(arg.value, loops, escaped)

    def delete(
        self, target: cst.BaseExpression, loops: tuple[cst.CSTNode, ...], escaped: bool
    ) -> None:
        if isinstance(target, cst.Name):
            self.add(target, UseKind.DELETE, Role.PLAIN, "", loops, escaped, target)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.delete(element.value, loops, escaped)
        elif isinstance(target, cst.Subscript):
            self.store_through(target.value, Role.ITEM_STORE, "", target, loops, escaped)
            for index in target.slice:
                self.visit(index, loops, escaped)
        elif isinstance(target, cst.Attribute):
            self.store_through(
                target.value, Role.ATTRIBUTE_STORE, target.attr.value, target, loops, escaped
            )

    def comprehension(
        self,
        node: cst.ListComp | cst.SetComp | cst.DictComp | cst.GeneratorExp,
        loops: tuple[cst.CSTNode, ...],
        escaped: bool,
    ) -> None:
        # Only the outermost iterable is evaluated once, in the enclosing scope.
        inner = (*loops, node)
        first = True
        comp_for: cst.CompFor | None = node.for_in
        while comp_for is not None:
            if first:
                self.iterated(comp_for.iter, node, loops, escaped)
                first = False
            else:
                self.iterated(comp_for.iter, node, inner, escaped)
            self.bind(comp_for.target, UseKind.BIND, inner, escaped, Role.COMPREHENSION_TARGET)
            for condition in comp_for.ifs:
                self.visit(condition.test, inner, escaped)
            comp_for = comp_for.inner_for_in
        if isinstance(node, cst.DictComp):
            self.visit(node.key, inner, escaped)
            self.visit(node.value, inner, escaped)
        else:
            self.visit(node.elt, inner, escaped)
