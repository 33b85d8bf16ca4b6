"""Run mlint over every repo of the real-world corpus; count hits per rule, time it, list failures.

Usage: python3 benchmarks/realworld/run.py [--corpus DIR] [--only owner/name ...]

mlint is run as `sys.executable -m mlint`, so PYTHONPATH (or the current directory) selects the checkout.
Writes counts.tsv (committed) and .out/diagnostics.jsonl, .out/errors.jsonl (ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import DEFAULT_CORPUS, DIAGNOSTICS, ERRORS, HERE, OUT_DIR, load_manifest

CHECKOUT = HERE.parent.parent
COUNTS = HERE / "counts.tsv"
MLINT_ARGS = [
    "check",
    "--select",
    "ALL",
    "--no-cache",
    "--isolated",
    "--output-format",
    "json-lines",
    "--exit-zero",
]


def location(path: str, cell: int | None, row: int) -> str:
    """`path:line`, or `path:cell N:line` for a notebook, as mlint prints it."""
    return f"{path}:cell {cell}:{row}" if cell is not None else f"{path}:{row}"


def run_repo(
    root: Path, repo: str
) -> tuple[list[dict[str, object]], list[dict[str, object]], float]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(CHECKOUT)) if p)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mlint", *MLINT_ARGS, str(root)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - start
    diagnostics: list[dict[str, object]] = []
    errors: list[dict[str, object]] = []
    for line in proc.stdout.splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            errors.append({"repo": repo, "kind": "stdout", "text": line})
            continue
        code = entry.get("code")
        filename = str(entry.get("filename") or "")
        rel = os.path.relpath(filename, root) if filename.startswith(str(root)) else filename
        if (
            not isinstance(code, str)
            or code.startswith("ML0")
            and code != "ML002"
            or entry.get("type") == "error"
        ):
            errors.append(
                {
                    "repo": repo,
                    "kind": str(code or "error"),
                    "path": rel,
                    "text": entry.get("message"),
                }
            )
            if not isinstance(code, str):
                continue
        loc = entry.get("location") or {}
        row = int(loc.get("row", 0)) if isinstance(loc, dict) else 0
        col = int(loc.get("column", 0)) if isinstance(loc, dict) else 0
        cell = entry.get("cell")
        diagnostics.append(
            {
                "rule": code,
                "repo": repo,
                "path": rel,
                "cell": cell,
                "row": row,
                "column": col,
                "location": location(rel, cell if isinstance(cell, int) else None, row),
                "message": entry.get("message"),
            }
        )
    for line in proc.stderr.splitlines():
        if line.strip():
            errors.append(
                {"repo": repo, "kind": "stderr", "text": line.replace(str(root) + os.sep, "")}
            )
    if proc.returncode not in (0, 1):
        errors.append({"repo": repo, "kind": "exit", "text": f"mlint exited {proc.returncode}"})
    return diagnostics, errors, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--select",
        default="ALL",
        help="rules to run (for a quick look while narrowing; commit counts from a run of ALL)",
    )
    parser.add_argument("--only", action="append", help="owner/name of a repo; repeatable")
    args = parser.parse_args()
    MLINT_ARGS[MLINT_ARGS.index("--select") + 1] = args.select
    repos = [r for r in load_manifest() if not args.only or r.repo in args.only]
    all_diags: list[dict[str, object]] = []
    all_errors: list[dict[str, object]] = []
    total_wall = 0.0
    per_repo: dict[str, Counter[str]] = {}
    print(f"{'repo':36} {'hits':>5} {'errors':>6} {'wall s':>7}")
    for repo in repos:
        root = args.corpus / repo.dirname
        if not root.is_dir():
            raise SystemExit(f"run: {root} is missing: run prepare.py first")
        diags, errors, wall = run_repo(root, repo.repo)
        total_wall += wall
        all_diags += diags
        all_errors += errors
        per_repo[repo.repo] = Counter(str(d["rule"]) for d in diags)
        print(f"{repo.repo:36} {len(diags):5} {len(errors):6} {wall:7.1f}")
    print(f"{'total':36} {len(all_diags):5} {len(all_errors):6} {total_wall:7.1f}")

    hits: Counter[str] = Counter()
    files: dict[str, set[tuple[object, object]]] = defaultdict(set)
    repos_hit: dict[str, set[object]] = defaultdict(set)
    for d in all_diags:
        rule = str(d["rule"])
        hits[rule] += 1
        files[rule].add((d["repo"], d["path"]))
        repos_hit[rule].add(d["repo"])
    rules = sorted(hits)
    print("\nper rule (hits / files / repos):")
    for rule in rules:
        print(f"  {rule}  {hits[rule]:5} {len(files[rule]):5} {len(repos_hit[rule]):3}")
    print("\nper repo:")
    for repo_name, counter in per_repo.items():
        detail = " ".join(f"{r}={n}" for r, n in sorted(counter.items()))
        print(f"  {repo_name}: {detail or '-'}")
    if all_errors:
        print(f"\nfiles that could not be checked / internal errors ({len(all_errors)}):")
        for err in all_errors:
            print(f"  {err['repo']}: [{err['kind']}] {err.get('path', '')} {err['text']}")
    else:
        print("\ninternal errors / files that could not be checked: 0")

    with COUNTS.open("w", encoding="utf-8") as handle:
        handle.write("rule\thits\tfiles\trepos\n")
        for rule in rules:
            handle.write(f"{rule}\t{hits[rule]}\t{len(files[rule])}\t{len(repos_hit[rule])}\n")
    OUT_DIR.mkdir(exist_ok=True)
    with DIAGNOSTICS.open("w", encoding="utf-8") as handle:
        for d in all_diags:
            handle.write(json.dumps(d, sort_keys=True) + "\n")
    with ERRORS.open("w", encoding="utf-8") as handle:
        for err in all_errors:
            handle.write(json.dumps(err, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
