"""Source files and spans: where a piece of flow text came from. No dependencies."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path


@dataclass(frozen=True, order=True)
class Span:
    """A region of a source file: 1-based line/col, plus 0-based character offsets."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    start: int = 0
    end: int = 0

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "end_line": self.end_line,
            "end_col": self.end_col,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Span":
        return cls(d["file"], d["line"], d["col"], d["end_line"], d["end_col"])

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


NO_SPAN = Span("<none>", 1, 1, 1, 1)


@dataclass(frozen=True)
class SourceFile:
    """The text of one .flow file and its name as shown in diagnostics."""

    name: str
    text: str
    _line_starts: tuple[int, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def read(cls, path: str | Path) -> "SourceFile":
        p = Path(path)
        return cls(str(path), p.read_text(encoding="utf-8"))

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline ('' when out of range)."""
        lines = self.text.splitlines()
        return lines[line - 1] if 1 <= line <= len(lines) else ""

    def span_at(self, start: int, end: int | None = None) -> Span:
        """A Span for character offsets [start, end)."""
        end = start if end is None else end
        line, col = self.position(start)
        end_line, end_col = self.position(end)
        return Span(self.name, line, col, end_line, end_col, start, end)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, col) of a 0-based character offset (O(log lines))."""
        offset = max(0, min(offset, len(self.text)))
        starts = self._starts()
        line = bisect.bisect_right(starts, offset)
        return line, offset - starts[line - 1] + 1

    def line_starts(self) -> tuple[int, ...]:
        """The 0-based offset where each line starts (computed once)."""
        if not self._line_starts:
            starts = [0, *accumulate(len(line) + 1 for line in self.text.split("\n"))]
            starts.pop()  # the end of the last line: not a line start
            object.__setattr__(self, "_line_starts", tuple(starts))
        return self._line_starts

    _starts = line_starts
