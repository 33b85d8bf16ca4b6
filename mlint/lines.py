"""Line tables: character offsets to and from 1-based lines, as Python counts lines."""

from __future__ import annotations

import bisect
import re

from mlint.types import Location

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
