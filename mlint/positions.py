"""Node spans as character offsets, from one lean code generation pass.

libcst's ``PositionProvider`` tracks line and column through a regex split of every
token and builds two objects per node: on real code it costs about twice the parse.
Counting characters instead costs about a quarter of the parse, and only files with
something to report pay it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from contextlib import contextmanager

import libcst as cst
from libcst._nodes.internal import CodegenState


class _OffsetState(CodegenState):
    """A codegen state that records each node's syntactic ``(start, end)`` offsets."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self.offset = 0
        self.spans: dict[cst.CSTNode, tuple[int, int]] = {}
        self._starts: list[int] = []

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.tokens.append(token)
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._starts.append(self.offset)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self._starts.pop()
        if node not in self.spans:
            self.spans[node] = (start, self.offset)

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        start = self.offset
        try:
            yield
        finally:
            end = self.offset
            if start_node is not None:
                start = self.spans[start_node][0]
            if end_node is not None:
                end = self.spans[end_node][1]
            self.spans[node] = (start, end)


Spans = dict[cst.CSTNode, tuple[int, int]]

# What libcst may leave out of the code it regenerates: a form feed before a top-level
# statement, a byte order mark. Anything else it changes makes offsets uncertain.
_DROPPABLE = frozenset(" \t\x0b\x0c\ufeff")
_BLOCK = 4096


def node_spans(module: cst.Module) -> tuple[Spans, str]:
    """Syntactic ``(start, end)`` offsets of every node in the code libcst regenerates, and that code."""
    state = _OffsetState(module)
    module._codegen(state)
    return state.spans, "".join(state.tokens)


def align(spans: Spans, regenerated: str, source: str) -> Spans | None:
    """``spans`` (offsets in ``regenerated``) as offsets in ``source``.

    ``None`` unless ``regenerated`` is ``source`` less some whitespace libcst drops: then
    the offsets cannot be mapped with certainty.
    """
    dropped = _dropped(regenerated, source)
    if dropped is None:
        return None
    # For each dropped character, how many regenerated characters come before it.
    before = [position - index for index, position in enumerate(dropped)]
    out: Spans = {}
    for node, (start, end) in spans.items():
        # A start skips dropped characters in front of the node, an end stops after it.
        new_start = start + bisect.bisect_right(before, start)
        new_end = end + bisect.bisect_left(before, end)
        out[node] = (new_start, max(new_start, new_end))
    return out


def _dropped(regenerated: str, source: str) -> list[int] | None:
    """Offsets in ``source`` of the characters missing from ``regenerated``, if only droppable ones."""
    dropped: list[int] = []
    i = j = 0
    while j < len(regenerated):
        common = _common_prefix(source, i, regenerated, j)
        i += common
        j += common
        if j == len(regenerated):
            break
        if i >= len(source) or source[i] not in _DROPPABLE:
            return None
        dropped.append(i)
        i += 1
    if any(char not in _DROPPABLE for char in source[i:]):
        return None
    dropped.extend(range(i, len(source)))
    return dropped


def _common_prefix(a: str, i: int, b: str, j: int) -> int:
    """How many characters ``a[i:]`` and ``b[j:]`` share from their start."""
    length = 0
    limit = min(len(a) - i, len(b) - j)
    while length + _BLOCK <= limit and (
        a[i + length : i + length + _BLOCK] == b[j + length : j + length + _BLOCK]
    ):
        length += _BLOCK
    while length < limit and a[i + length] == b[j + length]:
        length += 1
    return length
