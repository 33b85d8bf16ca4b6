"""Fixes edit the user's own text: form feeds, CR and CRLF line endings, magic comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlint.engine import lint_source
from mlint.fix import compiles, fix_source
from mlint.testing import settings_for
from tests.conftest import ROOT, run_mlint

FIXTURES = ROOT / "fixtures"
FORM_FEED = "\x0cimport torch\nnet = torch.nn.Linear(2, 2)\nout = net.forward(x)\n"
FIX_CASES = [
    (folder.name, expected.name)
    for folder in sorted(FIXTURES.glob("ML*"))
    for expected in (folder / "bad.fixed.py", folder / "bad.unsafe-fixed.py")
    if expected.exists()
]


def test_a_form_feed_libcst_drops_does_not_shift_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_bytes(FORM_FEED.encode())

    result = run_mlint("check", "--fix", "--no-cache", "--select", "ML501", str(path), cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert path.read_bytes().decode() == FORM_FEED.replace("net.forward(x)", "net(x)")


def test_form_feeds_before_statements_keep_every_fixture_fix() -> None:
    for code, expected_name in FIX_CASES:
        bad = (FIXTURES / code / "bad.py").read_text(encoding="utf-8")
        expected = (FIXTURES / code / expected_name).read_text(encoding="utf-8")
        settings = settings_for(code, unsafe="unsafe" in expected_name)
        # A form feed on the line of each top-level statement that the fix leaves alone.
        with_feeds = "\x0c" + bad.replace("\nimport ", "\n\x0cimport ")
        # The fixture's own path: ML701 reads the requirements file beside it.
        fixed = fix_source(with_feeds, str(FIXTURES / code / "bad.py"), settings).source
        assert fixed.replace("\x0c", "") == expected, code
        assert fixed.count("\x0c") == with_feeds.count("\x0c"), code


def test_the_quick_fix_range_skips_a_dropped_form_feed() -> None:
    lsp = pytest.importorskip("mlint.lsp")
    diagnostic = next(d for d in lint_source(FORM_FEED, "a.py", settings_for("ML501")) if d.fix)
    assert diagnostic.fix is not None
    positions = lsp.Positions(FORM_FEED)
    [edit] = lsp.text_edits(diagnostic.fix.edits, positions)
    start, end = positions.offset(edit.range.start), positions.offset(edit.range.end)
    fixed = FORM_FEED[:start] + edit.new_text + FORM_FEED[end:]
    assert fixed == FORM_FEED.replace("net.forward(x)", "net(x)")
    assert (diagnostic.start.line, diagnostic.start.column) == (3, 7)


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
@pytest.mark.parametrize(("code", "expected_name"), FIX_CASES)
def test_fixes_keep_the_file_line_ending(newline: str, code: str, expected_name: str) -> None:
    bad = (FIXTURES / code / "bad.py").read_text(encoding="utf-8")
    expected = (FIXTURES / code / expected_name).read_text(encoding="utf-8")
    settings = settings_for(code, unsafe="unsafe" in expected_name)

    path = str(FIXTURES / code / "bad.py")  # ML701 reads the requirements file beside it
    fixed = fix_source(bad.replace("\n", newline), path, settings).source

    assert fixed == expected.replace("\n", newline)


def test_cr_only_file_keeps_its_lines_and_gets_the_safe_fix(tmp_path: Path) -> None:
    lines = [
        "import torch",
        "",
        "",
        "class Head(torch.nn.Module):",
        "    def __init__(self, dim):",
        "        self.proj = torch.nn.Linear(dim, 2)",
        "",
    ]
    path = tmp_path / "head.py"
    path.write_bytes("\r".join(lines).encode())

    result = run_mlint("check", "--fix", "--no-cache", "--select", "ML503", str(path))

    assert result.returncode == 0, result.stdout + result.stderr
    fixed = lines[:5] + ["        super().__init__()"] + lines[5:]
    assert path.read_bytes().decode() == "\r".join(fixed)


def test_an_added_import_goes_below_a_shebang_and_a_coding_cookie(tmp_path: Path) -> None:
    source = (
        "#!/usr/bin/env python\n"
        "# -*- coding: latin-1 -*-\n"
        "# Réglages\n"
        'config = {"lr": 3e-4, "batch_size": 32, "epochs": 10, "seed": 0}\n'
        "\n"
        "\n"
        "def train(model):\n"
        '    return model.fit(config["lr"], config["epochs"])\n'
    )
    path = tmp_path / "train.py"
    path.write_bytes(source.encode("latin-1"))

    result = run_mlint(
        "check",
        "--fix",
        "--unsafe-fixes",
        "--no-cache",
        "--select",
        "ML401",
        str(path),
        cwd=tmp_path,
    )

    assert "1 fixed" in result.stdout, result.stdout + result.stderr
    data = path.read_bytes()
    lines = data.decode("latin-1").splitlines()
    assert lines[:3] == [
        "#!/usr/bin/env python",
        "# -*- coding: latin-1 -*-",
        "from dataclasses import dataclass",
    ]
    assert compiles(data.decode("latin-1"))
    compile(data, str(path), "exec")  # the interpreter still reads it as latin-1


def test_an_added_import_goes_below_docstring_and_future_imports() -> None:
    source = (
        '"""Training."""\n'
        "from __future__ import annotations\n"
        "\n"
        'config = {"lr": 3e-4, "batch_size": 32, "epochs": 10}\n'
        'print(config["lr"], config["epochs"])\n'
    )
    fixed = fix_source(source, "t.py", settings_for("ML401", unsafe=True)).source
    assert fixed.startswith(
        '"""Training."""\nfrom __future__ import annotations\nfrom dataclasses import dataclass\n'
    )
    assert compiles(fixed)


def test_no_fix_is_offered_when_libcst_text_cannot_be_aligned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mlint import positions

    real = positions.node_spans

    def changed(module: object) -> tuple[object, str]:
        spans, code = real(module)  # type: ignore[arg-type]
        return spans, code.replace("net", "NET", 1)  # a change no dropped whitespace explains

    monkeypatch.setattr(positions, "node_spans", changed)
    source = FORM_FEED.lstrip("\x0c")
    diagnostics = lint_source(source, "a.py", settings_for("ML501"))

    assert [(d.code, d.fix) for d in diagnostics] == [("ML501", None)]
    assert fix_source(source, "a.py", settings_for("ML501")).source == source
