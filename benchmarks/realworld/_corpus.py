"""Shared helpers of the real-world precision harness: the manifest and the corpus layout."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.toml"
DEFAULT_CORPUS = Path("/work/realworld-corpus")
OUT_DIR = HERE / ".out"
DIAGNOSTICS = OUT_DIR / "diagnostics.jsonl"
ERRORS = OUT_DIR / "errors.jsonl"
CODE_SUFFIXES = (".py", ".pyi", ".ipynb")


@dataclass(frozen=True)
class Repo:
    repo: str
    commit: str
    subdirs: tuple[str, ...]
    kind: str
    description: str

    @property
    def dirname(self) -> str:
        return self.repo.replace("/", "+")


def load_manifest(path: Path = MANIFEST) -> list[Repo]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    repos = []
    for entry in data["repo"]:
        commit = entry["commit"]
        if len(commit) != 40 or any(c not in "0123456789abcdef" for c in commit):
            raise SystemExit(f"manifest: {entry['repo']}: commit must be 40 hex digits")
        repos.append(
            Repo(
                repo=entry["repo"],
                commit=commit,
                subdirs=tuple(entry["subdirs"]),
                kind=entry["kind"],
                description=entry["description"],
            )
        )
    return repos


def notebook_code_lines(path: Path) -> int:
    """Lines of code cells in a notebook (0 when it is not valid JSON)."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return 0
    total = 0
    for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        total += len(text.splitlines())
    return total


def count_tree(root: Path) -> tuple[int, int, int]:
    """(files, lines, notebooks) of the Python and notebook files under root."""
    files = lines = notebooks = 0
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in CODE_SUFFIXES:
            continue
        files += 1
        if path.suffix == ".ipynb":
            notebooks += 1
            lines += notebook_code_lines(path)
        else:
            with path.open("rb") as handle:
                lines += sum(1 for _ in handle)
    return files, lines, notebooks
