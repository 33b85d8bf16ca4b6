"""No input crashes a run: every compound statement, hostile nesting, dying workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mlint.engine import lint_source
from mlint.rules import all_rules
from mlint.types import LintSettings
from tests.conftest import ROOT, run_mlint

ALL = LintSettings(enabled=frozenset(all_rules()), fixable=frozenset(all_rules()))

# Each block holds a `.forward()` call on a module (ML501), so a walker that skips the
# block, or stops at it, loses a diagnostic the test can see.
BLOCKS = {
    "match": """
        match cmd:
            case "a" | "b":
                y = net.forward(x)
            case {"k": v, **rest}:
                pass
            case [first, *others]:
                pass
            case Point(x=0) as p:
                pass
            case _:
                pass
    """,
    "try-star": """
        try:
            pass
        except* ValueError as group:
            y = net.forward(x)
        else:
            pass
        finally:
            pass
    """,
    "try-finally": """
        try:
            import torch.nn.functional as F2
        except ImportError:
            pass
        else:
            pass
        finally:
            y = net.forward(x)
    """,
    "try-handler": """
        try:
            pass
        except (ValueError, TypeError) as exc:
            y = net.forward(x)
    """,
    "with": """
        with open("f") as handle, open("g"):
            y = net.forward(x)
    """,
    "async-with-for": """
        async def inner():
            async with lock:
                async for item in stream:
                    y = net.forward(x)
    """,
    "for-else": """
        for i in range(3):
            pass
        else:
            y = net.forward(x)
    """,
    "while-else": """
        while cond:
            break
        else:
            y = net.forward(x)
    """,
    "if-chain": """
        if a:
            pass
        elif b:
            pass
        elif c: z = 1
        else:
            y = net.forward(x)
    """,
    "one-line-suite": """
        if a: y = net.forward(x)
    """,
    "class-def": """
        class Inner:
            attr = net.forward(x)
    """,
    "function-def": """
        @decorator
        def inner(a, /, b=1, *c, d, **e):
            return net.forward(x)
    """,
}


def _program(block: str) -> str:
    body = textwrap.indent(textwrap.dedent(block).strip("\n"), "    ")
    return (
        "import torch\n"
        "from torch import nn\n\n\n"
        "class Net(nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x\n\n\n"
        "def run(cmd, x, a, b, c, cond, lock, stream, decorator, Point):\n"
        "    net = Net()\n"
        f"{body}\n"
    )


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_every_rule_reports_inside_every_compound_statement(name: str) -> None:
    source = _program(BLOCKS[name])
    compile(source, "program.py", "exec")  # the program itself is valid Python
    diagnostics = lint_source(source, "program.py", ALL)
    codes = [d.code for d in diagnostics]
    assert "ML001" not in codes
    assert "ML501" in codes, codes


def test_every_compound_statement_in_one_module_with_every_rule() -> None:
    source = "\n\n".join(
        _program(block).replace("def run", f"def run_{i}")
        for i, block in enumerate(BLOCKS.values())
    )
    diagnostics = lint_source(source, "program.py", ALL)
    assert sum(d.code == "ML501" for d in diagnostics) >= len(BLOCKS)


# --- Hostile input and dying workers --------------------------------------------------

DEEP_LIST = "x = " + "[" * 1300 + "]" * 1300 + "\n"
LONG_SUM = "import torch\nx = " + "+".join(["a"] * 9000) + "\n"


@pytest.mark.parametrize(
    ("name", "source"), [("deep-list", DEEP_LIST), ("long-sum", LONG_SUM)], ids=["list", "sum"]
)
def test_input_too_deep_for_cpython_is_ml001_not_a_crash(name: str, source: str) -> None:
    import ast

    with pytest.raises((SyntaxError, RecursionError)):
        ast.parse(source)
    (diag,) = lint_source(source + "y = net.forward(x)\n", f"{name}.py", ALL)
    assert diag.code == "ML001"
    assert diag.message.startswith(("SyntaxError: ", "RecursionError: "))


def _tree(root: Path, files: int) -> None:
    for i in range(files):
        (root / f"m{i:03}.py").write_text(
            "import torch\nnet = torch.nn.Linear(2, 2)\ny = net.forward(x)\n", encoding="utf-8"
        )


def test_deep_files_in_the_process_pool_leave_every_other_result(tmp_path: Path) -> None:
    _tree(tmp_path, 4)
    # `.forward(` makes the prefilter hand both files to the full parse.
    (tmp_path / "deep.py").write_text(DEEP_LIST + "y = net.forward(x)\n", encoding="utf-8")
    (tmp_path / "sum.py").write_text(LONG_SUM + "y = net.forward(x)\n", encoding="utf-8")
    proc = run_mlint(
        "check",
        ".",
        "-j",
        "2",
        "--no-cache",
        "--isolated",
        "--select",
        "ML001,ML501",
        "--output-format",
        "concise",
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert sum(" ML501 " in line for line in lines) == 4
    assert any(line.startswith("deep.py:") and " ML001 " in line for line in lines)
    assert any(line.startswith("sum.py:") and " ML001 " in line for line in lines)


def test_a_dying_worker_costs_only_its_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlint import runner

    _tree(tmp_path, 12)
    (tmp_path / "crash.py").write_text("x = 1\n", encoding="utf-8")
    real = runner.process_file

    def process_file(path: str, lint: LintSettings, mode: runner.Mode) -> object:
        if path.endswith("crash.py"):
            import faulthandler

            faulthandler.disable()  # pytest's handler would print the worker's stack
            os.kill(os.getpid(), signal.SIGSEGV)  # what a native-code stack overflow does
        return real(path, lint, mode)

    monkeypatch.setattr(runner, "process_file", process_file)  # forked workers inherit it
    paths = sorted(str(p) for p in tmp_path.iterdir())
    results = {r.path: r for r in runner.run(paths, runner.RunOptions(ALL, jobs=2))}
    assert sorted(results) == paths
    crashed = results[str(tmp_path / "crash.py")]
    assert crashed.error is not None and "SIGSEGV" in crashed.error
    others = [r for p, r in results.items() if not p.endswith("crash.py")]
    assert all(r.error is None and [d.code for d in r.diagnostics] == ["ML501"] for r in others)


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid:  # the parent's pid follows the state
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_workers_die_with_a_killed_main_process(tmp_path: Path) -> None:
    _tree(tmp_path, 400)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    main = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlint",
            "check",
            ".",
            "-j",
            "2",
            "--no-cache",
            "--isolated",
            "--select",
            "ML501",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        workers: set[int] = set()
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline and main.poll() is None:
            workers = _children(main.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, "the pool never started"
        main.send_signal(signal.SIGKILL)
        main.wait()
        deadline = time.monotonic() + 5
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)]
    finally:
        main.kill()
        main.wait()
