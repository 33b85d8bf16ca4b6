"""Helpers shared by several rules of this pillar."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from mlint.analysis.blocks import has_multiline_string, indent_lines, iter_nodes
from mlint.analysis.modules import file_module_attributes, file_module_names
from mlint.rule import FileContext
from mlint.types import Edit


def _enclosing_class(ancestors: Sequence[cst.CSTNode]) -> cst.ClassDef | None:
    """The class a method is defined in directly (not through a nested function)."""
    for node in reversed(ancestors):
        if isinstance(node, cst.ClassDef):
            return node
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            return None
    return None


def _line_start(source: str, offset: int) -> int:
    return source.rfind("\n", 0, offset) + 1


def _line_end(source: str, offset: int) -> int:
    end = source.find("\n", offset)
    return len(source) if end < 0 else end


def _wrap_rest_in_with(
    ctx: FileContext,
    first: cst.BaseStatement,
    rest: Sequence[cst.BaseStatement],
    header: str,
    drop_last: bool = False,
) -> Edit | None:
    """Replace ``first`` with ``with <header>:`` over ``rest`` (re-indented one level).

    With ``drop_last`` the last statement of ``rest`` (an explicit close) is removed.
    ``None`` when re-indenting is not safe (a multi-line string would change).
    """
    body = rest[:-1] if drop_last else rest
    if not body or any(has_multiline_string(s) for s in body):
        return None
    source = ctx.source
    start, first_end = ctx.span(first)
    comment_end = _line_end(source, first_end)
    comment = source[first_end:comment_end]
    if drop_last:
        last_start, last_end = ctx.span(rest[-1])
        body_text = source[comment_end + 1 : _line_start(source, last_start)]
        end = min(_line_end(source, last_end) + 1, len(source))
        if not body_text.endswith("\n"):
            return None
    else:
        end = ctx.span(rest[-1])[1]
        body_text = source[comment_end + 1 : end]
    unit = ctx.module.default_indent
    return Edit(start, end, f"with {header}:{comment}\n{indent_lines(body_text, unit)}")


def _proven_modules(
    ctx: FileContext, function: cst.FunctionDef, cls: cst.ClassDef | None
) -> frozenset[str]:
    """Dotted names that hold an ``nn.Module`` inside ``function``."""
    proven = set(file_module_names(ctx, function.body))
    if cls is not None:
        if ctx.classes.is_module(cls):
            proven.add("self")
        proven |= {f"self.{name}" for name in file_module_attributes(ctx, cls)}
    params = {p.name.value for p in function.params.params}
    params |= {p.name.value for p in function.params.kwonly_params}
    params |= {p.name.value for p in function.params.posonly_params}
    assigned = {
        n.value
        for n in iter_nodes(function.body)
        if isinstance(n, cst.AssignTarget) and isinstance(n.target, cst.Name)
        for n in (n.target,)
    }
    module_level = file_module_names(ctx, ctx.module)
    proven |= module_level - params - assigned
    return frozenset(proven)


def _is_false(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"
