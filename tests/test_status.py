"""Each rule's status follows its measured precision, and the default set is what runs unconfigured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlint.docs import PRECISION_JSON, Precision, precision_figures, rule_markdown
from mlint.manifest import OPT_IN, PRECISION
from mlint.rules import all_rules
from tests.conftest import ROOT, run_mlint

# Engine codes: a file that does not parse or an unused suppression is always reported.
ENGINE_CODES = {"ML001", "ML002", "ML003"}


def test_manifest_figures_are_those_of_precision_json() -> None:
    data = json.loads(PRECISION_JSON.read_text(encoding="utf-8"))
    keys = ("hits", "judged", "tp", "low_value", "fp")
    assert PRECISION == {code: tuple(row[k] for k in keys) for code, row in data.items()}


@pytest.mark.parametrize("code", sorted(all_rules()))
def test_a_default_rule_meets_the_bar_on_the_real_world_corpus(code: str) -> None:
    rule = all_rules()[code]
    figures = precision_figures().get(code)
    if code in ENGINE_CODES:
        assert rule.default
        return
    if figures is None or not figures.measured:
        # Unmeasured (fewer than 5 hits): default only with a near-miss fixture.
        assert not rule.default or (ROOT / "fixtures" / code / "good.py").is_file()
        return
    assert rule.default == figures.meets_default_bar, (
        f"{code}: {figures} -> {'default' if figures.meets_default_bar else 'opt-in'}"
    )


def test_the_bar() -> None:
    assert Precision(hits=40, judged=10, tp=9, low_value=1, fp=0).meets_default_bar
    assert not Precision(hits=40, judged=10, tp=8, low_value=2, fp=0).meets_default_bar
    assert not Precision(hits=40, judged=9, tp=9, low_value=0, fp=0).meets_default_bar
    assert Precision(hits=6, judged=6, tp=6, low_value=0, fp=0).meets_default_bar
    assert not Precision(hits=4, judged=4, tp=4, low_value=0, fp=0).measured


def test_rule_pages_show_status_and_figure() -> None:
    for code, rule in all_rules().items():
        page = rule_markdown(rule)
        assert ("Status: default" in page) == rule.default
        assert ("Status: opt-in" in page) == (not rule.default)
        figures = precision_figures().get(code)
        if figures is not None and figures.measured:
            assert f"judged {figures.judged}, {figures.tp} TP" in page


def test_opt_in_rules_run_only_when_selected(tmp_path: Path) -> None:
    if not OPT_IN:
        pytest.skip("every rule is default")
    code = min(OPT_IN)
    rule = all_rules()[code]
    bad = ROOT / "fixtures" / code / "bad.py"
    (tmp_path / "bad.py").write_text(bad.read_text(encoding="utf-8"), encoding="utf-8")

    def codes(*args: str) -> set[str]:
        result = run_mlint(
            "check",
            "--no-cache",
            "--isolated",
            "--output-format",
            "json",
            *args,
            "bad.py",
            cwd=tmp_path,
        )
        return {d["code"] for d in json.loads(result.stdout)}

    assert code not in codes()
    for selector in (code, rule.name, code[:3], "ALL"):
        assert code in codes("--select", selector), selector
    assert code in codes("--extend-select", code)
