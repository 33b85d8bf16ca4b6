"""Results cache: unchanged files (same stat, or same content hash) are not re-linted.

One JSON file per (mlint version, settings fingerprint) under the cache directory.
JSON, not pickle: mlint flags unsafe deserialization, so it does not practise it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mlint import __version__
from mlint.types import (
    Applicability,
    Diagnostic,
    Edit,
    Fix,
    LintSettings,
    Location,
    Overrides,
    Settings,
)


@functools.cache
def code_stamp() -> str:
    """A digest of mlint's own source files (path, size, mtime).

    Results depend on the rules' code, not only on ``__version__``: a development
    install or an upgrade without a version bump must not be served stale results.
    Stat-ing the package's files costs about a millisecond.
    """
    package = Path(__file__).resolve().parent
    digest = hashlib.blake2b(__version__.encode(), digest_size=8)
    stack = [str(package)]
    entries: list[str] = []
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                if entry.is_dir() and entry.name != "__pycache__":
                    stack.append(entry.path)
                elif entry.name.endswith(".py"):
                    info = entry.stat()
                    entries.append(f"{entry.path}|{info.st_size}|{info.st_mtime_ns}")
    for line in sorted(entries):
        digest.update(line.encode())
    return digest.hexdigest()


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
        self.file = Path(cache_dir) / __version__ / f"{fingerprint}-{code_stamp()}.json"
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
        """Cached diagnostics when the file is unchanged.

        Same size and mtime is enough; a new mtime with the same size (a `git checkout`,
        a `touch`) falls back to comparing the content hash, and refreshes the mtime.
        """
        key = self.key(path)
        entry = self.entries.get(key)
        if entry is None:
            return None
        try:
            info = os.stat(path)
        except OSError:
            return None
        if entry[1] != info.st_size:
            return None
        if entry[0] != info.st_mtime_ns:
            try:
                with open(path, "rb") as handle:
                    digest = content_hash(handle.read())
            except OSError:
                return None
            if digest != entry[2]:
                return None
            entry[0] = info.st_mtime_ns
            self.dirty = True
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


# Settings ------------------------------------------------------------------------
# Validating the config costs a pydantic import and model build, more than a whole
# cached run; the resolved settings are kept, keyed by the config file's bytes.


def _settings_key(
    config_path: Path | None, overrides: Overrides, isolated: bool
) -> tuple[str, Path] | None:
    """The digest and directory of a settings cache entry, or ``None`` if none is safe."""
    digest = hashlib.sha256()
    digest.update(f"{code_stamp()}|{os.getcwd()}|{isolated}|{overrides!r}|".encode())
    config_text = b""
    if config_path is not None:
        try:
            config_text = config_path.read_bytes()
        except OSError:
            return None
        digest.update(str(config_path.resolve()).encode() + b"|" + config_text)
    root = config_path.resolve().parent if config_path is not None else Path.cwd()
    if overrides.cache_dir is not None:
        directory = Path(overrides.cache_dir)
        if not directory.is_absolute():
            directory = root / directory
    elif b"cache-dir" in config_text:
        return None  # where the cache lives is itself in the unvalidated config
    else:
        directory = root / ".mlint_cache"
    return digest.hexdigest()[:24], directory / __version__


def _settings_to_json(settings: Settings) -> dict[str, Any]:
    data = asdict(settings)
    lint = settings.lint
    data["lint"] = {
        "enabled": sorted(lint.enabled),
        "fixable": sorted(lint.fixable),
        "rule_options": [
            [code, [list(item) for item in items]] for code, items in lint.rule_options
        ],
        "per_file_ignores": [[pattern, sorted(codes)] for pattern, codes in lint.per_file_ignores],
        "project_root": lint.project_root,
        "applicability": lint.applicability.value,
        "ignore_noqa": lint.ignore_noqa,
    }
    return data


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _settings_from_json(data: dict[str, Any]) -> Settings:
    lint = data["lint"]
    return Settings(
        lint=LintSettings(
            enabled=frozenset(lint["enabled"]),
            fixable=frozenset(lint["fixable"]),
            rule_options=tuple(
                (code, tuple((key, _freeze(value)) for key, value in items))
                for code, items in lint["rule_options"]
            ),
            per_file_ignores=tuple(
                (pattern, frozenset(codes)) for pattern, codes in lint["per_file_ignores"]
            ),
            project_root=lint["project_root"],
            applicability=Applicability(lint["applicability"]),
            ignore_noqa=lint["ignore_noqa"],
        ),
        config_path=data["config_path"],
        project_root=data["project_root"],
        exclude=tuple(data["exclude"]),
        extend_exclude=tuple(data["extend_exclude"]),
        respect_gitignore=data["respect_gitignore"],
        force_exclude=data["force_exclude"],
        output_format=data["output_format"],
        cache_dir=data["cache_dir"],
        target_version=data["target_version"],
        unsafe_fixes=data["unsafe_fixes"],
    )


def load_settings(
    config_file: Path | None,
    overrides: Overrides,
    isolated: bool = False,
    search_from: Path | None = None,
    use_cache: bool = True,
) -> Settings:
    """``resolve_settings``, served from the cache when the config file is unchanged."""
    from mlint.files import find_config_file

    path = None if isolated else (config_file or find_config_file(search_from or Path.cwd()))
    key = _settings_key(path, overrides, isolated) if use_cache else None
    if key is not None:
        digest, directory = key
        entry = directory / f"settings-{digest}.json"
        try:
            return _settings_from_json(json.loads(entry.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            pass
    from mlint.settings import resolve_settings

    settings = resolve_settings(config_file, overrides, isolated=isolated, search_from=search_from)
    if key is not None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            gitignore = directory.parent / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# Created by mlint automatically.\n*\n", encoding="utf-8")
            from mlint.files import write_atomic

            write_atomic(str(entry), json.dumps(_settings_to_json(settings)))
        except OSError:
            pass
    return settings
