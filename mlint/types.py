"""The shared data types: defined once here, imported everywhere."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

# What one run does to the files: report, write the fixes, or print them as a diff.
Mode = Literal["check", "fix", "diff"]


class Applicability(str, enum.Enum):
    """How sure a fix is: only ``SAFE`` fixes are applied by ``--fix``."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


class FixAvailability(str, enum.Enum):
    NONE = "none"
    SOMETIMES = "sometimes"
    ALWAYS = "always"


OutputFormat = Literal[
    "full",
    "concise",
    "grouped",
    "json",
    "json-lines",
    "github",
    "gitlab",
    "sarif",
    "junit",
    "pylint",
    "rdjson",
]
OUTPUT_FORMATS: tuple[str, ...] = get_args(OutputFormat)


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


# Codes whose diagnostics are errors (the file does not parse), not rule findings.
ERROR_CODES = frozenset({"ML001", "ML003"})


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

    @property
    def severity(self) -> str:
        """``error`` for a file mlint could not parse, ``warning`` for every rule's finding."""
        return "error" if self.code in ERROR_CODES else "warning"

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


class ConfigError(Exception):
    """A configuration problem, reported as one line and exit code 2."""


@dataclass(frozen=True)
class LintSettings:
    """What the engine needs per file: small, frozen and picklable for worker processes."""

    enabled: frozenset[str]
    fixable: frozenset[str]
    rule_options: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    project_root: str = "."
    applicability: Applicability = Applicability.SAFE
    ignore_noqa: bool = False

    def options_for(self, code: str) -> dict[str, Any]:
        for rule_code, items in self.rule_options:
            if rule_code == code:
                return dict(items)
        return {}

    def fingerprint(self) -> str:
        """A stable digest of everything that changes results (set order never leaks in)."""
        import hashlib

        parts = (
            sorted(self.enabled),
            sorted(self.fixable),
            self.rule_options,
            [(pattern, sorted(codes)) for pattern, codes in self.per_file_ignores],
            self.project_root,
            self.applicability.value,
            self.ignore_noqa,
        )
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]

    def codes_for(self, path: str) -> frozenset[str]:
        """The enabled codes for one file, after ``per-file-ignores``."""
        if not self.per_file_ignores:
            return self.enabled
        from fnmatch import fnmatch

        rel = _relative(path, self.project_root)
        name = Path(path).name
        ignored: set[str] = set()
        for pattern, codes in self.per_file_ignores:
            # An absolute pattern comes from a base file reached by `extend`.
            target = Path(path).resolve().as_posix() if pattern.startswith("/") else rel
            if (
                fnmatch(target, pattern)
                or fnmatch(name, pattern)
                or fnmatch(target, pattern + "/*")
            ):
                ignored |= codes
        return self.enabled - ignored


def _relative(path: str, root: str) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one run: file config overlaid with CLI flags."""

    lint: LintSettings
    config_path: str | None
    project_root: str
    exclude: tuple[str, ...]
    extend_exclude: tuple[str, ...]
    respect_gitignore: bool
    force_exclude: bool
    output_format: str
    cache_dir: str
    target_version: str
    unsafe_fixes: bool
    extras: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        lines = [
            f"config_path = {self.config_path or '(none: defaults)'}",
            f"project_root = {self.project_root}",
            f"enabled = {sorted(self.lint.enabled)}",
            f"fixable = {sorted(self.lint.fixable)}",
            f"per_file_ignores = { {p: sorted(c) for p, c in self.lint.per_file_ignores} }",
            f"rule_options = { {c: dict(o) for c, o in self.lint.rule_options} }",
            f"exclude = {list(self.exclude)}",
            f"extend_exclude = {list(self.extend_exclude)}",
            f"respect_gitignore = {self.respect_gitignore}",
            f"force_exclude = {self.force_exclude}",
            f"output_format = {self.output_format}",
            f"cache_dir = {self.cache_dir}",
            f"target_version = {self.target_version}",
            f"unsafe_fixes = {self.unsafe_fixes}",
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class Overrides:
    """Settings given on the command line; ``None`` means "not given"."""

    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: list[str] = field(default_factory=list)
    fixable: list[str] | None = None
    unfixable: list[str] = field(default_factory=list)
    exclude: list[str] | None = None
    extend_exclude: list[str] = field(default_factory=list)
    respect_gitignore: bool | None = None
    force_exclude: bool | None = None
    output_format: str | None = None
    cache_dir: str | None = None
    unsafe_fixes: bool | None = None
    ignore_noqa: bool = False
    config_overrides: tuple[str, ...] = ()  # `--config 'KEY = VALUE'`, in order


@dataclass(frozen=True)
class CheckOptions:
    """The flags of ``mlint check`` as given on the command line; ``None`` means "not given".

    Built once by the CLI; settings-like flags become ``Overrides`` for the configuration.
    """

    paths: tuple[str, ...] = ()
    fix: bool = False
    unsafe_fixes: bool | None = None
    show_fixes: bool = False
    diff: bool = False
    fix_only: bool = False
    exit_zero: bool = False
    exit_non_zero_on_fix: bool = False
    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[str, ...] = ()
    fixable: tuple[str, ...] = ()
    unfixable: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool | None = None
    force_exclude: bool | None = None
    output_format: str | None = None
    output_file: str | None = None
    statistics: bool = False
    add_noqa: bool = False
    baseline: str | None = None
    write_baseline: str | None = None
    prune_baseline: bool = False
    ignore_noqa: bool = False
    no_cache: bool = False
    cache_dir: str | None = None
    config: tuple[str, ...] = ()  # files and `KEY = VALUE` overrides, as given
    isolated: bool = False
    stdin_filename: str | None = None
    show_settings: bool = False
    show_files: bool = False
    jobs: int = 0
    color: str = "auto"
    quiet: bool = False
    silent: bool = False
    watch: bool = False

    @property
    def reads_stdin(self) -> bool:
        """``-`` as the only path, or, as ruff does, ``--stdin-filename`` with no path."""
        return self.paths == ("-",) or (self.stdin_filename is not None and not self.paths)

    @property
    def mode(self) -> Mode:
        if self.diff:
            return "diff"
        return "fix" if self.fix or self.fix_only else "check"
