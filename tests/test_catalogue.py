"""The `rules/` catalogue is generated from the rule classes and must not go stale."""

from __future__ import annotations

from pathlib import Path

from mlint.docs import MANIFEST, catalogue, manifest_source
from mlint.rules import all_rules

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
HEADINGS = (
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## Fix safety",
)


def test_catalogue_is_fresh() -> None:
    pages = catalogue()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in RULES_DIR.glob("*.md")}
    stale = sorted(name for name, text in pages.items() if on_disk.get(name) != text)
    extra = sorted(set(on_disk) - set(pages))
    assert (stale, extra) == ([], []), "regenerate with `python -m mlint.docs`"


def test_manifest_is_fresh() -> None:
    assert MANIFEST.read_text(encoding="utf-8") == manifest_source(), "run `python -m mlint.docs`"


def test_every_rule_documents_the_standard_headings() -> None:
    missing = {
        code: [h for h in HEADINGS if h not in rule.documentation()]
        for code, rule in all_rules().items()
    }
    assert {code: m for code, m in missing.items() if m} == {}


def test_codes_and_names_are_unique_and_well_formed() -> None:
    rules = all_rules()
    names = [r.name for r in rules.values()]
    assert len(names) == len(set(names))
    for code, rule in rules.items():
        assert rule.code == code and code[:2] == "ML" and len(code) == 5
        assert rule.name == rule.name.lower() and " " not in rule.name
