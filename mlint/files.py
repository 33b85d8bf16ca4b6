"""File discovery, reading (encodings, BOM, line endings) and atomic writes."""

from __future__ import annotations

import codecs
import fnmatch
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")


class SourceError(Exception):
    """A file that cannot be linted; the message is one line."""


@dataclass(frozen=True)
class DiscoveryWarning:
    path: str
    message: str


class _Excludes:
    """Exclude patterns, compiled once: names (``build``) match any path component,
    patterns with a slash (``pkg/gen``) match the path relative to the project root."""

    def __init__(self, root: Path, patterns: Sequence[str]) -> None:
        self.root = root
        names = [p.rstrip("/") for p in patterns if "/" not in p.rstrip("/")]
        anchored = [p.rstrip("/") for p in patterns if "/" in p.rstrip("/")]
        self._name = re.compile("|".join(fnmatch.translate(p) for p in names)) if names else None
        self._anchored = (
            re.compile("|".join(fnmatch.translate(p) for p in anchored)) if anchored else None
        )

    def _relative(self, path: Path) -> str:
        try:
            return (
                (path if path.is_absolute() else path.resolve()).relative_to(self.root).as_posix()
            )
        except ValueError:
            return path.as_posix()

    def entry(self, path: Path) -> bool:
        """For an entry met while walking: its ancestors were already checked."""
        if self._name is not None and self._name.match(path.name):
            return True
        return self._anchored is not None and bool(self._anchored.match(self._relative(path)))

    def anywhere(self, path: Path) -> bool:
        """For a path named on the command line: the path or any ancestor."""
        parts = self._relative(path).split("/")
        if self._name is not None and any(self._name.match(part) for part in parts):
            return True
        if self._anchored is not None:
            prefixes = ("/".join(parts[: i + 1]) for i in range(len(parts)))
            return any(self._anchored.match(prefix) for prefix in prefixes)
        return False


class _GitIgnore:
    """``.gitignore`` files met on the way down, each applied to its own subtree."""

    def __init__(self) -> None:
        self._specs: dict[Path, object] = {}

    def load(self, directory: Path) -> None:
        ignore_file = directory / ".gitignore"
        if directory in self._specs or not ignore_file.is_file():
            return
        try:
            import pathspec

            lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
            self._specs[directory] = pathspec.GitIgnoreSpec.from_lines(lines)
        except (OSError, ImportError):
            return

    def ignored(self, path: Path, is_dir: bool) -> bool:
        for directory, spec in self._specs.items():
            try:
                rel = path.relative_to(directory).as_posix()
            except ValueError:
                continue
            if spec.match_file(rel + ("/" if is_dir else "")):  # type: ignore[attr-defined]
                return True
        return False


def force_excluded(
    path: str,
    root: str,
    exclude: Sequence[str],
    extend_exclude: Sequence[str],
    respect_gitignore: bool,
) -> bool:
    """Whether ``--force-exclude`` drops ``path`` (also one that does not exist: a stdin name)."""
    target = Path(path).absolute()
    if _Excludes(Path(root).resolve(), [*exclude, *extend_exclude]).anywhere(target):
        return True
    if not respect_gitignore:
        return False
    gitignore = _GitIgnore()
    for parent in reversed(target.parents):
        gitignore.load(parent)
    return gitignore.ignored(target, False)


def discover(
    paths: Sequence[str],
    root: str,
    exclude: Sequence[str],
    extend_exclude: Sequence[str],
    respect_gitignore: bool,
    force_exclude: bool,
    suffixes: Sequence[str] = SOURCE_SUFFIXES,
) -> Iterator[str | DiscoveryWarning]:
    """Yield the files to lint (sorted per directory) and one warning per bad path."""
    root_path = Path(root).resolve()
    excludes = _Excludes(root_path, [*exclude, *extend_exclude])
    gitignore = _GitIgnore()
    if respect_gitignore:
        for parent in reversed((Path.cwd().resolve(), *Path.cwd().resolve().parents)):
            gitignore.load(parent)
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            yield DiscoveryWarning(raw, "No such file or directory")
            continue
        if path.is_file():
            if force_exclude and (
                excludes.anywhere(path)
                or (respect_gitignore and gitignore.ignored(path.resolve(), False))
            ):
                continue
            if raw not in seen_files:
                seen_files.add(raw)
                yield raw
            continue
        stack = [path]
        while stack:
            directory = stack.pop()
            try:
                info = directory.stat()
            except OSError as exc:
                yield DiscoveryWarning(str(directory), exc.strerror or "cannot read directory")
                continue
            key = (info.st_dev, info.st_ino)
            if key in seen_dirs:
                yield DiscoveryWarning(str(directory), "directory loop (symlink cycle) skipped")
                continue
            seen_dirs.add(key)
            resolved_dir = directory.resolve()
            if respect_gitignore:
                gitignore.load(resolved_dir)
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError as exc:
                yield DiscoveryWarning(str(directory), exc.strerror or "cannot read directory")
                continue
            subdirs = []
            for entry in entries:
                child = Path(entry.path)
                # Matched by where it sits, as git does: no per-entry `resolve()` (syscalls).
                absolute = resolved_dir / entry.name
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    continue
                if excludes.entry(absolute):
                    continue
                if respect_gitignore and gitignore.ignored(absolute, is_dir):
                    continue
                if is_dir:
                    subdirs.append(child)
                elif entry.name.endswith(tuple(suffixes)):
                    file_path = os.path.normpath(entry.path)
                    if file_path not in seen_files:
                        seen_files.add(file_path)
                        yield file_path
            stack.extend(reversed(subdirs))


@dataclass(frozen=True)
class SourceText:
    text: str
    encoding: str


def decode(data: bytes, path: str) -> SourceText:
    """Decode a Python file as the interpreter would (BOM, coding cookie), line endings kept."""
    if b"\x00" in data:
        raise SourceError("binary file (contains NUL bytes); skipped")
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        import io
        import tokenize

        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            if "invalid or missing encoding" not in exc.msg:
                raise SourceError(f"cannot detect encoding: {exc.msg}") from None
            encoding = "utf-8"  # no cookie and not UTF-8: say which byte is wrong
    try:
        return SourceText(data.decode(encoding), encoding)
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"cannot decode as {exc.encoding}: invalid byte 0x{data[exc.start]:02x} "
            f"at offset {exc.start}"
        ) from None
    except LookupError:
        raise SourceError(f"unknown encoding `{encoding}`") from None


def read_source(path: str) -> SourceText:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None
    return decode(data, path)


def write_atomic(path: str, text: str, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``text`` in one step: a crash never leaves it half-written."""
    target = Path(path)
    data = text.encode(encoding)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".mlint")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        try:
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        except OSError:
            pass
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def find_config_file(start: Path) -> Path | None:
    """The closest ``mlint.toml``, or ``pyproject.toml`` with a ``[tool.mlint]`` table, upward."""
    directory = start if start.is_dir() else start.parent
    for candidate_dir in (directory.resolve(), *directory.resolve().parents):
        for name in ("mlint.toml", ".mlint.toml"):
            candidate = candidate_dir / name
            if candidate.is_file():
                return candidate
        pyproject = candidate_dir / "pyproject.toml"
        if pyproject.is_file():
            try:
                text = pyproject.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if "[tool.mlint" in text:
                return pyproject
    return None
