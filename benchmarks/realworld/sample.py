"""Draw a reproducible sample of diagnostics per rule, spread across repos, with context to judge.

Usage: python3 benchmarks/realworld/sample.py [--rule ML401 ...] [-k 12] [--context 15] [--all]

Per rule, up to K diagnostics (all when fewer) are taken round-robin across repos, in an order fixed by
SEED, from .out/diagnostics.jsonl (written by run.py). Diagnostics that already have a verdict in
verdicts.tsv are skipped unless --all is given.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import DEFAULT_CORPUS, DIAGNOSTICS, HERE

SEED = 20261130
VERDICTS = HERE / "verdicts.tsv"

Diag = dict[str, object]


def load_diagnostics(path: Path = DIAGNOSTICS) -> list[Diag]:
    if not path.is_file():
        raise SystemExit(f"sample: {path} is missing: run run.py first")
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_verdicts(path: Path = VERDICTS) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(rule, repo, location) -> (verdict, reason)."""
    verdicts: dict[tuple[str, str, str], tuple[str, str]] = {}
    if not path.is_file():
        return verdicts
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 5 or fields[3] not in ("TP", "low-value", "FP"):
            raise SystemExit(
                f"verdicts.tsv:{number}: expected rule, repo, location, TP|low-value|FP, reason"
            )
        verdicts[(fields[0], fields[1], fields[2])] = (fields[3], fields[4])
    return verdicts


def draw(diagnostics: list[Diag], rule: str, k: int) -> list[Diag]:
    """Up to k diagnostics of rule, round-robin across repos in a seeded order."""
    rng = random.Random(f"{SEED}:{rule}")
    by_repo: dict[str, list[Diag]] = defaultdict(list)
    for diag in sorted(diagnostics, key=lambda d: (str(d["repo"]), str(d["location"]))):
        if diag["rule"] == rule:
            by_repo[str(diag["repo"])].append(diag)
    repos = sorted(by_repo)
    rng.shuffle(repos)
    for repo in repos:
        rng.shuffle(by_repo[repo])
    picked: list[Diag] = []
    while len(picked) < k and any(by_repo.values()):
        for repo in repos:
            if by_repo[repo] and len(picked) < k:
                picked.append(by_repo[repo].pop())
    return picked


def numbered(lines: list[str], row: int, context: int) -> str:
    lo, hi = max(1, row - context), min(len(lines), row + context)
    return "\n".join(f"{'>>' if n == row else '  '}{n:5} {lines[n - 1]}" for n in range(lo, hi + 1))


def snippet(corpus: Path, diag: Diag, context: int) -> str:
    path = corpus / str(diag["repo"]).replace("/", "+") / str(diag["path"])
    row = int(str(diag["row"]))
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"    (cannot read {path}: {exc})"
    cell = diag.get("cell")
    if isinstance(cell, int) and path.suffix == ".ipynb":
        cells = json.loads(text).get("cells", [])
        if not 1 <= cell <= len(cells):
            return f"    (cell {cell} not found)"
        source = cells[cell - 1].get("source", "")
        code = "".join(source) if isinstance(source, list) else str(source)
        lines = code.splitlines()
        return f"    [cell {cell}, {len(lines)} lines]\n" + numbered(lines, row, max(context, 30))
    return numbered(text.splitlines(), row, context)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rule", action="append", help="rule code; repeatable (default: every rule with hits)"
    )
    parser.add_argument("-k", type=int, default=12)
    parser.add_argument("--context", type=int, default=15)
    parser.add_argument(
        "--all", action="store_true", help="also show diagnostics that have a verdict"
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    diagnostics = load_diagnostics()
    verdicts = load_verdicts()
    rules = args.rule or sorted({str(d["rule"]) for d in diagnostics})
    print(f"# seed {SEED}, k {args.k}")
    for rule in rules:
        sample = draw(diagnostics, rule, args.k)
        for diag in sample:
            key = (rule, str(diag["repo"]), str(diag["location"]))
            if key in verdicts and not args.all:
                continue
            print(f"\n=== {rule}\t{diag['repo']}\t{diag['location']}")
            print(f"    {diag['message']}")
            if key in verdicts:
                print(f"    verdict: {verdicts[key][0]}: {verdicts[key][1]}")
            print(snippet(args.corpus, diag, args.context))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
