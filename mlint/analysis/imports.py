"""Resolve local names to the qualified names they were imported as.

A light table built from the import statements of a module (at any depth of
statement nesting), instead of libcst's ``QualifiedNameProvider``, which costs a
full scope analysis.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from mlint.analysis.statements import inner_suites

# Names that ML code uses without an import in snippets and notebook cells.
CONVENTIONAL_ALIASES: dict[str, str] = {
    "torch": "torch",
    "nn": "torch.nn",
    "F": "torch.nn.functional",
    "np": "numpy",
    "pd": "pandas",
    "tf": "tensorflow",
    "optim": "torch.optim",
}


@dataclass(frozen=True)
class Resolved:
    """A qualified name and whether an import proves it (``False``: a conventional guess)."""

    name: str
    certain: bool


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of ``Name``/``Attribute`` nodes, else ``None``."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def _module_name(node: cst.BaseExpression) -> str:
    return dotted_name(node) or ""


def _import_statements(body: object) -> Iterator[cst.Import | cst.ImportFrom]:
    """Every import statement nested in statement blocks (not in expressions)."""
    stack: list[object] = [body]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif isinstance(item, cst.SimpleStatementLine):
            for small in item.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    yield small
        elif isinstance(item, (cst.Module, cst.IndentedBlock)):
            stack.append(item.body)
        elif isinstance(item, cst.SimpleStatementSuite):
            for small in item.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    yield small
        elif isinstance(item, cst.BaseCompoundStatement):
            stack.extend(reversed(inner_suites(item)))


@dataclass(frozen=True)
class ImportTable:
    """Local name -> qualified name, for one module."""

    names: dict[str, str]

    @classmethod
    def from_module(cls, module: cst.Module) -> ImportTable:
        names: dict[str, str] = {}
        for stmt in _import_statements(module):
            if isinstance(stmt, cst.Import):
                for alias in stmt.names:
                    full = _module_name(alias.name)
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        names[alias.asname.name.value] = full
                    else:
                        head = full.split(".")[0]
                        names[head] = head
            elif (
                stmt.module is not None
                and not stmt.relative
                and not isinstance(stmt.names, cst.ImportStar)
            ):
                base = _module_name(stmt.module)
                for alias in stmt.names:
                    imported = _module_name(alias.name)
                    local = imported
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        local = alias.asname.name.value
                    names[local] = f"{base}.{imported}"
        return cls(names)

    def resolve(self, node: cst.BaseExpression) -> Resolved | None:
        """The qualified name of a ``Name``/``Attribute`` chain, through imports or convention."""
        dotted = dotted_name(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        if head in self.names:
            full = self.names[head]
            return Resolved(f"{full}.{rest}" if rest else full, True)
        if head in CONVENTIONAL_ALIASES:
            full = CONVENTIONAL_ALIASES[head]
            return Resolved(f"{full}.{rest}" if rest else full, False)
        return Resolved(dotted, False)

    def qualified(self, node: cst.BaseExpression) -> str | None:
        resolved = self.resolve(node)
        return resolved.name if resolved else None

    def imports_module(self, prefix: str) -> bool:
        """Whether anything is imported from ``prefix`` (``"torch"`` matches ``torch.nn``)."""
        return any(q == prefix or q.startswith(prefix + ".") for q in self.names.values())
