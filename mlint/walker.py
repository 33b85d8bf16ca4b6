"""One fast traversal of a libcst tree that dispatches to every rule's handlers.

libcst's own ``visit`` rebuilds every node through ``_visit_and_replace_children``;
a read-only linter needs none of that, so this walker reads dataclass fields directly
and skips whitespace and punctuation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import libcst as cst

from mlint.rule import FileContext, Rule

_SKIPPED_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "comma",
        "semicolon",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "trailing_whitespace",
        "newline",
        "colon",
        "dot",
        "equal",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "operator",
        "star_tok",
        "walrus",
        "arrow",
        "default_indent",
        "default_newline",
    }
)
# Source order for nodes whose dataclass order differs from it.
_FIELD_ORDER: dict[str, tuple[str, ...]] = {
    "FunctionDef": ("decorators", "name", "params", "returns", "body"),
    "ClassDef": ("decorators", "name", "bases", "keywords", "body"),
}
_child_fields: dict[type, tuple[str, ...]] = {}
# Memoised `issubclass(t, CSTNode)`: `isinstance` against libcst's ABC is slow in a hot loop.
_is_node: dict[type, bool] = {}


def _fields_of(node_type: type) -> tuple[str, ...]:
    names: tuple[str, ...] | None = _FIELD_ORDER.get(node_type.__name__)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(node_type)
            if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
        )
    _child_fields[node_type] = names
    return names


def _node_flag(value_type: type) -> bool:
    flag = _is_node[value_type] = issubclass(value_type, cst.CSTNode)
    return flag


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The syntactic children of ``node`` in source order (no whitespace or punctuation)."""
    is_node = _is_node
    for field_name in _child_fields.get(type(node)) or _fields_of(type(node)):
        value = getattr(node, field_name)
        value_type = type(value)
        if value_type is tuple or value_type is list:
            for item in value:
                flag = is_node.get(type(item))
                if flag is None:
                    flag = _node_flag(type(item))
                if flag:
                    yield item
        else:
            flag = is_node.get(value_type)
            if flag is None:
                flag = _node_flag(value_type)
            if flag:
                yield value


def descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node below ``node``, depth first in source order; far cheaper than a libcst visitor."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current is not node:
            yield current
        kids = list(children(current))
        kids.reverse()
        stack.extend(kids)


Handler = Callable[[cst.CSTNode], Any]


def walk(module: cst.Module, rules: Sequence[Rule], context: FileContext) -> None:
    """Visit every node once, calling each rule's ``visit_*`` and ``leave_*`` for it."""
    visits: dict[str, list[Handler]] = {}
    leaves: dict[str, list[Handler]] = {}
    for rule in rules:
        for kind, node_type, func in type(rule).handlers():
            table = visits if kind == "visit" else leaves
            table.setdefault(node_type, []).append(func.__get__(rule))
    ancestors = context.ancestors
    fields = _child_fields
    is_node = _is_node
    no_handlers: tuple[Handler, ...] = ()

    def visit(node: cst.CSTNode) -> None:
        node_type = type(node)
        name = node_type.__name__
        for handler in visits.get(name, no_handlers):
            handler(node)
        ancestors.append(node)
        for field_name in fields.get(node_type) or _fields_of(node_type):
            value = getattr(node, field_name)
            value_type = type(value)
            if value_type is tuple or value_type is list:
                for item in value:
                    flag = is_node.get(type(item))
                    if flag is None:
                        flag = _node_flag(type(item))
                    if flag:
                        visit(item)
            else:
                flag = is_node.get(value_type)
                if flag is None:
                    flag = _node_flag(value_type)
                if flag:
                    visit(value)
        ancestors.pop()
        for handler in leaves.get(name, no_handlers):
            handler(node)

    visit(module)
