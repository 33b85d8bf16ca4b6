"""Parse-only worker for the benchmark: the floor any libcst linter stands on.

Run as ``python benchmarks/bench_parse.py {ast,libcst} FILE_LIST JOBS``; FILE_LIST holds one path
a line. Files are read as mlint reads them (UTF-8 text) and parsed; nothing else happens, so the
wall time of this process is what parsing alone costs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence


def _parse_ast(text: str) -> object:
    import ast

    return ast.parse(text)


def _parse_libcst(text: str) -> object:
    import libcst

    return libcst.parse_module(text)


PARSERS: dict[str, Callable[[str], object]] = {"ast": _parse_ast, "libcst": _parse_libcst}


def parse_batch(mode: str, paths: Sequence[str]) -> int:
    """Parse every file of ``paths``; the number that failed to parse."""
    parse = PARSERS[mode]
    failed = 0
    for path in paths:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read()
        try:
            parse(text)
        except Exception:  # noqa: BLE001  (a file libcst cannot parse costs what it cost)
            failed += 1
    return failed


def _parse_batch_star(args: tuple[str, Sequence[str]]) -> int:
    return parse_batch(*args)


def run(mode: str, paths: Sequence[str], jobs: int) -> int:
    """Parse ``paths`` in ``jobs`` processes, scheduled like mlint's runner (largest first, small chunks)."""
    if jobs <= 1:
        return parse_batch(mode, paths)
    import multiprocessing

    ordered = sorted(paths, key=os.path.getsize, reverse=True)
    chunk = max(1, min(16, len(ordered) // (jobs * 8)))
    batches = [(mode, ordered[i : i + chunk]) for i in range(0, len(ordered), chunk)]
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return sum(pool.imap_unordered(_parse_batch_star, batches))


def main(argv: Sequence[str]) -> int:
    mode, list_file, jobs = argv
    with open(list_file, encoding="utf-8") as handle:
        paths = [line.rstrip("\n") for line in handle if line.strip()]
    failed = run(mode, paths, int(jobs))
    if failed:
        print(f"{failed} of {len(paths)} files failed to parse", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
