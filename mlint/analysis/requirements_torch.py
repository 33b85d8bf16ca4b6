"""The torch version a project declares: nearest requirement files walking up from a source file.

Read with plain text scans (no packaging dependency), once per directory per process.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

_REQUIREMENT_GLOBS = ("requirements*.txt", "pyproject.toml", "setup.cfg", "environment.yml")
_MAX_LEVELS = 12
# A directory holding one of these is a project root: the walk stops there.
_PROJECT_ROOTS = (".git", "pyproject.toml", "setup.cfg", "setup.py")
# `torch==2.1.0`, `torch >=1.13,<2.3`, `- torch=2.0` (conda), `"torch~=2.0"`.
_LINE = re.compile(
    r"""(?:^|["'\s-])(?:py)?torch(?:\[[^\]]*\])?[ \t]*
        (?P<spec>(?:[<>=!~^]=?[ \t]*[\w.*+]+[ \t]*,?[ \t]*)*)(?=$|["';#\s])""",
    re.VERBOSE | re.MULTILINE,
)
# Poetry: `torch = "^1.13"` or `torch = { version = "1.13.1", ... }`.
_POETRY = re.compile(
    r"""^\s*torch\s*=\s*(?:["'](?P<plain>[^"']*)["']|\{[^}]*version\s*=\s*["'](?P<table>[^"']*)["'])""",
    re.MULTILINE,
)
_CLAUSE = re.compile(r"(?P<op>===|==|~=|!=|<=|>=|<|>|\^|=)?\s*(?P<version>\d+(?:\.\d+)*)")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def _declared_in(text: str, poetry: bool) -> str | None:
    """The torch specifier declared in a file's text ("" when unversioned), else ``None``."""
    if poetry:
        match = _POETRY.search(text)
        if match:
            return match.group("plain") or match.group("table") or ""
    for match in _LINE.finditer(text):
        start = match.start("spec")
        line_start = text.rfind("\n", 0, start) + 1
        if "#" in text[line_start:start]:
            continue  # commented out
        return match.group("spec").strip()
    return None


def pins_below(spec: str, bound: tuple[int, ...]) -> bool:
    """Whether a specifier caps or pins torch below ``bound`` (open lower bounds install the latest).

    ``torch==2.1.0``, ``torch<2.3``, ``torch~=2.0``, poetry ``^1.13`` pin below 2.6;
    ``torch`` and ``torch>=1.13`` resolve to the newest release and do not.
    """
    for clause in spec.split(","):
        match = _CLAUSE.search(clause.strip())
        if match is None:
            continue
        op = match.group("op") or "=="
        version = _version(match.group("version").split("+")[0])
        if op in ("==", "===", "=", "<="):
            if version < bound:
                return True
        elif op == "<":
            if version <= bound:
                return True
        elif op == "~=":
            head = version[:-1] if len(version) > 1 else version
            ceiling = (*head[:-1], head[-1] + 1) if head else bound
            if ceiling <= bound:
                return True
        elif op == "^":
            first = next((i for i, v in enumerate(version) if v != 0), len(version) - 1)
            ceiling = (*version[:first], version[first] + 1)
            if ceiling <= bound:
                return True
    return False


@lru_cache(maxsize=256)
def declared_torch(directory: str) -> str | None:
    """The torch specifier of the nearest directory at or above ``directory`` that declares one.

    The walk stops at the project root (a directory with `.git`, `pyproject.toml`,
    `setup.cfg` or `setup.py`).
    """
    current = Path(directory)
    for _ in range(_MAX_LEVELS):
        for pattern in _REQUIREMENT_GLOBS:
            try:
                paths = sorted(current.glob(pattern))
            except OSError:
                return None
            for path in paths:
                try:
                    text = path.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                spec = _declared_in(text, path.name == "pyproject.toml")
                if spec is not None:
                    return spec
        if current.parent == current or any(
            (current / marker).exists() for marker in _PROJECT_ROOTS
        ):
            return None
        current = current.parent
    return None


def torch_below(path: str, bound: tuple[int, ...] = (2, 6)) -> bool:
    """Whether the project of a source file declares a torch older than ``bound``."""
    if not path or path == "-":
        return False
    try:
        directory = str(Path(path).resolve().parent)
    except OSError:
        return False
    spec = declared_torch(directory)
    return spec is not None and pins_below(spec, bound)
