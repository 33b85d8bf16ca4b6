"""The shared data types: defined once here, imported everywhere."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Applicability(str, enum.Enum):
    """How sure a fix is: only ``SAFE`` fixes are applied by ``--fix``."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


class FixAvailability(str, enum.Enum):
    NONE = "none"
    SOMETIMES = "sometimes"
    ALWAYS = "always"


@dataclass(frozen=True, order=True)
class Edit:
    """Replace ``source[start:end]`` (character offsets) with ``content``."""

    start: int
    end: int
    content: str = ""


@dataclass(frozen=True)
class Fix:
    edits: tuple[Edit, ...]
    applicability: Applicability
    message: str | None = None


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based line and 1-based column (in characters)."""

    line: int
    column: int


@dataclass(frozen=True)
class Diagnostic:
    path: str
    code: str
    name: str
    message: str
    start: Location
    end: Location
    fix: Fix | None = None
    # Where a suppression comment for this diagnostic must sit (1-based line).
    noqa_line: int = 0
    # Set for notebooks: the 1-based cell and the line within it.
    cell: int | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def fixable(self) -> bool:
        return self.fix is not None and self.fix.applicability is not Applicability.DISPLAY_ONLY

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.start.line, self.start.column, self.code)


@dataclass(frozen=True)
class FileResult:
    """What linting one file produced."""

    path: str
    diagnostics: tuple[Diagnostic, ...] = ()
    # One-line error for a file that could not be read (never a traceback).
    error: str | None = None
    # Set when fixes were applied: the new source text and how many fixes.
    fixed_source: str | None = None
    fixes_applied: int = 0
    cached: bool = False
    # The text that was linted (for code frames and diffs); absent for cached results.
    source: str | None = None
    applied_codes: tuple[str, ...] = ()
