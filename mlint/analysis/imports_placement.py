"""Where a fix puts the import it adds: where an import sorter (isort, ruff's ``I001``) would.

The file's leading import block is read as isort's sections (future, standard library,
third party and first party, local); a new import joins its own section at its sorted
place (``import x`` lines before ``from x import y`` lines, as with isort's default
``force-sort-within-sections = false``), or opens that section where it belongs. Anything
isort would not have left as it is (sections out of order, imports after code or under
``try:``) gets the plain placement: after the leading block.
"""

from __future__ import annotations

import bisect
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst
from libcst.helpers import get_full_name_for_node

from mlint.types import Edit

if TYPE_CHECKING:
    from mlint.rule import FileContext

FUTURE, STDLIB, THIRD_PARTY, LOCAL = range(4)

# PEP 263: an encoding declaration, on line 1 or 2.
_CODING_COOKIE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")

SortKey = tuple[object, ...]


@dataclass(frozen=True)
class _Import:
    """One import statement of the leading block, as isort sorts it."""

    statement: cst.SimpleStatementLine
    section: int
    module: str
    is_from: bool
    member: tuple[int, str, str]  # the first imported name (or alias) as isort orders members

    def key(self) -> SortKey:
        """isort's default order: straight imports, then ``from`` imports, by module."""
        return (self.is_from, self.module.lower(), self.module, self.member)

    def module_key(self) -> SortKey:
        """The order with ``force-sort-within-sections``: by module whatever the style."""
        return (self.module.lower(), self.module, self.is_from, self.member)


def import_edit(context: FileContext, line: str) -> Edit:
    """An edit adding the import ``line`` where an import sorter would leave it."""
    header_end, block = _leading(context)
    if not block:
        return _after_header(context, header_end, line)
    new = _describe(cst.parse_statement(line))
    imports = [_describe(statement) for statement in block]
    if new is None or not _in_sections(imports):
        return _after(context, block[-1], f"{line}\n")
    known = [item for item in imports if item is not None]
    same = [item for item in known if item.section == new.section]
    if same:
        return _in_section(context, same, new, line, header_end)
    later = [item for item in known if item.section > new.section]
    if not later:
        return _after(context, block[-1], f"\n{line}\n")
    first = known.index(later[0])
    if first > 0:
        return _after(context, known[first - 1].statement, f"\n{line}\n")
    # A section above all of the block's: a group of its own, with its blank line.
    offset = _comments_start(context, later[0].statement, header_end)
    return Edit(offset, offset, f"{line}\n\n")


def _in_section(
    context: FileContext, section: Sequence[_Import], new: _Import, line: str, floor: int
) -> Edit:
    """Among the imports of its section: sorted, if they are in an order isort knows."""
    orders: tuple[Callable[[_Import], SortKey], ...] = (_Import.key, _Import.module_key)
    for order in orders:
        keys = [order(item) for item in section]
        if keys == sorted(keys):
            place = bisect.bisect_right(keys, order(new))
            break
    else:
        place = len(section)
    if place == 0:
        offset = _comments_start(context, section[0].statement, floor)
        return Edit(offset, offset, f"{line}\n")
    return _after(context, section[place - 1].statement, f"{line}\n")


def _leading(context: FileContext) -> tuple[int, list[cst.SimpleStatementLine]]:
    """The offset after the header (magic comments, docstring, ``__future__`` imports, a
    notebook's leading ``!``/``%`` lines) and the import statements right after it, all in
    one notebook cell."""
    source = context.source
    header_end = _after_magic_comments(source)
    block: list[cst.SimpleStatementLine] = []
    for index, statement in enumerate(context.module.body):
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            break
        small = statement.body[0]
        if not block and _is_header(context, index, small):
            header_end = _line_end(source, context.span(statement)[1])
            continue
        if not isinstance(small, (cst.Import, cst.ImportFrom)) or _is_future(small):
            break
        if block and context.cell_of(statement) != context.cell_of(block[0]):
            break
        block.append(statement)
    return header_end, block


def _is_header(context: FileContext, index: int, small: cst.BaseSmallStatement) -> bool:
    if isinstance(small, cst.ImportFrom):
        return _is_future(small)
    if not isinstance(small, cst.Expr):
        return False
    if index == 0 and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString)):
        return True
    # ``mlint.notebook`` masks each IPython line (`!pip install x`, `%matplotlib inline`)
    # as `...` or `0` padded to its length.
    placeholder = isinstance(small.value, cst.Ellipsis) or (
        isinstance(small.value, cst.Integer) and small.value.value == "0"
    )
    return bool(context.cells) and placeholder


def _is_future(small: cst.BaseSmallStatement) -> bool:
    return (
        isinstance(small, cst.ImportFrom)
        and not small.relative
        and small.module is not None
        and get_full_name_for_node(small.module) == "__future__"
    )


def _describe(statement: cst.BaseStatement) -> _Import | None:
    """How isort sorts ``statement``; None for one it would split (`import os, torch`)."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Import):
        modules = [get_full_name_for_node(alias.name) or "" for alias in small.names]
        if len({_section(module) for module in modules}) != 1:
            return None
        module, first = modules[0], small.names[0]
        member = _member(first.asname.name if first.asname else None, "")
        return _Import(statement, _section(module), module, False, member)
    if isinstance(small, cst.ImportFrom):
        dots = "." * len(small.relative)
        name = get_full_name_for_node(small.module) if small.module is not None else ""
        module = dots + (name or "")
        section = LOCAL if dots else _section(module)
        if isinstance(small.names, cst.ImportStar):
            return _Import(statement, section, module, True, _member(None, "*"))
        first = small.names[0]
        imported = get_full_name_for_node(first.name) or ""
        member = _member(first.asname.name if first.asname else None, imported)
        return _Import(statement, section, module, True, member)
    return None


def _member(alias: cst.BaseExpression | None, name: str) -> tuple[int, str, str]:
    """isort's member order (``order-by-type``): CONSTANTS, then Classes, then the rest."""
    if isinstance(alias, cst.Name) and not name:
        name = alias.value
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return (kind, name.lower(), name)


def _section(module: str) -> int:
    top = module.split(".")[0]
    if top == "__future__":
        return FUTURE
    return STDLIB if top in sys.stdlib_module_names else THIRD_PARTY


def _in_sections(imports: Sequence[_Import | None]) -> bool:
    """Whether the block is grouped as isort groups it: sections in order."""
    sections = [item.section for item in imports if item is not None]
    return len(sections) == len(imports) and sections == sorted(sections)


def _line_end(source: str, offset: int) -> int:
    """The offset after the line break that ends the line holding ``offset``."""
    newline = source.find("\n", offset)
    return len(source) if newline == -1 else newline + 1


def _after(context: FileContext, statement: cst.SimpleStatementLine, text: str) -> Edit:
    """An edit inserting ``text`` (whole lines) after the line ending ``statement``.

    In a notebook the text stays in the statement's cell: where the next line starts the
    next cell, it goes in before the cell's last line break instead of after it.
    """
    source = context.source
    newline = source.find("\n", context.span(statement)[1])
    if newline == -1:
        return Edit(len(source), len(source), f"\n{text}")
    following = newline + 1
    if following < len(source) and _starts_cell(context, following):
        return Edit(newline, newline, f"\n{text[:-1]}")
    return Edit(following, following, text)


def _starts_cell(context: FileContext, offset: int) -> bool:
    location = context.location(offset)
    return location.column == 1 and location.line in context.cell_lines


def _comments_start(context: FileContext, statement: cst.SimpleStatementLine, floor: int) -> int:
    """Where ``statement`` starts with the comment lines right above it, which isort moves
    with it; never above ``floor`` or the start of its notebook cell."""
    source = context.source
    start = source.rfind("\n", 0, context.span(statement)[0]) + 1
    for empty in reversed(statement.leading_lines):
        if empty.comment is None or start <= floor or _starts_cell(context, start):
            break
        start = source.rfind("\n", 0, start - 1) + 1
    return max(start, floor)


def _after_header(context: FileContext, offset: int, line: str) -> Edit:
    """The import right after the header: a block of its own when the file has no other."""
    source = context.source
    prefix = "\n" if offset == len(source) and source and not source.endswith("\n") else ""
    suffix = ""
    if not context.imports.names:
        # A first import gets its own block, two lines above a def as PEP 8 asks.
        following = source[offset:].lstrip("\n\x0c")
        suffix = "\n\n" if following.startswith(("def ", "async def ", "class ", "@")) else "\n"
    return Edit(offset, offset, f"{prefix}{line}\n{suffix}")


def _after_magic_comments(source: str) -> int:
    """The offset after a leading shebang and encoding cookie: both must stay first."""
    offset = 0
    for number in (1, 2):
        end = source.find("\n", offset)
        line = source[offset : len(source) if end == -1 else end].lstrip("\ufeff")
        magic = _CODING_COOKIE.match(line) or (number == 1 and line.startswith("#!"))
        if not magic:
            break
        offset = len(source) if end == -1 else end + 1
    return offset
