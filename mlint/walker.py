"""One fast traversal of a libcst tree that dispatches to every rule's handlers.

libcst's own ``visit`` rebuilds every node through ``_visit_and_replace_children``;
a read-only linter needs none of that, so this walker reads dataclass fields directly
and skips whitespace and punctuation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
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
    node_base = cst.CSTNode

    def visit(node: cst.CSTNode) -> None:
        node_type = type(node)
        name = node_type.__name__
        for handler in visits.get(name, ()):
            handler(node)
        ancestors.append(node)
        for field_name in fields.get(node_type) or _fields_of(node_type):
            value = getattr(node, field_name)
            if isinstance(value, node_base):
                visit(value)
            elif type(value) in (tuple, list):
                for item in value:
                    if isinstance(item, node_base):
                        visit(item)
        ancestors.pop()
        for handler in leaves.get(name, ()):
            handler(node)

    visit(module)
