"""Results cache: unchanged files (same stat, or same content hash) are not re-linted.

One JSON file per (mlint version, settings fingerprint) under the cache directory.
JSON, not pickle: mlint flags unsafe deserialization, so it does not practise it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, replace
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


# The cache directory -------------------------------------------------------------
# `mlint clean` deletes a directory only if mlint made it: it holds this exact tag
# (the CACHEDIR.TAG convention, so backup tools skip it too).

CACHEDIR_TAG = "CACHEDIR.TAG"
TAG_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by mlint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
GITIGNORE_TEXT = "# Created by mlint automatically.\n*\n"
DEFAULT_CACHE_NAME = ".mlint_cache"
_VERSION_DIR = re.compile(r"\d+\.\d+[0-9A-Za-z.+_-]*")
_LEGACY_FILE = re.compile(r"[0-9A-Za-z_-]+\.json|\..+\.mlint")


def _read_small(path: Path) -> str | None:
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > 4096:
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def is_marked(directory: Path) -> bool:
    """A directory mlint created: it holds mlint's exact ``CACHEDIR.TAG``."""
    return not directory.is_symlink() and _read_small(directory / CACHEDIR_TAG) == TAG_TEXT


def _is_legacy(directory: Path) -> bool:
    """A cache written before the tag existed: mlint's ``.gitignore`` and version
    folders of JSON files, nothing else."""
    try:
        if directory.is_symlink() or _read_small(directory / ".gitignore") != GITIGNORE_TEXT:
            return False
        for entry in directory.iterdir():
            if entry.name == ".gitignore":
                continue
            if entry.is_symlink() or not entry.is_dir() or not _VERSION_DIR.fullmatch(entry.name):
                return False
            for item in entry.iterdir():
                if item.is_symlink() or not item.is_file() or not _LEGACY_FILE.fullmatch(item.name):
                    return False
    except OSError:
        return False
    return True


def owned(directory: Path) -> bool:
    """True if ``directory`` is an mlint cache that ``mlint clean`` may delete."""
    return directory.is_dir() and (is_marked(directory) or _is_legacy(directory))


def prepare(directory: Path) -> bool:
    """Make ``directory`` ready for cache files; False if it is not mlint's to write.

    mlint writes only into a directory it creates (and tags) itself, or into one it
    tagged before: an existing folder of the user's is never filled, nor ever deleted.
    """
    if is_marked(directory):
        return True
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        directory.mkdir()
    except FileExistsError:
        if not _is_legacy(directory):
            return False
    except OSError:
        return False
    try:
        gitignore = directory / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text(GITIGNORE_TEXT, encoding="utf-8")
        from mlint.files import write_atomic

        write_atomic(str(directory / CACHEDIR_TAG), TAG_TEXT)
    except OSError:
        return False
    return True


def cache_dir_problem(configured: str, root: Path) -> str | None:
    """Why ``configured`` (relative to ``root``) cannot be the cache directory, or None.

    The cache directory is deleted by ``mlint clean``: it must never be the project,
    a folder above it, or (written as a relative path) a folder outside it.
    """
    path = Path(configured)
    resolved = (path if path.is_absolute() else root / path).resolve()
    project = root.resolve()
    if resolved == project or resolved in project.parents:
        return "is the project folder or a folder above it"
    if not path.is_absolute() and project not in resolved.parents:
        return "is outside the project (a relative cache-dir must stay inside it)"
    return None


# Results -----------------------------------------------------------------------------
# One entry per file: [stamp, content hash, diagnostics]. The stamp is the file's
# (size, mtime, ctime, inode): `touch -r` can restore an mtime but not a ctime, so a
# same-size edit always changes it. A different stamp, or none (the file was written
# less than `_RACY_NS` before it was cached, too recent for its timestamps to tell
# two edits apart), costs one read and hash.

_RACY_NS = 2_000_000_000


def _stamp(info: os.stat_result) -> list[int]:
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


class Cache:
    def __init__(self, cache_dir: str, fingerprint: str) -> None:
        self.directory = Path(cache_dir)
        self.file = self.directory / __version__ / f"{fingerprint}-{code_stamp()}.json"
        self.entries: dict[str, list[Any]] = {}
        self.dirty = False
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        if isinstance(data, dict):
            self.entries = data

    @staticmethod
    def key(path: str) -> str:
        return os.path.abspath(path)

    def lookup(self, path: str) -> list[Diagnostic] | None:
        """Cached diagnostics when the file is unchanged (same stamp, or same content)."""
        entry = self.entries.get(self.key(path))
        if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[2], list)):
            return None
        stamp, digest, diagnostics = entry
        try:
            info = os.stat(path)
            if stamp != _stamp(info):
                if isinstance(stamp, list) and stamp and stamp[0] != info.st_size:
                    return None
                with open(path, "rb") as handle:
                    if content_hash(handle.read()) != digest:
                        return None
                entry[0] = self._trusted_stamp(info)
                self.dirty = True
            # Entries are keyed by absolute path; a hit is reported under the path this run
            # was given (`cd pkg && mlint check` must not print the root run's `pkg/m.py`).
            return [replace(decode(d), path=path) for d in diagnostics]
        except (OSError, KeyError, TypeError, ValueError, AttributeError):
            return None  # a file gone, or an entry of the wrong shape: lint again

    @staticmethod
    def _trusted_stamp(info: os.stat_result) -> list[int] | None:
        if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) < _RACY_NS:
            return None
        return _stamp(info)

    def store(
        self, path: str, digest: str, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]
    ) -> None:
        """Record ``diagnostics`` for the content whose hash is ``digest``.

        The stamp is taken before the file is read back: if it changed since it was
        linted, the hashes differ and nothing is stored.
        """
        try:
            info = os.stat(path)
            with open(path, "rb") as handle:
                if content_hash(handle.read()) != digest:
                    return
        except OSError:
            return
        self.entries[self.key(path)] = [
            self._trusted_stamp(info),
            digest,
            [encode(d) for d in diagnostics],
        ]
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            if not prepare(self.directory):
                return
            self.file.parent.mkdir(exist_ok=True)
            from mlint.files import write_atomic

            write_atomic(str(self.file), json.dumps(self.entries, separators=(",", ":")))
        except OSError:
            pass  # a cache that cannot be written only costs speed


def clean(cache_dir: Path) -> bool:
    """Delete ``cache_dir`` if it is an mlint cache; True if it was."""
    import shutil

    if not owned(cache_dir):
        return False
    shutil.rmtree(cache_dir, ignore_errors=True)
    return True


def find_caches(start: Path) -> Iterator[Path]:
    """``.mlint_cache`` folders below ``start`` (symlinks not followed, caches not entered)."""
    for directory, subdirs, _files in os.walk(start):
        keep = []
        for name in sorted(subdirs):
            if name == DEFAULT_CACHE_NAME:
                yield Path(directory) / name
            elif name not in (".git", ".hg", ".svn"):
                keep.append(name)
        subdirs[:] = keep


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
        if b"extend" in config_text:
            bases = _extended_files(config_path)
            if bases is None:
                return None  # `resolve_settings` says what is wrong with the chain
            for base in bases:
                digest.update(b"|" + base)
    root = config_path.resolve().parent if config_path is not None else Path.cwd()
    if b"cache-dir" in config_text:
        return None  # where the cache lives is itself in the unvalidated config
    configured = overrides.cache_dir or DEFAULT_CACHE_NAME
    if cache_dir_problem(configured, root) is not None:
        return None  # `resolve_settings` says what is wrong with it
    return digest.hexdigest()[:24], root / configured


def _extended_files(config_path: Path) -> list[bytes] | None:
    """The bytes of every file the ``extend`` chain of ``config_path`` names, or ``None``."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    out: list[bytes] = []
    current, seen = config_path, set()
    while True:
        try:
            data = tomllib.loads(current.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        table = data.get("tool", {}).get("mlint", {}) if current.name == "pyproject.toml" else data
        extend = table.get("extend") if isinstance(table, dict) else None
        if extend is None:
            return out
        if not isinstance(extend, str) or current.resolve() in seen:
            return None
        seen.add(current.resolve())
        target = Path(os.path.expandvars(os.path.expanduser(extend)))
        current = target if target.is_absolute() else current.resolve().parent / target
        try:
            out.append(str(current.resolve()).encode() + b"|" + current.read_bytes())
        except OSError:
            return None


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
        entry = directory / __version__ / f"settings-{digest}.json"
        try:
            return _settings_from_json(json.loads(entry.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # none yet, or not in the shape this version writes
    from mlint.settings import resolve_settings

    settings = resolve_settings(config_file, overrides, isolated=isolated, search_from=search_from)
    if key is not None:
        try:
            if prepare(directory):
                entry.parent.mkdir(exist_ok=True)
                from mlint.files import write_atomic

                write_atomic(str(entry), json.dumps(_settings_to_json(settings)))
        except OSError:
            pass
    return settings
