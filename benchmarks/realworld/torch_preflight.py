"""mlint beside torch-preflight 0.5.0 on the real-world corpus: findings per rule pair and time.

Usage (torch-preflight in its own virtualenv, e.g. /work/venvs/tp):

    PYTHONPATH=. python3 benchmarks/realworld/torch_preflight.py \
        [--corpus /work/realworld-corpus] [--tp /work/venvs/tp/bin/torch-preflight] [--jobs 2]

Runs both tools over the same directory (cold: mlint with ``--no-cache``), records their
findings under ``benchmarks/realworld/.out/`` and prints, per rule pair, the hit counts and
the judged verdicts kept in ``verdicts.tsv`` (mlint) and
``verdicts-torch-preflight.tsv`` (torch-preflight). ``--no-run`` reuses the last findings.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / ".out"
ROOT = HERE.parent.parent
# torch-preflight rule -> the mlint rule that covers the same problem.
PAIRS: dict[str, str] = {
    "TG001": "ML601",
    "TG002": "ML201",
    "TG003": "ML602",
    "TG005": "ML609",
    "TG006": "ML609",
    "TG011": "ML610",
    "TG012": "ML611",
    "TG014": "ML612",
}


def _timed(command: list[str], env: dict[str, str] | None = None) -> tuple[str, float, float]:
    """``(stdout, wall seconds, CPU seconds of the children)`` of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done.stdout, wall, cpu


def _repo_and_path(path: str) -> tuple[str, str]:
    """``("owner/name", "path/in/repo")`` from a corpus-relative path."""
    top, _, rest = path.replace("\\", "/").lstrip("./").partition("/")
    return top.replace("+", "/", 1), rest


def _mlint(corpus: Path, root: Path, codes: list[str]) -> tuple[str, float, float]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    command = [sys.executable, "-m", "mlint", "check", "--select", ",".join(codes)]
    command += ["--no-cache", "--exit-zero", "--output-format", "json-lines", str(corpus)]
    return _timed(command, env)


def run(
    corpus: Path, tp: str, jobs: int, roots: list[Path], tp_json: Path | None = None
) -> dict[str, object]:
    """Run torch-preflight and mlint; each mlint rule from the first root that has it."""
    OUT.mkdir(exist_ok=True)
    wanted = sorted(set(PAIRS.values()))
    mlint_out, mlint_wall, mlint_cpu = "", 0.0, 0.0
    for root in roots:
        codes = [c for c in wanted if (root / "rules" / f"{c}.md").exists()]
        wanted = [c for c in wanted if c not in codes]
        if codes:
            out, wall, cpu = _mlint(corpus, root, codes)
            mlint_out, mlint_wall, mlint_cpu = mlint_out + out, mlint_wall + wall, mlint_cpu + cpu
    codes = sorted(set(PAIRS.values()))
    if tp_json is not None:  # a saved report: torch-preflight takes half an hour on 2 cores
        tp_out, tp_wall, tp_cpu = tp_json.read_text(encoding="utf-8"), float("nan"), float("nan")
    else:
        tp_out, tp_wall, tp_cpu = _timed(
            [tp, "check", "-f", "json", "-j", str(jobs), "--select", ",".join(PAIRS), str(corpus)]
        )
    findings: list[dict[str, str]] = []
    for line in mlint_out.splitlines():
        if not line.startswith("{"):
            continue
        item = json.loads(line)
        code = item.get("code")
        if code not in codes:
            continue
        repo, path = _repo_and_path(os.path.relpath(item["filename"], corpus))
        row = item.get("location", {}).get("row")
        cell = item.get("cell")
        where = f"{path}:cell {cell}:{row}" if cell else f"{path}:{row}"
        findings.append({"tool": "mlint", "rule": code, "repo": repo, "location": where})
    report = json.loads(tp_out) if tp_out.strip().startswith("{") else {"diagnostics": []}
    for item in report.get("diagnostics", []):
        if item["code"] not in PAIRS:
            continue
        item_path = Path(item["path"])
        relative = os.path.relpath(item_path, corpus) if item_path.is_absolute() else item["path"]
        repo, path = _repo_and_path(relative)
        findings.append(
            {
                "tool": "torch-preflight",
                "rule": item["code"],
                "repo": repo,
                "location": f"{path}:{item['line']}",
            }
        )
    (OUT / "tp-comparison.jsonl").write_text(
        "".join(json.dumps(f) + "\n" for f in findings), encoding="utf-8"
    )
    timing = {
        "mlint": {"wall_s": round(mlint_wall, 1), "cpu_s": round(mlint_cpu, 1)},
        "torch-preflight": {"wall_s": round(tp_wall, 1), "cpu_s": round(tp_cpu, 1)},
        "files_checked_by_torch_preflight": report.get("summary", {}).get("files_checked"),
    }
    (OUT / "tp-timing.json").write_text(json.dumps(timing, indent=1) + "\n", encoding="utf-8")
    return timing


def _verdicts(*names: str) -> dict[tuple[str, str, str], str]:
    out: dict[tuple[str, str, str], str] = {}
    for name in names:
        path = HERE / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                out[(row["rule"], row["repo"], row["location"])] = row["verdict"]
    return out


def summary() -> str:
    findings = [
        json.loads(line)
        for line in (OUT / "tp-comparison.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    verdicts = _verdicts("verdicts.tsv", "verdicts-torch-preflight.tsv")
    hits: collections.Counter[str] = collections.Counter()
    judged: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for item in findings:
        hits[item["rule"]] += 1
        verdict = verdicts.get((item["rule"], item["repo"], item["location"]))
        if verdict is not None:
            judged[item["rule"]][verdict] += 1
    lines = ["rule\thits\tjudged\tTP\tlow-value\tFP"]
    for rule in sorted(set(PAIRS) | set(PAIRS.values())):
        counts = judged[rule]
        lines.append(
            f"{rule}\t{hits[rule]}\t{sum(counts.values())}\t{counts['TP']}"
            f"\t{counts['low-value']}\t{counts['FP']}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/realworld-corpus"))
    parser.add_argument("--tp", default="/work/venvs/tp/bin/torch-preflight")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--mlint-root",
        type=Path,
        action="append",
        default=[],
        help="checkouts to take mlint rules from, in order (default: this one)",
    )
    parser.add_argument(
        "--tp-json", type=Path, default=None, help="a saved `torch-preflight check -f json` report"
    )
    parser.add_argument("--no-run", action="store_true", help="reuse the last findings")
    args = parser.parse_args()
    if not args.no_run:
        roots = args.mlint_root or [ROOT]
        timing = run(args.corpus, args.tp, args.jobs, roots, args.tp_json)
        print(json.dumps(timing, indent=1))
    print(summary())


if __name__ == "__main__":
    main()
