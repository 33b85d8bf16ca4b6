"""Fixture helpers: ``# expect: CODE`` markers and one-rule settings (used by the tests)."""

from __future__ import annotations

import re
from pathlib import Path

from mlint.types import Applicability, LintSettings

_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>ML\d{3}(?:\s*,\s*ML\d{3})*)")


def expected_markers(source: str) -> list[tuple[int, str]]:
    """``(line, code)`` for every ``# expect: CODE`` marker, sorted."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(source.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            found.extend((number, c.strip()) for c in match.group("codes").split(","))
    return sorted(found)


def settings_for(code: str, unsafe: bool = False, root: Path | None = None) -> LintSettings:
    """Every rule enabled (rules interact, e.g. through ``noqa``); only ``code``'s fixes apply."""
    from mlint.rules import all_rules

    return LintSettings(
        enabled=frozenset(all_rules()),
        fixable=frozenset({code}),
        project_root=str(root or Path.cwd()),
        applicability=Applicability.UNSAFE if unsafe else Applicability.SAFE,
    )
