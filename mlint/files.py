"""File discovery, reading (encodings, BOM, line endings) and atomic writes."""

from __future__ import annotations

import codecs
import fnmatch
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
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
    patterns with a slash (``pkg/gen``) match the path relative to the project root, and
    absolute ones (from a configuration reached by ``extend``) the absolute path."""

    def __init__(self, root: Path, patterns: Sequence[str]) -> None:
        self.root = root
        stripped = [p.rstrip("/") for p in patterns]
        names = [p for p in stripped if "/" not in p]
        anchored = [p for p in stripped if "/" in p and not p.startswith("/")]
        absolute = [p for p in stripped if p.startswith("/")]
        self._name = _compile(names)
        self._anchored = _compile(anchored)
        self._absolute = _compile(absolute)

    def _relative(self, path: Path) -> str:
        try:
            return (
                (path if path.is_absolute() else path.resolve()).relative_to(self.root).as_posix()
            )
        except ValueError:
            return path.as_posix()

    def _anchored_match(self, path: Path) -> bool:
        if self._anchored is not None and self._anchored.match(self._relative(path)):
            return True
        if self._absolute is None:
            return False
        absolute = path if path.is_absolute() else path.resolve()
        return bool(self._absolute.match(absolute.as_posix()))

    def entry(self, path: Path) -> bool:
        """For an entry met while walking: its ancestors were already checked."""
        if self._name is not None and self._name.match(path.name):
            return True
        return self._anchored_match(path)

    def anywhere(self, path: Path) -> bool:
        """For a path named on the command line: the path or any ancestor."""
        parts = self._relative(path).split("/")
        if self._name is not None and any(self._name.match(part) for part in parts):
            return True
        absolute = path if path.is_absolute() else path.resolve()
        return any(self._anchored_match(p) for p in (absolute, *absolute.parents))


def _compile(patterns: Sequence[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(fnmatch.translate(p) for p in patterns)) if patterns else None


@dataclass(frozen=True)
class Scope:
    """What decides which files under one configuration are linted."""

    root: str
    exclude: tuple[str, ...]
    respect_gitignore: bool = True
    force_exclude: bool = False

    @cached_property
    def excludes(self) -> _Excludes:
        return _Excludes(Path(self.root).resolve(), self.exclude)


class _GitIgnore:
    """``.gitignore`` files met on the way down, each applied to its own subtree."""

    def __init__(self) -> None:
        self._specs: dict[Path, object] = {}

    def load(self, directory: Path) -> None:
        """Read ``directory/.gitignore``; an unreadable one is skipped (the walk warns)."""
        if directory in self._specs:
            return
        ignore_file = directory / ".gitignore"
        try:
            if not ignore_file.is_file():  # a FIFO would block the read
                return
            text = ignore_file.read_text(encoding="utf-8", errors="replace")
            import pathspec  # only when there is a .gitignore: it costs 0.1 s to import
        except (OSError, ImportError):
            return
        self._specs[directory] = pathspec.GitIgnoreSpec.from_lines(text.splitlines())

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
    scope_for: Callable[[Path], Scope],
    suffixes: Sequence[str] = SOURCE_SUFFIXES,
) -> Iterator[str | DiscoveryWarning]:
    """Yield the files to lint (sorted per directory) and one warning per bad path.

    ``scope_for(directory)`` gives the excludes that govern the entries of ``directory``:
    those of the closest configuration file, so each sub-project keeps its own.
    """
    gitignore = _GitIgnore()
    cwd = Path.cwd().resolve()
    if scope_for(cwd).respect_gitignore:
        for parent in reversed((cwd, *cwd.parents)):
            gitignore.load(parent)
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            yield DiscoveryWarning(raw, "No such file or directory")
            continue
        if not path.is_dir() and not path.is_file():
            # A FIFO or a device would block the reader forever.
            yield DiscoveryWarning(raw, "not a regular file; skipped")
            continue
        if path.is_file():
            scope = scope_for(path.absolute().parent)
            if scope.force_exclude and (
                scope.excludes.anywhere(path)
                or (scope.respect_gitignore and gitignore.ignored(path.resolve(), False))
            ):
                continue
            if raw not in seen_files:
                seen_files.add(raw)
                yield raw
            continue
        # A directory named on the command line is linted even when .gitignore ignores it
        # (as ruff does); the .gitignore files inside it still apply.
        scope = scope_for(path.absolute())
        walk_ignore = gitignore
        if (
            scope.respect_gitignore
            and not scope.force_exclude
            and _ignored_with_parents(path, gitignore)
        ):
            walk_ignore = _GitIgnore()
        stack = [path]
        while stack:
            directory = stack.pop()
            try:
                info = directory.stat()
            except OSError as exc:
                yield DiscoveryWarning(str(directory), exc.strerror or "cannot read directory")
                continue
            key = (info.st_dev, info.st_ino)
            resolved_dir = directory.resolve()
            if key in seen_dirs:
                # Reached again through a link: a cycle only when it leads back above itself;
                # a link to a sibling folder (a venv's `lib64`) was simply linted already.
                if directory.is_symlink() and directory.absolute().parent.resolve().is_relative_to(
                    resolved_dir
                ):
                    yield DiscoveryWarning(str(directory), "directory loop (symlink cycle) skipped")
                continue
            seen_dirs.add(key)
            scope = scope_for(resolved_dir)
            if scope.respect_gitignore:
                walk_ignore.load(resolved_dir)
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
                if scope.excludes.entry(absolute):
                    continue
                if scope.respect_gitignore and walk_ignore.ignored(absolute, is_dir):
                    continue
                if is_dir:
                    if _is_venv(absolute):
                        continue  # a virtual environment, whatever its name
                    subdirs.append(child)
                elif entry.name.endswith(tuple(suffixes)) and _is_regular(entry):
                    file_path = os.path.normpath(entry.path)
                    if file_path not in seen_files:
                        seen_files.add(file_path)
                        yield file_path
            stack.extend(reversed(subdirs))


def _is_venv(directory: Path) -> bool:
    try:
        return (directory / "pyvenv.cfg").is_file()
    except OSError:  # an unreadable folder: its own warning comes when it is walked
        return False


def _ignored_with_parents(path: Path, gitignore: _GitIgnore) -> bool:
    """Whether ``path`` (a directory) or one of its parents is git-ignored."""
    resolved = path.resolve()
    return any(gitignore.ignored(directory, True) for directory in (resolved, *resolved.parents))


def _is_regular(entry: os.DirEntry[str]) -> bool:
    """A regular file, or a link to one: never a FIFO, socket or device named ``*.py``."""
    try:
        return entry.is_file()
    except OSError:
        return False


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


class WriteError(OSError):
    """A file that was not written; the message is one line and names no path.

    An ``OSError``, so callers that report write failures report this one too.
    """


_TEMP_NAME = re.compile(r"\.(.+)\.[0-9a-f]{8}\.mlint")


def _temp_file(directory: str, name: str) -> tuple[int, str]:
    """A new empty file next to ``name``, created ``0o666`` less the umask (never ``0o600``)."""
    while True:
        tmp = os.path.join(directory, f".{name}.{secrets.token_hex(4)}.mlint")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


def remove_stale_temps(paths: Sequence[str]) -> int:
    """Delete the temporary files a killed ``--fix`` left next to ``paths``; how many.

    A file is replaced by renaming a finished copy over it: a SIGKILL between the
    copy's creation and the rename leaves the copy (``.NAME.<8 hex>.mlint``) behind,
    never a damaged file. The next ``--fix`` run over the same files removes it.
    """
    names_by_dir: dict[str, set[str]] = {}
    for path in paths:
        directory, name = os.path.split(os.path.abspath(path))
        names_by_dir.setdefault(directory, set()).add(name)
    removed = 0
    for directory, names in names_by_dir.items():
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            match = _TEMP_NAME.fullmatch(entry.name)
            if match is None or match.group(1) not in names:
                continue
            try:
                if entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
                    removed += 1
            except OSError:
                continue
    return removed


def _check_unchanged(path: str, expected: bytes | None) -> None:
    if expected is None:
        return
    try:
        with open(path, "rb") as handle:
            current = handle.read()
    except OSError as exc:
        raise WriteError(f"cannot re-read before writing: {exc.strerror or exc}") from None
    if current != expected:
        raise WriteError("changed on disk while mlint was fixing it; left as it is now")


def _write_in_place(path: str, data: bytes, expected: bytes | None) -> None:
    """Overwrite the file itself: keeps hard links and the owner, but is not atomic.

    The new text has already been checked to parse; one ``write`` and one
    ``truncate`` follow the re-check, so only a kill between those two system calls
    can leave a mixed file. Replacing the file instead would split the link.
    """
    with open(path, "r+b") as handle:
        if expected is not None and handle.read() != expected:
            raise WriteError("changed on disk while mlint was fixing it; left as it is now")
        handle.seek(0)
        handle.write(data)
        handle.truncate()


def write_atomic(
    path: str, text: str, encoding: str = "utf-8", expected: bytes | None = None
) -> None:
    """Replace ``path`` with ``text`` in one step: a crash never leaves it half-written.

    A symlink is written through (the link stays a link), and the file keeps its
    mode and owner. A file with hard links, or whose owner a new file cannot get, is
    written in place instead (see ``_write_in_place``). A read-only file is refused.
    With ``expected`` (the bytes the fix was computed from), nothing is written if
    the file no longer holds them. Failures raise ``WriteError`` (an ``OSError``).
    """
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise WriteError(f"the fixed text has `{bad}`, which {encoding} cannot encode") from None
    target = os.path.realpath(path)
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None
    if info is not None:
        if not stat.S_ISREG(info.st_mode):
            raise WriteError("not a regular file")
        if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
            raise WriteError("the file is read-only")
        if info.st_nlink > 1:
            _write_in_place(target, data, expected)
            return
    directory, name = os.path.split(target)
    try:
        fd, tmp = _temp_file(directory, name)
    except PermissionError:
        if info is None:
            raise
        _write_in_place(target, data, expected)  # a file writable in a read-only folder
        return
    keep: str | None = tmp
    try:
        with os.fdopen(fd, "wb", closefd=False) as handle:
            handle.write(data)
        if info is not None and not _same_metadata(fd, info):
            os.close(fd)
            fd = -1
            os.unlink(tmp)
            keep = None
            _write_in_place(target, data, expected)
            return
        os.close(fd)
        fd = -1
        _check_unchanged(target, expected)
        os.replace(tmp, target)
        keep = None
    finally:
        if fd >= 0:
            os.close(fd)
        if keep is not None:
            try:
                os.unlink(keep)
            except OSError:
                pass


def _same_metadata(fd: int, info: os.stat_result) -> bool:
    """Give the new file ``info``'s mode and owner; False if the owner cannot be kept."""
    if not hasattr(os, "fchown"):  # Windows: no owners to keep
        return True
    os.fchmod(fd, info.st_mode & 0o7777)
    new = os.fstat(fd)
    if (new.st_uid, new.st_gid) == (info.st_uid, info.st_gid):
        return True
    try:
        os.fchown(fd, info.st_uid, info.st_gid)
    except OSError:
        return False
    # chown clears set-user-ID bits: set the mode again.
    os.fchmod(fd, info.st_mode & 0o7777)
    return True


def config_in(directory: Path) -> Path | None:
    """``directory``'s own ``mlint.toml``, or ``pyproject.toml`` with a ``[tool.mlint]`` table.

    A ``pyproject.toml`` that cannot be read, or is not UTF-8, is an error: it might hold
    the settings, and a run with the defaults instead would pass silently.
    """
    from mlint.types import ConfigError

    pyproject = directory / "pyproject.toml"
    try:
        for name in ("mlint.toml", ".mlint.toml"):
            candidate = directory / name
            if candidate.is_file():
                return candidate
        if not pyproject.is_file():
            return None
    except OSError:
        return None  # a folder that cannot be searched: the walk warns about it
    try:
        text = pyproject.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{pyproject}: cannot read config: not UTF-8 (invalid byte "
            f"0x{exc.object[exc.start]:02x} at offset {exc.start})"
        ) from None
    except OSError as exc:
        where = exc.filename or directory
        raise ConfigError(f"{where}: cannot read config: {exc.strerror or exc}") from None
    return pyproject if "[tool.mlint" in text else None


def find_config_file(start: Path) -> Path | None:
    """The closest configuration file (see ``config_in``), from ``start`` upward."""
    directory = (start if start.is_dir() else start.parent).resolve()
    for candidate_dir in (directory, *directory.parents):
        found = config_in(candidate_dir)
        if found is not None:
            return found
    return None
