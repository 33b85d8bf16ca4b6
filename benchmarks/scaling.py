"""Lint time against file size, as a ratio to libcst's parse time of the same text (issue 10).

    python benchmarks/scaling.py [--sizes 1000,2000,5000,10000,20000,50000] [--runs N]

Each synthetic file is realistic ML code: the fixtures' ``bad.py`` and ``good.py`` (every rule's
problems and near misses) repeated until the size is reached, each copy with its top-level names
renamed so that copies do not collapse into one set of definitions. The script times
``mlint.engine.lint_source`` with every rule enabled against ``libcst.parse_module`` of the same
text (best of ``--runs``, in this process) and prints a Markdown table with the ratio. The target is
a 50k-line file within 2x its parse time; a linear linter keeps the ratio flat as the size grows.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
DEFAULT_SIZES = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000)
TARGET_RATIO = 2.0
_FUTURE = re.compile(r"^from __future__ import .*$", re.MULTILINE)


def _chunks() -> list[str]:
    """The fixture sources that parse on this Python, without ``__future__`` imports.

    ``ast`` decides (fast); no fixture that ``ast`` accepts is rejected by libcst.
    """
    found: list[str] = []
    for path in sorted(FIXTURES.glob("ML*/*.py")):
        if path.name not in ("bad.py", "good.py") or path.parent.name == "ML003":
            continue  # ML003's fixtures are what libcst cannot parse
        text = _FUTURE.sub("", path.read_text(encoding="utf-8"))
        try:
            ast.parse(text)
        except SyntaxError:
            continue  # ML001's fixtures are invalid on purpose
        found.append(text if text.endswith("\n") else text + "\n")
    return found


def _top_level_names(text: str) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _renamed(text: str, names: set[str], suffix: str) -> str:
    if not names:
        return text
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names))) + r")\b")
    return pattern.sub(lambda m: m.group(1) + suffix, text)


def synthetic_source(lines: int, chunks: Sequence[str] | None = None) -> str:
    """About ``lines`` lines of fixture code, each copy's top-level names made unique."""
    chunks = list(chunks) if chunks is not None else _chunks()
    named = [(chunk, _top_level_names(chunk)) for chunk in chunks]
    parts: list[str] = []
    total = 0
    copy = 0
    while total < lines:
        chunk, names = named[copy % len(named)]
        part = _renamed(chunk, names, f"_{copy}")
        parts.append(part)
        total += part.count("\n")
        copy += 1
    return "".join(parts)


def _best(runs: int, action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))

    import libcst

    from mlint.engine import lint_source
    from mlint.testing import settings_for

    settings = settings_for("ML000")
    chunks = _chunks()
    print("| lines | libcst parse (s) | mlint, every rule (s) | ratio | diagnostics |")
    print("|---:|---:|---:|---:|---:|")
    worst = 0.0
    for size in (int(s) for s in args.sizes.split(",")):
        text = synthetic_source(size, chunks)
        parse = _best(args.runs, partial(libcst.parse_module, text))
        found: list[int] = []

        def lint_once(text: str = text, found: list[int] = found) -> None:
            found.append(len(lint_source(text, "scaling.py", settings)))

        lint = _best(args.runs, lint_once)
        ratio = lint / parse
        worst = max(worst, ratio)
        print(
            f"| {text.count(chr(10))} | {parse:.2f} | {lint:.2f} | {ratio:.2f}x | {found[-1]} |",
            flush=True,
        )
    verdict = "met" if worst <= TARGET_RATIO else "not met"
    print(
        f"\nTarget: every size within {TARGET_RATIO:.0f}x its parse time: {verdict} (worst {worst:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
