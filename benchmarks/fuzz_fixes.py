"""Fix properties on many generated programs; prints the count, the seed and every failure.

    PYTHONPATH=. python3 benchmarks/fuzz_fixes.py --count 2000 --seed 1

The programs are those of ``tests/fix_programs.py`` (fixture anti-patterns spliced into odd
places, and hypothesmith's grammar programs), each in one text variant (plain, CRLF, CR,
form feeds, BOM). A failure is shrunk line by line to a small program that still fails the
same way. Exit 1 when anything failed. The generated code is never executed.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from mlint.fix import compiles
from tests.fix_programs import (
    VARIANTS,
    check,
    grammar_programs,
    spliced_programs,
)


def _kind(problem: str) -> str:
    """A problem without its details: what makes two failures the same bug."""
    return re.sub(r"(raised \w+).*", r"\1", problem)


def shrink(source: str, variant: str, kind: str, budget_s: float) -> str:
    """Drop lines (then single lines) while the program compiles and fails as ``kind``."""
    deadline = time.monotonic() + budget_s

    def fails(candidate: str) -> bool:
        return compiles(candidate) and any(_kind(p) == kind for p in check(candidate, variant))

    lines = source.splitlines(keepends=True)
    chunk = max(len(lines) // 2, 1)
    while chunk >= 1 and time.monotonic() < deadline:
        index = 0
        while index < len(lines) and time.monotonic() < deadline:
            candidate = lines[:index] + lines[index + chunk :]
            if candidate and fails("".join(candidate)):
                lines = candidate
            else:
                index += chunk
        chunk //= 2
    return "".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="programs to generate")
    parser.add_argument("--seed", type=int, default=None, help="random seed (printed)")
    parser.add_argument("--shrink-seconds", type=float, default=60.0, help="per distinct failure")
    args = parser.parse_args()
    chosen_seed = args.seed if args.seed is not None else random.randrange(2**32)

    failures: dict[tuple[str, str], tuple[str, str]] = {}
    applied: Counter[str] = Counter()
    runs: Counter[str] = Counter()
    chance = random.Random(chosen_seed)
    started = time.monotonic()

    @seed(chosen_seed)
    @settings(
        max_examples=args.count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        source=st.one_of(spliced_programs(), spliced_programs(), grammar_programs()),
    )
    def run(source: str) -> None:
        variant = chance.choice(sorted(VARIANTS))  # uniform, unlike a drawn `sampled_from`
        runs[variant] += 1
        for problem in check(source, variant, applied):
            key = (variant, _kind(problem))
            if key not in failures or len(source) < len(failures[key][0]):
                failures[key] = (source, problem)

    run()
    elapsed = time.monotonic() - started
    total = sum(runs.values())
    print(f"programs: {total}  seed: {chosen_seed}  time: {elapsed:.0f} s")
    print("variants: " + ", ".join(f"{v} {n}" for v, n in sorted(runs.items())))
    print("fixes applied: " + (", ".join(f"{k} {n}" for k, n in sorted(applied.items())) or "none"))
    print(f"failures: {len(failures)}")
    for (variant, kind), (source, problem) in sorted(failures.items()):
        small = shrink(source, variant, kind, args.shrink_seconds)
        print(f"\n--- {problem}")
        print(f"variant: {variant}; minimal program ({len(small.splitlines())} lines):")
        print(small if small.endswith("\n") else small + "\n", end="")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
