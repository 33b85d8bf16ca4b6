"""Corpus fix run: apply every safe and unsafe fix to copies of real code and check the result.

For each corpus directory (default: the benchmark corpus of bench.py and the real-world corpus
of benchmarks/realworld/, where present) this copies the tree, runs
``mlint check --fix --unsafe-fixes --select ALL`` on the copy, and checks that

- every changed ``.py`` file still compiles and every changed notebook is still JSON;
- a second fix run changes nothing (fixing twice equals fixing once);
- ruff's F821 (undefined name) and F811 (redefinition) report nothing new;
- every file mlint changed had a fixable diagnostic, and no other file changed a byte.

It prints the fixes applied per rule and exits 1 when any check fails.

    python3 benchmarks/fix_run.py [DIR ...] [--work /tmp/mlint-fix-run]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
DEFAULT_CORPORA = (HERE / ".corpus" / "src", Path("/work/realworld-corpus"))
SUFFIXES = (".py", ".pyi", ".ipynb")


def _env() -> dict[str, str]:
    env = {**os.environ, "NO_COLOR": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT), env.get("PYTHONPATH")]))
    return env


def _mlint(root: Path, *args: str) -> list[dict[str, object]]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlint",
            "check",
            "--select",
            "ALL",
            "--no-cache",
            "--isolated",
            "--exit-zero",
            "--output-format",
            "json",
            *args,
            ".",
        ],
        cwd=root,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, 1, 2):
        raise SystemExit(f"fix_run: mlint exited {proc.returncode}: {proc.stderr[-2000:]}")
    out = proc.stdout
    start = out.find("[")
    data = json.loads(out[start:]) if start != -1 else []
    return [d for d in data if d.get("code")]


def _digests(root: Path) -> dict[str, str]:
    out = {}
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in SUFFIXES:
            out[str(path.relative_to(root))] = hashlib.blake2b(path.read_bytes()).hexdigest()
    return out


def _ruff(root: Path) -> Counter[tuple[str, str, str]] | None:
    ruff = shutil.which("ruff")
    if ruff is None:
        return None
    proc = subprocess.run(
        [
            ruff,
            "check",
            "--isolated",
            "--select",
            "F821,F811",
            "--output-format",
            "json",
            "--exit-zero",
            ".",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    found: Counter[tuple[str, str, str]] = Counter()
    for item in json.loads(proc.stdout or "[]"):
        # Messages cite line numbers ("from line 342"), which a fix above them shifts.
        message = re.sub(r"line \d+", "line N", item["message"])
        found[(os.path.relpath(item["filename"], root), item["code"], message)] += 1
    return found


def _compiles(data: bytes, name: str) -> bool:
    try:
        compile(data, name, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _broken(root: Path, changed: set[str], original: Path) -> list[str]:
    """Changed files that no longer compile (a file that did not compile before is no case)."""
    bad = []
    for rel in sorted(changed):
        if rel.endswith(".py") and not _compiles((original / rel).read_bytes(), rel):
            continue
        path = root / rel
        try:
            if rel.endswith(".ipynb"):
                json.loads(path.read_text(encoding="utf-8"))
            else:
                compile(path.read_bytes(), rel, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            bad.append(f"{rel}: {type(exc).__name__}: {exc}".splitlines()[0])
    return bad


def run_one(source: Path, work: Path) -> tuple[dict[str, object], bool]:
    copy = work / source.name
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(source, copy, symlinks=True)
    before = _digests(copy)
    diagnostics = _mlint(copy)
    fixable: Counter[str] = Counter(str(d["code"]) for d in diagnostics if d.get("fix"))
    fixable_files = {os.path.relpath(str(d["filename"]), copy) for d in diagnostics if d.get("fix")}
    ruff_before = _ruff(copy)
    _mlint(copy, "--fix", "--unsafe-fixes")
    after = _digests(copy)
    changed = {rel for rel, digest in after.items() if before.get(rel) != digest}
    remaining = _mlint(copy)
    left: Counter[str] = Counter(str(d["code"]) for d in remaining if d.get("fix"))
    fixed = {code: n - left.get(code, 0) for code, n in fixable.items() if n - left.get(code, 0)}
    _mlint(copy, "--fix", "--unsafe-fixes")
    second = {rel for rel, digest in _digests(copy).items() if after.get(rel) != digest}
    ruff_after = _ruff(copy)
    new_ruff = sorted((ruff_after - ruff_before).elements()) if ruff_before is not None else []
    broken = _broken(copy, changed, source)
    stray = sorted(changed - fixable_files)
    report = {
        "corpus": str(source),
        "files": len(before),
        "changed": len(changed),
        "fixed_per_rule": dict(sorted(fixed.items())),
        "broken": broken,
        "not_idempotent": sorted(second),
        "new_ruff_F821_F811": [f"{p}: {c} {m}" for p, c, m in new_ruff],
        "changed_without_a_fixable_diagnostic": stray,
        "ruff_checked": ruff_before is not None,
    }
    ok = not (broken or second or new_ruff or stray)
    return report, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="*", type=Path)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    corpora = args.corpora or [c for c in DEFAULT_CORPORA if c.is_dir()]
    work = args.work or Path(tempfile.mkdtemp(prefix="mlint-fix-run-"))
    work.mkdir(parents=True, exist_ok=True)
    all_ok = True
    for corpus in corpora:
        report, ok = run_one(corpus, work)
        all_ok &= ok
        print(json.dumps(report, indent=2))
    print("fix run:", "OK" if all_ok else "FAILED")
    return 0 if all_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
