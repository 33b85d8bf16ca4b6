"""Class hierarchy: is this class an ``nn.Module``, a ``Dataset``, a pydantic model?

Bases are resolved through the import table and through classes defined in the
same file, to any depth.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst

from mlint.analysis.imports import ImportTable
from mlint.analysis.statements import inner_suites

MODULE_BASES = frozenset(
    {
        "torch.nn.Module",
        "torch.nn.modules.module.Module",
        "lightning.LightningModule",
        "lightning.pytorch.LightningModule",
        "pytorch_lightning.LightningModule",
        "torch.nn.Sequential",
        "torch.nn.ModuleList",
        "torch.nn.ModuleDict",
    }
)
MAP_DATASET_BASES = frozenset({"torch.utils.data.Dataset", "torch.utils.data.dataset.Dataset"})
ITERABLE_DATASET_BASES = frozenset(
    {"torch.utils.data.IterableDataset", "torch.utils.data.dataset.IterableDataset"}
)
AUTOGRAD_FUNCTION_BASES = frozenset({"torch.autograd.Function", "torch.autograd.function.Function"})
PYDANTIC_BASES = frozenset({"pydantic.BaseModel", "pydantic.main.BaseModel"})


def _classes(body: object) -> Iterator[cst.ClassDef]:
    """Every class definition in the module, nested ones included."""
    stack: list[object] = [body]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, cst.ClassDef):
            yield item
            stack.append(item.body)
        elif isinstance(item, (cst.Module, cst.IndentedBlock)):
            stack.append(item.body)
        elif isinstance(item, cst.BaseCompoundStatement):
            stack.extend(inner_suites(item))


@dataclass
class ClassIndex:
    """Classes of one module by name, with memoised base resolution."""

    imports: ImportTable
    by_name: dict[str, cst.ClassDef]
    _ancestry: dict[str, frozenset[str]] = field(default_factory=dict)
    _subclassed: frozenset[str] | None = None

    @classmethod
    def from_module(cls, module: cst.Module, imports: ImportTable) -> ClassIndex:
        return cls(imports, {c.name.value: c for c in _classes(module)})

    def base_names(self, node: cst.ClassDef) -> list[tuple[str, bool]]:
        """Qualified names of the direct bases, each with its certainty."""
        out: list[tuple[str, bool]] = []
        for arg in node.bases:
            value = arg.value
            if isinstance(value, cst.Subscript):
                value = value.value  # Dataset[Tensor], nn.ModuleList[Block]
            resolved = self.imports.resolve(value)
            if resolved is not None:
                out.append((resolved.name, resolved.certain))
        return out

    def ancestry(self, node: cst.ClassDef) -> frozenset[str]:
        """Every qualified external base reachable from ``node`` through same-file classes."""
        key = node.name.value
        if key in self._ancestry and self.by_name.get(key) is node:
            return self._ancestry[key]
        self._ancestry[key] = frozenset()  # cycle guard
        found: set[str] = set()
        for name, _ in self.base_names(node):
            local = self.by_name.get(name)
            if local is not None and local is not node:
                found.add(name)
                found |= self.ancestry(local)
            else:
                found.add(name)
        result = frozenset(found)
        if self.by_name.get(key) is node:
            self._ancestry[key] = result
        return result

    def is_subclass(self, node: cst.ClassDef, bases: frozenset[str]) -> bool:
        return not self.ancestry(node).isdisjoint(bases)

    def is_module(self, node: cst.ClassDef) -> bool:
        return self.is_subclass(node, MODULE_BASES)

    def is_map_dataset(self, node: cst.ClassDef) -> bool:
        return self.is_subclass(node, MAP_DATASET_BASES) and not self.is_iterable_dataset(node)

    def is_iterable_dataset(self, node: cst.ClassDef) -> bool:
        return self.is_subclass(node, ITERABLE_DATASET_BASES)

    def is_autograd_function(self, node: cst.ClassDef) -> bool:
        return self.is_subclass(node, AUTOGRAD_FUNCTION_BASES)

    def is_pydantic_model(self, node: cst.ClassDef) -> bool:
        return self.is_subclass(node, PYDANTIC_BASES)

    def direct_base_is(self, node: cst.ClassDef, bases: frozenset[str]) -> bool:
        return any(name in bases and certain for name, certain in self.base_names(node))

    def local_bases(self, node: cst.ClassDef) -> list[cst.ClassDef]:
        """Same-file ancestors of ``node``, nearest first, each once."""
        seen: list[cst.ClassDef] = []
        stack = [node]
        while stack:
            current = stack.pop(0)
            for name, _ in self.base_names(current):
                local = self.by_name.get(name)
                if local is not None and local is not node and local not in seen:
                    seen.append(local)
                    stack.append(local)
        return seen

    def is_subclassed(self, node: cst.ClassDef) -> bool:
        """Whether another class of the same file names ``node`` as a base."""
        if self._subclassed is None:
            names: set[str] = set()
            for other in self.by_name.values():
                names.update(name for name, _ in self.base_names(other) if name != other.name.value)
            self._subclassed = frozenset(names)
        return node.name.value in self._subclassed


def defined_names(node: cst.ClassDef) -> frozenset[str]:
    """Names a class body binds directly: methods, assignments, nested classes."""
    return frozenset(_bound_names(node.body.body))


def _bound_names(statements: Sequence[cst.CSTNode]) -> Iterator[str]:
    for stmt in statements:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            yield stmt.name.value
        elif isinstance(stmt, cst.SimpleStatementLine):
            yield from _bound_names(stmt.body)
        elif isinstance(stmt, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            targets = (
                [t.target for t in stmt.targets] if isinstance(stmt, cst.Assign) else [stmt.target]
            )
            yield from (t.value for t in targets if isinstance(t, cst.Name))
        elif isinstance(stmt, (cst.If, cst.Try, cst.TryStar, cst.With, cst.Match)):
            # `if TYPE_CHECKING:` / version switches / optional imports still bind the name.
            for suite in inner_suites(stmt):
                yield from _bound_names(suite.body)
