"""Every rule's fixture folder: exact diagnostics, silent near misses, exact fix output."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlint.engine import allowed, lint_source
from mlint.fix import fix_source, parses
from mlint.rules import all_rules
from mlint.testing import expected_markers, settings_for
from mlint.types import Applicability, FixAvailability

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FOLDERS = sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name.startswith("ML"))
IDS = [p.name for p in FOLDERS]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_every_rule_has_a_fixture_folder() -> None:
    missing = [code for code in all_rules() if not (FIXTURES / code).is_dir()]
    assert missing == []


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_bad_reports_exactly_the_markers(folder: Path) -> None:
    code = folder.name
    source = _read(folder / "bad.py")
    diagnostics = lint_source(source, str(folder / "bad.py"), settings_for(code))
    got = sorted((d.start.line, d.code) for d in diagnostics if d.code == code)
    assert got == expected_markers(source)
    assert got, "bad.py must mark at least one diagnostic"


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_good_is_silent(folder: Path) -> None:
    code = folder.name
    path = folder / "good.py"
    diagnostics = lint_source(_read(path), str(path), settings_for(code))
    assert [(d.start.line, d.message) for d in diagnostics if d.code == code] == []


def _fix_cases() -> list[tuple[Path, bool]]:
    cases = []
    for folder in FOLDERS:
        if (folder / "bad.fixed.py").exists():
            cases.append((folder, False))
        if (folder / "bad.unsafe-fixed.py").exists():
            cases.append((folder, True))
    return cases


@pytest.mark.parametrize(
    ("folder", "unsafe"),
    _fix_cases(),
    ids=[f"{f.name}-{'unsafe' if u else 'safe'}" for f, u in _fix_cases()],
)
def test_fix_output(folder: Path, unsafe: bool) -> None:
    code = folder.name
    settings = settings_for(code, unsafe=unsafe)
    wanted = Applicability.UNSAFE if unsafe else Applicability.SAFE
    bad = folder / "bad.py"
    expected = _read(folder / ("bad.unsafe-fixed.py" if unsafe else "bad.fixed.py"))
    outcome = fix_source(_read(bad), str(bad), settings)
    assert outcome.source == expected
    assert outcome.applied > 0
    assert parses(outcome.source)
    # Idempotent: a second pass changes nothing.
    assert fix_source(outcome.source, str(bad), settings).source == outcome.source
    # Nothing that the same --fix could fix is left behind.
    left = lint_source(outcome.source, str(bad), settings)
    fixable_left = [
        d for d in left if d.code == code and d.fix and allowed(d.fix.applicability, wanted)
    ]
    assert fixable_left == []


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_rules_with_fixes_have_fix_fixtures(folder: Path) -> None:
    rule = all_rules()[folder.name]
    has_fixture = (folder / "bad.fixed.py").exists() or (folder / "bad.unsafe-fixed.py").exists()
    assert has_fixture == (rule.fix_availability is not FixAvailability.NONE)
