"""One module per rule, found by its name; rule discovery needs no registration list."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from mlint.rules import all_rules, discover

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "mlint" / "rules"
PILLARS = {
    "ML0": "builtin",
    "ML1": "lazy",
    "ML2": "resources",
    "ML3": "concurrency",
    "ML4": "config",
    "ML5": "protocols",
    "ML6": "training",
    "ML7": "security",
}

NEW_RULE = """\
from mlint.rule import Rule, register


@register
class ShinyNewRule(Rule):
    code = "ML{code}"
    name = "shiny-new-rule"
    message = "test"
"""


def test_each_rule_lives_in_a_module_named_after_it() -> None:
    for code, rule in all_rules().items():
        expected = f"mlint.rules.{PILLARS[code[:3]]}.{rule.name.replace('-', '_')}"
        assert rule.__module__ == expected, code


def test_the_registry_is_sorted_by_code() -> None:
    codes = list(all_rules())
    assert codes == sorted(codes)


def test_no_rule_module_is_over_450_lines() -> None:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in RULES.rglob("*.py")}
    assert {path: n for path, n in sizes.items() if n > 450} == {}


def test_importing_the_rule_base_class_imports_no_rule_module() -> None:
    script = (
        "import sys, mlint.rule; print([m for m in sys.modules if m.startswith('mlint.rules')])"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def _fake_rules_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> Path:
    package = tmp_path / name
    (package / "training").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "training" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    return package


def test_a_module_dropped_into_a_pillar_folder_is_discovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = _fake_rules_package(tmp_path, monkeypatch, "fake_rules_drop")
    (package / "training" / "shiny_new_rule.py").write_text(NEW_RULE.format(code="699"))
    # Underscore modules hold helpers: never scanned for rules.
    (package / "training" / "_shared.py").write_text(NEW_RULE.format(code="698"))
    found = discover(importlib.import_module("fake_rules_drop"))
    assert list(found) == ["ML699"]
    assert found["ML699"].__module__ == "fake_rules_drop.training.shiny_new_rule"


def test_two_rules_with_one_code_are_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = _fake_rules_package(tmp_path, monkeypatch, "fake_rules_dup")
    (package / "training" / "first.py").write_text(NEW_RULE.format(code="699"))
    (package / "training" / "second.py").write_text(NEW_RULE.format(code="699"))
    with pytest.raises(ValueError, match="duplicate rule code ML699"):
        discover(importlib.import_module("fake_rules_dup"))
