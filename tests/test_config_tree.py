"""Configuration as monorepos use it: the closest config file per file, ``extend``, and
``--config KEY = VALUE`` overrides, each typo blamed on whoever wrote it."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import invoke
from tests.conftest import ROOT

# ML501 (a direct `.forward()` call) on line 7, ML503 (no `super().__init__()`) on line 3.
MODULE = (
    "import torch\n"
    "class M(torch.nn.Module):\n"
    "    def __init__(self):\n"
    "        self.x = 1\n"
    "\n"
    "m = M()\n"
    "y = m.forward(1)\n"
)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def _found(*args: str, cwd: Path) -> set[tuple[str, str]]:
    """``(path, code)`` of every diagnostic of ``mlint check ARGS`` (JSON), run from ``cwd``."""
    result = invoke("check", "--output-format", "json", *args, cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return {
        (Path(os.path.relpath(d["filename"], cwd)).as_posix(), d["code"])
        for d in json.loads(result.stdout)
    }


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    _write(
        tmp_path,
        {
            "a/pyproject.toml": '[tool.mlint]\nselect = ["ML501"]\n',
            "a/sub/pyproject.toml": '[tool.mlint]\nselect = ["ML503"]\n',
            "a/m.py": MODULE,
            "a/sub/m.py": MODULE,
        },
    )
    return tmp_path


@pytest.mark.parametrize("order", list(itertools.permutations(["a/m.py", "a/sub/m.py"])))
def test_each_file_gets_its_closest_config_in_any_order(monorepo: Path, order: tuple[str]) -> None:
    expected = {("a/m.py", "ML501"), ("a/sub/m.py", "ML503")}
    # pre-commit passes files in batches of any order, from the repository root.
    assert _found("--no-cache", *order, cwd=monorepo) == expected


def test_a_directory_run_switches_config_at_each_sub_project(monorepo: Path) -> None:
    expected = {("a/m.py", "ML501"), ("a/sub/m.py", "ML503")}
    assert _found("a", cwd=monorepo) == expected
    # Cached, and from inside the sub-project: the same answer.
    assert _found("..", cwd=monorepo / "a" / "sub") == {("../m.py", "ML501"), ("m.py", "ML503")}


def test_paths_in_each_config_are_relative_to_that_file(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "a/pyproject.toml": '[tool.mlint]\nselect = ["ML501"]\nextend-exclude = ["gen/*"]\n',
            "a/sub/pyproject.toml": (
                '[tool.mlint]\nselect = ["ML501"]\nper-file-ignores = {"legacy/*" = ["ML501"]}\n'
            ),
            "a/gen/m.py": MODULE,  # excluded by a/'s `gen/*`
            "a/sub/gen/m.py": MODULE,  # a/sub has no such exclude
            "a/sub/legacy/m.py": MODULE,  # ignored by a/sub's `legacy/*`
            "a/legacy/m.py": MODULE,  # a/ ignores nothing
        },
    )
    found = _found("--no-cache", "a", cwd=tmp_path)
    assert found == {("a/sub/gen/m.py", "ML501"), ("a/legacy/m.py", "ML501")}


def test_config_flag_file_governs_every_file(monorepo: Path) -> None:
    found = _found("--no-cache", "--config", "a/pyproject.toml", "a", cwd=monorepo)
    assert found == {("a/m.py", "ML501"), ("a/sub/m.py", "ML501")}


def test_extend_inherits_and_keeps_base_paths_relative_to_the_base(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pyproject.toml": (
                "[tool.mlint]\n"
                'select = ["ML501"]\n'
                'per-file-ignores = {"pkg/legacy/*" = ["ML501"]}\n'
                'extend-exclude = ["pkg/gen"]\n'
            ),
            "pkg/pyproject.toml": (
                '[tool.mlint]\nextend = "../pyproject.toml"\nextend-select = ["ML503"]\n'
            ),
            "pkg/m.py": MODULE,
            "pkg/legacy/m.py": MODULE,
            "pkg/gen/m.py": MODULE,
        },
    )
    found = _found("--no-cache", "pkg", cwd=tmp_path)
    assert found == {
        ("pkg/m.py", "ML501"),
        ("pkg/m.py", "ML503"),
        ("pkg/legacy/m.py", "ML503"),  # the base's `pkg/legacy/*` ignore still holds
    }


def test_a_changed_base_file_is_seen_by_a_cached_run(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "base.toml": 'select = ["ML501"]\n',
            "pkg/mlint.toml": 'extend = "../base.toml"\n',
            "pkg/m.py": MODULE,
        },
    )
    assert _found("m.py", cwd=tmp_path / "pkg") == {("m.py", "ML501")}
    (tmp_path / "base.toml").write_text('select = ["ML503"]\n', encoding="utf-8")
    assert _found("m.py", cwd=tmp_path / "pkg") == {("m.py", "ML503")}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('extend = "../missing.toml"\n', "`extend` names `../missing.toml`, which does not exist"),
        ('extend = "mlint.toml"\n', "`extend` leads back to a file already read"),
    ],
)
def test_a_broken_extend_chain_is_one_line_and_exit_2(
    tmp_path: Path, config: str, message: str
) -> None:
    _write(tmp_path, {"pkg/mlint.toml": config, "pkg/m.py": MODULE})
    result = invoke("check", "--no-cache", "m.py", cwd=tmp_path / "pkg")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert str(tmp_path / "pkg" / "mlint.toml") in result.stderr


def test_config_key_value_overrides_every_file_and_flags_override_it(monorepo: Path) -> None:
    override = ("--config", 'select = ["ML501", "ML503"]')
    found = _found("--no-cache", *override, "a", cwd=monorepo)
    assert found == {(p, c) for p in ("a/m.py", "a/sub/m.py") for c in ("ML501", "ML503")}
    # A dedicated flag is more specific than `--config`, as in ruff.
    found = _found("--no-cache", *override, "--ignore", "ML503", "a", cwd=monorepo)
    assert found == {("a/m.py", "ML501"), ("a/sub/m.py", "ML501")}


def test_config_override_of_rule_options_uses_dotted_keys(tmp_path: Path) -> None:
    _write(tmp_path, {"m.py": MODULE})
    result = invoke(
        "check",
        "--no-cache",
        "--config",
        "rules.ML401.min-keys = 3",
        "--show-settings",
        "m.py",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "'min_keys': 3" in result.stdout


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            'selct = ["ML501"]',
            '--config `selct = ["ML501"]`: unknown key `selct` (did you mean `select`?)',
        ),
        ('unsafe-fixes = "yes"', "invalid value for `unsafe-fixes`"),
        ("select = ML501", "not a path to a .toml file nor a TOML `KEY = VALUE` pair"),
        ('select = ["ML50x"]', '--config `select = ["ML50x"]`: unknown rule selector `ML50x`'),
        ('extend = "x.toml"', "`extend` is for configuration files"),
    ],
)
def test_a_bad_config_override_is_blamed_on_the_flag(
    monorepo: Path, value: str, message: str
) -> None:
    result = invoke("check", "--no-cache", "--config", value, "a", cwd=monorepo)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "pyproject.toml" not in result.stderr


def test_two_config_files_are_an_error(monorepo: Path) -> None:
    result = invoke(
        "check",
        "--config",
        "a/pyproject.toml",
        "--config",
        "a/sub/pyproject.toml",
        "a",
        cwd=monorepo,
    )
    assert result.returncode == 2
    assert "more than one configuration file" in result.stderr


@pytest.mark.parametrize("flag", ["--select", "--extend-select", "--ignore", "--fixable"])
def test_a_selector_typo_on_the_command_line_is_blamed_on_the_flag(
    monorepo: Path, flag: str
) -> None:
    result = invoke("check", "--no-cache", flag, "ML50x", "m.py", cwd=monorepo / "a")
    assert result.returncode == 2
    assert result.stderr.startswith(f"mlint: error: {flag}: unknown rule selector `ML50x`")
    assert "pyproject.toml" not in result.stderr


def test_a_selector_typo_in_the_file_is_still_blamed_on_the_file(monorepo: Path) -> None:
    (monorepo / "a" / "pyproject.toml").write_text(
        '[tool.mlint]\nselect = ["ML50x"]\n', encoding="utf-8"
    )
    result = invoke("check", "--no-cache", "m.py", cwd=monorepo / "a")
    assert result.returncode == 2
    assert f"{monorepo / 'a' / 'pyproject.toml'} [tool.mlint]: unknown rule selector" in (
        result.stderr
    )


def test_specific_selector_wins_within_a_layer(tmp_path: Path) -> None:
    # As ruff resolves it: the more specific selector wins, whichever list it is in.
    _write(
        tmp_path,
        {
            "mlint.toml": 'select = ["ML5"]\nignore = ["ML50"]\nextend-select = ["ML501"]\n',
            "m.py": MODULE,
        },
    )
    assert _found("--no-cache", "m.py", cwd=tmp_path) == {("m.py", "ML501")}


def test_select_on_the_command_line_starts_again(tmp_path: Path) -> None:
    # ruff: `--select` replaces the file's selection, its `ignore` included.
    _write(tmp_path, {"mlint.toml": 'ignore = ["ML501"]\n', "m.py": MODULE})
    assert ("m.py", "ML501") not in _found("--no-cache", "m.py", cwd=tmp_path)
    assert _found("--no-cache", "--select", "ML501", "m.py", cwd=tmp_path) == {("m.py", "ML501")}


def test_a_cached_run_over_several_configs_imports_neither_pydantic_nor_libcst(
    monorepo: Path,
) -> None:
    # Settings and results both come from the cache: start-up stays light with many configs.
    (monorepo / "a" / "sub" / "pyproject.toml").write_text(
        '[tool.mlint]\nextend = "../pyproject.toml"\nextend-select = ["ML503"]\n', encoding="utf-8"
    )
    probe = (
        "import sys\n"
        "from mlint.cli import main\n"
        "try:\n"
        "    main(['check', '--config', 'unsafe-fixes = true', 'a'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('pydantic', 'libcst') if m in sys.modules), file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", probe]
    runs = [
        subprocess.run(command, check=False, cwd=monorepo, capture_output=True, text=True, env=env)
        for _ in range(2)
    ]
    assert "ML503" in runs[0].stdout and runs[1].stdout == runs[0].stdout
    assert runs[1].stderr.strip().splitlines()[-1] == "[]"
