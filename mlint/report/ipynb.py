"""Where a notebook cell's line sits in the ``.ipynb`` file itself.

CI annotations (GitHub, GitLab, SARIF, JUnit, pylint) point at lines of the file on disk.
A diagnostic's line counts inside its cell; this maps it to the line of the JSON string
that holds that source line, so an annotation never lands on an unrelated line.
"""

from __future__ import annotations

import json
import re

_WHITESPACE = re.compile(r"[ \t\r\n]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"[^,\]}\s]+")


class _Scanner:
    """A JSON reader that records where each string of ``cells[i].source`` starts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        # (cell index, source part index) -> offset of the part's opening quote
        self.sources: dict[int, list[int]] = {}

    def skip(self) -> None:
        self.pos = _WHITESPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def value(self, path: tuple[object, ...]) -> None:
        self.skip()
        char = self.text[self.pos : self.pos + 1]
        if char == "{":
            self.pos += 1
            self.skip()
            if self.text.startswith("}", self.pos):
                self.pos += 1
                return
            while True:
                self.skip()
                key = self.string()
                self.skip()
                self.expect(":")
                self.value((*path, key))
                self.skip()
                if self.text.startswith(",", self.pos):
                    self.pos += 1
                    continue
                self.expect("}")
                return
        if char == "[":
            self.pos += 1
            self.skip()
            if self.text.startswith("]", self.pos):
                self.pos += 1
                return
            index = 0
            while True:
                self.value((*path, index))
                index += 1
                self.skip()
                if self.text.startswith(",", self.pos):
                    self.pos += 1
                    continue
                self.expect("]")
                return
        if char == '"':
            start = self.pos
            self.string()
            if len(path) >= 3 and path[0] == "cells" and path[2] == "source":
                cell = path[1]
                assert isinstance(cell, int)
                self.sources.setdefault(cell, []).append(start)
            return
        match = _SCALAR.match(self.text, self.pos)
        if match is None:
            raise ValueError("not JSON")
        self.pos = match.end()

    def string(self) -> str:
        match = _STRING.match(self.text, self.pos)
        if match is None:
            raise ValueError("not JSON")
        self.pos = match.end()
        decoded: str = json.loads(match.group())
        return decoded

    def expect(self, char: str) -> None:
        if not self.text.startswith(char, self.pos):
            raise ValueError("not JSON")
        self.pos += 1


class NotebookLines:
    """Maps ``(cell, line in cell)`` to the 1-based line of the ``.ipynb`` file."""

    def __init__(self, text: str) -> None:
        scanner = _Scanner(text)
        scanner.value(())
        self._text = text
        self._sources = scanner.sources

    @classmethod
    def of(cls, text: str | None) -> NotebookLines | None:
        if text is None:
            return None
        try:
            return cls(text)
        except (ValueError, RecursionError, IndexError):
            return None

    def file_line(self, cell: int, line: int) -> int | None:
        """The file line of 1-based ``line`` of 1-based ``cell``; ``None`` if unknown."""
        starts = self._sources.get(cell - 1)
        if not starts:
            return None
        # With `source` as a list, each part holds one line; a single string holds them all.
        part = starts[min(line - 1, len(starts) - 1)] if len(starts) > 1 else starts[0]
        return self._text.count("\n", 0, part) + 1
