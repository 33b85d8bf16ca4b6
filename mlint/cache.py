"""Results cache: unchanged files (same stat, or same content hash) are not re-linted.

One JSON file per (mlint version, settings fingerprint) under the cache directory.
JSON, not pickle: mlint flags unsafe deserialization, so it does not practise it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mlint import __version__
from mlint.types import Applicability, Diagnostic, Edit, Fix, Location


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def encode(diag: Diagnostic) -> dict[str, Any]:
    data = asdict(diag)
    if diag.fix is not None:
        data["fix"]["applicability"] = diag.fix.applicability.value
    return data


def decode(data: dict[str, Any]) -> Diagnostic:
    fix = data.get("fix")
    return Diagnostic(
        path=data["path"],
        code=data["code"],
        name=data["name"],
        message=data["message"],
        start=Location(**data["start"]),
        end=Location(**data["end"]),
        fix=Fix(
            tuple(Edit(**e) for e in fix["edits"]),
            Applicability(fix["applicability"]),
            fix.get("message"),
        )
        if fix
        else None,
        noqa_line=data.get("noqa_line", 0),
        cell=data.get("cell"),
    )


class Cache:
    def __init__(self, cache_dir: str, fingerprint: str) -> None:
        self.file = Path(cache_dir) / __version__ / f"{fingerprint}.json"
        self.entries: dict[str, list[Any]] = {}
        self.dirty = False
        try:
            self.entries = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}

    @staticmethod
    def key(path: str) -> str:
        return os.path.abspath(path)

    def lookup(self, path: str) -> list[Diagnostic] | None:
        """Cached diagnostics when the file's size and mtime are unchanged."""
        entry = self.entries.get(self.key(path))
        if entry is None:
            return None
        try:
            info = os.stat(path)
        except OSError:
            return None
        if entry[0] != info.st_mtime_ns or entry[1] != info.st_size:
            return None
        return [decode(d) for d in entry[3]]

    def lookup_content(self, path: str, digest: str) -> list[Diagnostic] | None:
        entry = self.entries.get(self.key(path))
        if entry is None or entry[2] != digest:
            return None
        return [decode(d) for d in entry[3]]

    def store(
        self, path: str, digest: str, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]
    ) -> None:
        try:
            info = os.stat(path)
        except OSError:
            return
        self.entries[self.key(path)] = [
            info.st_mtime_ns,
            info.st_size,
            digest,
            [encode(d) for d in diagnostics],
        ]
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            gitignore = self.file.parent.parent / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# Created by mlint automatically.\n*\n", encoding="utf-8")
            from mlint.files import write_atomic

            write_atomic(str(self.file), json.dumps(self.entries, separators=(",", ":")))
        except OSError:
            pass  # a cache that cannot be written only costs speed


def clean(cache_dir: str) -> bool:
    import shutil

    path = Path(cache_dir)
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
        return True
    return False
