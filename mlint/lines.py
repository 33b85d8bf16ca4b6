"""Line tables: character offsets to and from 1-based lines, as Python counts lines."""

from __future__ import annotations

import bisect
import re

from mlint.types import Edit, Location

LINE_BREAK = re.compile(r"\r\n|\r|\n")


class LineOffsets:
    """The start offset of every line of a text (``\\r\\n``, ``\\r`` and ``\\n`` all end one)."""

    def __init__(self, text: str) -> None:
        self.length = len(text)
        self.starts = [0, *(m.end() for m in LINE_BREAK.finditer(text))]

    def __call__(self, line: int, column: int) -> int:
        """The offset of a 1-based line and 0-based column."""
        return self.starts[line - 1] + column

    def location(self, offset: int) -> Location:
        """The 1-based line and 1-based column of an offset (clamped to the text)."""
        offset = max(0, min(offset, self.length))
        index = bisect.bisect_right(self.starts, offset) - 1
        return Location(index + 1, offset - self.starts[index] + 1)


class LineEndings:
    """A text with every line break made ``\\n``, and the way back to the original's offsets.

    Rules analyse the ``\\n`` text (``text``); an edit computed on it is turned into one on
    the original (``source``) by ``edit``, its inserted lines ending as the file's do.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        first = LINE_BREAK.search(source)
        # The file's own line ending: its first, as ruff and libcst take it.
        self.newline = first.group() if first else "\n"
        # Offsets in ``text`` of each ``\n`` that was ``\r\n`` in ``source``.
        self._joined: list[int] = []
        if "\r" not in source:
            self.text = source
            return
        self.text = LINE_BREAK.sub("\n", source)
        for removed, match in enumerate(re.finditer("\r\n", source)):
            self._joined.append(match.start() - removed)

    @property
    def identity(self) -> bool:
        """Whether ``text`` is ``source`` and inserted text keeps its ``\\n``."""
        return self.newline == "\n" and self.text is self.source

    def offset(self, offset: int) -> int:
        """The offset in ``source`` of an offset in ``text`` (a ``\\r\\n`` stays whole)."""
        return offset + bisect.bisect_left(self._joined, offset)

    def edit(self, edit: Edit) -> Edit:
        """``edit`` on ``text`` as an edit on ``source``."""
        content = edit.content
        if self.newline != "\n":
            content = content.replace("\n", self.newline)
        return Edit(self.offset(edit.start), self.offset(edit.end), content)
