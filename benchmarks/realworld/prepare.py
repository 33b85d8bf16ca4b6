"""Build the real-world corpus from fetched git mirrors at the commits pinned in manifest.toml.

Usage: python3 benchmarks/realworld/prepare.py [--mirrors /work/.mirror] [--corpus DIR]

A mirror is a bare git directory at MIRRORS/<owner>+<name>/repo (or MIRRORS/<owner>+<name>).
Only .py, .pyi and .ipynb files of the listed subdirectories are extracted, into CORPUS/<owner>+<name>/.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import CODE_SUFFIXES, DEFAULT_CORPUS, Repo, count_tree, load_manifest


def git_dir(mirrors: Path, repo: Repo) -> Path:
    for candidate in (mirrors / repo.dirname / "repo", mirrors / repo.dirname):
        if (candidate / "HEAD").is_file() or (candidate / ".git").exists():
            return candidate
    raise SystemExit(f"prepare: no mirror for {repo.repo} under {mirrors}")


def extract(mirrors: Path, corpus: Path, repo: Repo) -> int:
    """Write the code files of repo's subdirs at its commit; return how many blobs the mirror lacks."""
    gdir = git_dir(mirrors, repo)
    dest = corpus / repo.dirname
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    paths = [] if repo.subdirs == (".",) else list(repo.subdirs)
    listing = subprocess.run(
        ["git", f"--git-dir={gdir}", "ls-tree", "-r", "-z", repo.commit, "--", *paths],
        capture_output=True,
        check=False,
    )
    if listing.returncode != 0:
        msg = listing.stderr.decode(errors="replace").strip()
        raise SystemExit(f"prepare: git ls-tree failed for {repo.repo}: {msg}")
    wanted: list[tuple[str, str]] = []
    for entry in listing.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        path = name.decode("utf-8", errors="surrogateescape")
        if kind == "blob" and mode != "120000" and path.endswith(CODE_SUFFIXES):
            wanted.append((sha, path))
    batch = subprocess.run(
        ["git", f"--git-dir={gdir}", "cat-file", "--batch"],
        input=b"".join(sha.encode() + b"\n" for sha, _ in wanted),
        capture_output=True,
        check=True,
    )
    out, pos, missing = batch.stdout, 0, 0
    for _, path in wanted:
        eol = out.index(b"\n", pos)
        header = out[pos:eol].split()
        pos = eol + 1
        if header[-1] == b"missing":
            missing += 1
            continue
        size = int(header[2])
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(out[pos : pos + size])
        pos += size + 1
    return missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--only", action="append", help="owner/name to (re)extract; repeatable")
    args = parser.parse_args()
    repos = load_manifest()
    args.corpus.mkdir(parents=True, exist_ok=True)
    totals = [0, 0, 0]
    print(f"{'repo':36} {'kind':10} {'files':>6} {'lines':>8} {'notebooks':>9}")
    for repo in repos:
        if not args.only or repo.repo in args.only:
            missing = extract(args.mirrors, args.corpus, repo)
            if missing:
                print(f"  ({repo.repo}: {missing} files absent from the mirror, skipped)")
        files, lines, notebooks = count_tree(args.corpus / repo.dirname)
        totals = [totals[0] + files, totals[1] + lines, totals[2] + notebooks]
        print(f"{repo.repo:36} {repo.kind:10} {files:6} {lines:8} {notebooks:9}")
    print(
        f"{'total (' + str(len(repos)) + ' repos)':36} {'':10} {totals[0]:6} {totals[1]:8} {totals[2]:9}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
