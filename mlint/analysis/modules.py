"""Is this expression an ``nn.Module``? Facts from constructors seen in the same file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import libcst as cst

from mlint.analysis.classes import ClassIndex
from mlint.analysis.imports import ImportTable
from mlint.analysis.statements import inner_suites

if TYPE_CHECKING:
    from mlint.rule import FileContext

# `torch.nn.<Name>` attributes that are not modules.
_NN_NON_MODULES = frozenset(
    {"Parameter", "ParameterList", "ParameterDict", "Buffer", "init", "functional", "utils"}
)


def is_module_constructor(call: cst.Call, imports: ImportTable, classes: ClassIndex) -> bool:
    """Whether ``call`` certainly builds an ``nn.Module`` (``nn.Linear(...).to(device)`` too)."""
    while (
        isinstance(call.func, cst.Attribute)
        and call.func.attr.value in _SELF_RETURNING
        and isinstance(call.func.value, cst.Call)
    ):
        call = call.func.value
    func = call.func
    if isinstance(func, cst.Name) and func.value in classes.by_name:
        return classes.is_module(classes.by_name[func.value])
    resolved = imports.resolve(func)
    if resolved is None or not resolved.certain:
        return False
    name = resolved.name
    head, _, last = name.rpartition(".")
    if head == "torch.nn" and last[:1].isupper() and last not in _NN_NON_MODULES:
        return True
    if name in ("timm.create_model", "torchvision.models.get_model"):
        return True
    if name.startswith("torchvision.models.") and last[:1].islower() and "." not in name[19:]:
        return True  # torchvision.models.resnet50()
    if last == "from_pretrained" and name.startswith(("transformers.", "diffusers.")):
        owner = head.rpartition(".")[2]
        return owner.startswith("AutoModel") or "For" in owner or owner.endswith("Model")
    return False


def walk_statements(body: object) -> Iterator[cst.BaseSmallStatement]:
    """Every small statement in a block, through nested compound statements (not defs)."""
    stack: list[object] = [body]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif isinstance(item, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            yield from item.body
        elif isinstance(item, (cst.IndentedBlock, cst.Module)):
            stack.append(item.body)
        elif isinstance(item, (cst.FunctionDef, cst.ClassDef)):
            continue
        elif isinstance(item, cst.BaseCompoundStatement):
            stack.extend(reversed(inner_suites(item)))


def init_module_attributes(
    cls: cst.ClassDef, imports: ImportTable, classes: ClassIndex
) -> frozenset[str]:
    """Names ``x`` for which ``__init__`` assigns ``self.x = <module constructor>``."""
    names: set[str] = set()
    for stmt in cls.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__init__":
            for small in walk_statements(stmt.body):
                target, value = _single_assignment(small)
                if (
                    isinstance(target, cst.Attribute)
                    and isinstance(target.value, cst.Name)
                    and target.value.value == "self"
                    and isinstance(value, cst.Call)
                    and is_module_constructor(value, imports, classes)
                ):
                    names.add(target.attr.value)
    return frozenset(names)


def _single_assignment(
    small: cst.BaseSmallStatement,
) -> tuple[cst.BaseExpression | None, cst.BaseExpression | None]:
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        return small.targets[0].target, small.value
    if isinstance(small, cst.AnnAssign) and small.value is not None:
        return small.target, small.value
    return None, None


_SELF_RETURNING = frozenset(
    {"to", "cuda", "cpu", "eval", "train", "float", "half", "double", "bfloat16", "requires_grad_"}
)


def _keeps_module(name: str, value: cst.BaseExpression | None) -> bool:
    """``m = m.to(device)`` and friends return the same module."""
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and isinstance(value.func.value, cst.Name)
        and value.func.value.value == name
        and value.func.attr.value in _SELF_RETURNING
    )


def local_module_names(body: object, imports: ImportTable, classes: ClassIndex) -> frozenset[str]:
    """Names bound only to module constructors in a block (rebinding to anything else clears)."""
    modules: set[str] = set()
    others: set[str] = set()
    for small in walk_statements(body):
        target, value = _single_assignment(small)
        if isinstance(target, cst.Name):
            if isinstance(value, cst.Call) and is_module_constructor(value, imports, classes):
                modules.add(target.value)
            elif _keeps_module(target.value, value):
                continue
            else:
                others.add(target.value)
    return frozenset(modules - others)


def file_module_names(ctx: FileContext, body: object) -> frozenset[str]:
    """``local_module_names`` of ``body`` (a function body or the module), once per file."""
    return ctx.fact(
        ("local_module_names", id(body)),
        lambda: local_module_names(body, ctx.imports, ctx.classes),
    )


def file_module_attributes(ctx: FileContext, cls: cst.ClassDef) -> frozenset[str]:
    """``init_module_attributes`` of ``cls``, once per file."""
    return ctx.fact(
        ("init_module_attributes", id(cls)),
        lambda: init_module_attributes(cls, ctx.imports, ctx.classes),
    )
