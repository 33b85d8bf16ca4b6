"""The ``Rule`` base class, the per-file context rules see, and the ``@register`` marker."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import libcst as cst

from mlint.types import Applicability, Edit, Fix, FixAvailability, Location

if TYPE_CHECKING:
    from libcst.metadata import CodeRange

    from mlint.analysis.classes import ClassIndex
    from mlint.analysis.imports import ImportTable
    from mlint.lines import LineOffsets

_T = TypeVar("_T")


class FileContext:
    """What every rule may ask about the file being linted; expensive facts are lazy."""

    def __init__(
        self,
        path: str,
        source: str,
        module: cst.Module,
        cells: tuple[tuple[int, int], ...] = (),
    ) -> None:
        self.path = path
        self.source = source
        self.module = module
        # For a notebook: ``(first line in the joined source, cell number)`` per code cell.
        self.cells = cells
        # The same, first lines only (1-based, ascending).
        self.cell_lines = tuple(first for first, _ in cells)
        # Ancestors of the node being visited, outermost first (maintained by the walker).
        self.ancestors: list[cst.CSTNode] = []
        self._spans: dict[cst.CSTNode, tuple[int, int]] | None = None
        # False when node offsets could not be mapped onto ``source`` with certainty: the
        # engine then offers no fix for the file.
        self.exact = True
        self._lines: LineOffsets | None = None
        self._imports: ImportTable | None = None
        self._classes: ClassIndex | None = None
        self._facts: dict[Hashable, Any] = {}

    @property
    def imports(self) -> ImportTable:
        if self._imports is None:
            from mlint.analysis.imports import ImportTable

            self._imports = ImportTable.from_module(self.module)
        return self._imports

    @property
    def classes(self) -> ClassIndex:
        if self._classes is None:
            from mlint.analysis.classes import ClassIndex

            self._classes = ClassIndex.from_module(self.module, self.imports)
        return self._classes

    def fact(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """A whole-file fact computed once per file: rules ask per node, the file pays once.

        ``key`` names the fact and the node it is about (``("module-names", id(body))``).
        """
        if key not in self._facts:
            self._facts[key] = compute()
        return self._facts[key]  # type: ignore[no-any-return]

    def enclosing(self, *types: type[cst.CSTNode]) -> cst.CSTNode | None:
        """The innermost ancestor of one of ``types``."""
        for node in reversed(self.ancestors):
            if isinstance(node, types):
                return node
        return None

    @property
    def parent(self) -> cst.CSTNode | None:
        return self.ancestors[-1] if self.ancestors else None

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        """The node's syntactic ``(start, end)`` offsets in ``source``, computed once per file."""
        if self._spans is None:
            from mlint.positions import align, node_spans

            spans, regenerated = node_spans(self.module)
            if regenerated != self.source:
                # libcst dropped something (a form feed, a BOM): offsets into its code are
                # not offsets into the user's text until mapped back.
                aligned = align(spans, regenerated, self.source)
                self.exact = aligned is not None
                spans = spans if aligned is None else aligned
            self._spans = spans
        return self._spans[node]

    def location(self, offset: int) -> Location:
        """1-based line and column of a character offset."""
        if self._lines is None:
            from mlint.lines import LineOffsets

            self._lines = LineOffsets(self.source)
        return self._lines.location(offset)

    def code_range(self, node: cst.CSTNode) -> CodeRange:
        from libcst.metadata import CodePosition, CodeRange

        start, end = self.span(node)
        first, last = self.location(start), self.location(end)
        return CodeRange(
            CodePosition(first.line, first.column - 1), CodePosition(last.line, last.column - 1)
        )

    def line_of(self, node: cst.CSTNode) -> int:
        """The 1-based line on which ``node`` starts in the linted source."""
        return self.location(self.span(node)[0]).line

    def cell_of(self, node: cst.CSTNode) -> int | None:
        """The notebook cell number holding ``node``; ``None`` outside notebooks."""
        if not self.cells:
            return None
        import bisect

        index = bisect.bisect_right(self.cell_lines, self.line_of(node)) - 1
        return self.cells[max(index, 0)][1]

    def same_cell(self, first: cst.CSTNode, second: cst.CSTNode) -> bool:
        """Whether both nodes sit in one notebook cell (always true outside notebooks)."""
        return self.cell_of(first) == self.cell_of(second)

    def line_label(self, node: cst.CSTNode) -> str:
        """Where ``node`` starts, as a user reads it: ``line 12`` or, in a notebook, ``cell 3, line 4``."""
        line = self.line_of(node)
        if not self.cells:
            return f"line {line}"
        import bisect

        index = max(bisect.bisect_right(self.cell_lines, line) - 1, 0)
        first, cell = self.cells[index]
        return f"cell {cell}, line {line - first + 1}"

    def code(self, node: cst.CSTNode) -> str:
        """The node's source text exactly as written."""
        start, end = self.span(node)
        return self.source[start:end]

    def render(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def line_indent(self, node: cst.CSTNode) -> str:
        """The indentation of the line on which ``node`` starts."""
        start, _ = self.span(node)
        line_start = self.source.rfind("\n", 0, start) + 1
        text = self.source[line_start:start]
        return text[: len(text) - len(text.lstrip(" \t"))]

    # Edit builders: rules combine these into a ``Fix``.
    def replace(self, node: cst.CSTNode, new: cst.CSTNode | str) -> Edit:
        start, end = self.span(node)
        return Edit(start, end, new if isinstance(new, str) else self.render(new))

    def insert_before(self, node: cst.CSTNode, text: str) -> Edit:
        start, _ = self.span(node)
        return Edit(start, start, text)

    def insert_after(self, node: cst.CSTNode, text: str) -> Edit:
        _, end = self.span(node)
        return Edit(end, end, text)

    def delete(self, node: cst.CSTNode) -> Edit:
        start, end = self.span(node)
        return Edit(start, end, "")


class PendingReport:
    __slots__ = ("fix", "message", "node", "rule")

    def __init__(self, rule: Rule, node: cst.CSTNode, message: str, fix: Fix | None) -> None:
        self.rule = rule
        self.node = node
        self.message = message
        self.fix = fix


class Rule:
    """Base class of every rule: a libcst-style visitor with ``visit_<Node>``/``leave_<Node>``.

    One instance lives for one file. All enabled rules share one traversal, so a
    ``visit_*`` return value cannot prune children; look into subtrees directly instead.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]
    fix_availability: ClassVar[FixAvailability] = FixAvailability.NONE
    # Substrings of which at least one must occur in the file text for the rule to run.
    # Empty means the rule runs on every file.
    triggers: ClassVar[tuple[str, ...]] = ()
    # The ``mlint.patterns`` object that shows the corrected form.
    pattern: ClassVar[str | None] = None
    # A frozen dataclass of the rule's options (``[tool.mlint.rules.CODE]``), or ``None``.
    # Dataclasses, not pydantic models, so linting never imports pydantic; the settings
    # validate them with pydantic (set ``__pydantic_config__ = {"extra": "forbid"}``).
    options_model: ClassVar[type[Any] | None] = None
    # On without configuration? A rule is default only when its judged sample on real
    # application code (benchmarks/realworld/) is at least 90% worth acting on; the others
    # are opt-in: enabled by code, name, prefix or ``ALL``.
    default: ClassVar[bool] = True

    def __init__(self, context: FileContext, options: Any = None) -> None:
        self.context = context
        if options is None and self.options_model is not None:
            options = self.options_model()
        self.options: Any = options
        self.reports: list[PendingReport] = []

    def report(
        self,
        node: cst.CSTNode,
        message: str | None = None,
        *,
        fix: Fix | None = None,
    ) -> None:
        self.reports.append(PendingReport(self, node, message or self.message, fix))

    def make_fix(
        self,
        edits: Sequence[Edit],
        applicability: Applicability = Applicability.SAFE,
        message: str | None = None,
    ) -> Fix:
        return Fix(tuple(sorted(edits)), applicability, message)

    @classmethod
    def handlers(cls) -> Iterator[tuple[str, str, Callable[..., Any]]]:
        """Yield ``("visit"|"leave", NodeTypeName, function)`` for each handler the class defines."""
        for attr, func in inspect.getmembers(cls, inspect.isfunction):
            kind, _, node_type = attr.partition("_")
            if kind in ("visit", "leave") and node_type and node_type[0].isupper():
                yield kind, node_type, func

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")


_REGISTERED = "__mlint_registered__"

RuleT = TypeVar("RuleT", bound=type[Rule])


def register(rule: RuleT) -> RuleT:
    """Class decorator marking a rule for discovery by ``mlint.rules.all_rules``."""
    setattr(rule, _REGISTERED, True)
    return rule


def is_registered(cls: type) -> bool:
    """Whether ``cls`` itself (not a base class) carries ``@register``."""
    return vars(cls).get(_REGISTERED) is True
