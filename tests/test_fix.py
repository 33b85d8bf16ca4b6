"""Fixes never break a file: conflicts wait a pass, unparsable results are refused, writes are atomic."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest

from mlint import engine
from mlint.files import write_atomic
from mlint.fix import apply_edits, fix_source
from mlint.rule import Rule
from mlint.rules import REGISTRY
from mlint.settings import LintSettings
from mlint.types import Applicability, Edit, Fix


class BreaksSyntax(Rule):
    """## What it does
    A test rule whose fix deletes a closing parenthesis."""

    code = "ML998"
    name = "breaks-syntax"
    message = "test"
    triggers = ("print(",)

    def visit_Call(self, node: cst.Call) -> None:
        _, end = self.context.span(node)
        self.report(node, fix=self.make_fix([Edit(end - 1, end, "")]))


class Uppercase(Rule):
    """## What it does
    A test rule that renames `x` to `X`, twice per line, to exercise overlapping fixes."""

    code = "ML997"
    name = "uppercase"
    message = "test"
    triggers = ("x",)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "x":
            self.report(node, fix=self.make_fix([self.context.replace(node, "X")]))
            self.report(node, fix=self.make_fix([self.context.replace(node, "XX")]))


@pytest.fixture
def test_rules(monkeypatch: pytest.MonkeyPatch) -> Iterator[LintSettings]:
    monkeypatch.setitem(REGISTRY, "ML998", BreaksSyntax)
    monkeypatch.setitem(REGISTRY, "ML997", Uppercase)
    engine._rules_for.cache_clear()
    yield LintSettings(enabled=frozenset({"ML998", "ML997"}), fixable=frozenset({"ML998", "ML997"}))
    engine._rules_for.cache_clear()


def test_a_fix_that_breaks_syntax_is_never_applied(test_rules: LintSettings) -> None:
    source = "print(1)\n"
    outcome = fix_source(source, "a.py", test_rules)
    assert outcome.source == source
    assert outcome.applied == 0


def test_overlapping_fixes_wait_and_the_loop_reaches_a_fixpoint(test_rules: LintSettings) -> None:
    outcome = fix_source("y = x + x\n", "a.py", test_rules)
    # Each `x` had two competing fixes: one of each pair applied, none on top of the other.
    assert outcome.source == "y = X + X\n"
    assert outcome.applied == 2


def test_apply_edits_skips_overlaps() -> None:
    fixes = [
        Fix((Edit(0, 3, "abc"),), Applicability.SAFE),
        Fix((Edit(2, 5, "zz"),), Applicability.SAFE),
        Fix((Edit(6, 6, "!"),), Applicability.SAFE),
    ]
    out, accepted = apply_edits("0123456789", fixes)
    assert out == "abc345!6789"
    assert len(accepted) == 2


def test_atomic_write_leaves_the_original_when_replace_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.py"
    target.write_text("original\n", encoding="utf-8")
    target.chmod(0o640)

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_atomic(str(target), "new\n")
    assert target.read_text(encoding="utf-8") == "original\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]
    monkeypatch.undo()
    write_atomic(str(target), "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert (target.stat().st_mode & 0o777) == 0o640


def test_crlf_and_bom_survive_a_fix(tmp_path: Path) -> None:
    from tests.conftest import run_mlint

    source = "import torch\r\nlayer = torch.nn.Linear(2, 2)\r\ny = layer.forward(1)\r\n"
    target = tmp_path / "a.py"
    target.write_bytes(b"\xef\xbb\xbf" + source.encode())
    run_mlint("check", "--fix", "--no-cache", "--isolated", "--select", "ML501", str(target))
    assert (
        target.read_bytes()
        == b"\xef\xbb\xbf" + source.replace("layer.forward(1)", "layer(1)").encode()
    )
