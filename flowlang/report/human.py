"""Human report: compiler-style diagnostics with a code frame, carets, notes, hint and a summary.

```
flows/billing.flow:12:9: error FL203 menu choice "3" has no target
   12 |   "3" ->
      |   ^^^
   = hint: give the choice a target, e.g. `"3" -> agent_queue`
```
Carets line up in display columns: tabs expand to the next multiple of ``TAB_WIDTH`` and East
Asian wide and fullwidth characters (W/F) take two columns, combining marks none.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING

from flowlang.diagnostics import Diagnostic, Severity
from flowlang.source import NO_SPAN, Span

if TYPE_CHECKING:
    from flowlang.report import ReportInput

TAB_WIDTH = 4
GUTTER_MIN = 5  # width of the line-number gutter, as in "   12 | "

_SEVERITY_STYLE = {Severity.ERROR: "1;31", Severity.WARNING: "1;33", Severity.INFO: "1;36"}
_CLEAN_STYLE = "1;32"
_GUTTER_STYLE = "1;34"
_BOLD = "1"


def render(inp: ReportInput) -> str:
    """The whole report: one block per diagnostic, a blank line between, then the summary."""
    blocks = [render_diagnostic(d, inp.sources, inp.color) for d in inp.diagnostics]
    return "\n".join([*blocks, summary(inp) + "\n"])


def render_diagnostic(d: Diagnostic, sources: Mapping[str, str], color: bool = False) -> str:
    """One diagnostic: its header line, code frame, related notes and hint, newline-terminated."""
    style = _SEVERITY_STYLE[d.severity]
    where = _location(d.span)
    head = f"{_paint(where + ':', _BOLD, color)} " if where else ""
    lines = [f"{head}{_paint(f'{d.severity.label} {d.code}', style, color)} {d.message}"]
    lines += code_frame(d.span, sources, style, color)
    for note, span in d.related:
        at = _location(span)
        lines.append(f"{_label('note', color)} {f'{at}: ' if at else ''}{note}")
        lines += code_frame(span, sources, _GUTTER_STYLE, color)
    if d.hint:
        lines.append(f"{_label('hint', color)} {d.hint}")
    return "\n".join(lines) + "\n"


def summary(inp: ReportInput) -> str:
    """`2 errors, 1 warning in 3 files`, or `no problems in 3 files`."""
    counts = [(inp.count(s), s) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)]
    parts = [_plural(n, s.label) for n, s in counts if n]
    files = _plural(len(inp.files), "file")
    if not parts:
        return _paint(f"no problems in {files}", _CLEAN_STYLE, inp.color)
    worst = next(s for n, s in counts if n)
    return _paint(f"{', '.join(parts)} in {files}", _SEVERITY_STYLE[worst], inp.color)


def code_frame(span: Span, sources: Mapping[str, str], style: str, color: bool) -> list[str]:
    """The span's first line with carets under it; [] when the text is not at hand."""
    text = sources.get(span.file)
    lines = text.split("\n") if text is not None else []
    if not 1 <= span.line <= len(lines):
        return []
    line = lines[span.line - 1].removesuffix("\r")
    start = min(max(span.col, 1) - 1, len(line))
    end = len(line) if span.end_line > span.line else min(max(span.end_col - 1, 0), len(line))
    shown, cols = expand(line)
    pad, width = cols[start], max(1, cols[max(end, start)] - cols[start])
    gutter = max(GUTTER_MIN, len(str(span.line)))
    number = _paint(f"{span.line:>{gutter}} |", _GUTTER_STYLE, color)
    blank = _paint(" " * gutter + " |", _GUTTER_STYLE, color)
    carets = _paint("^" * width, style, color)
    return [number + (f" {shown}" if shown else ""), f"{blank} {' ' * pad}{carets}"]


def expand(line: str) -> tuple[str, list[int]]:
    """The line as displayed, and the display column where each character (and the end) starts."""
    out: list[str] = []
    cols: list[int] = []
    col = 0
    for ch in line:
        cols.append(col)
        if ch == "\t":
            width = TAB_WIDTH - col % TAB_WIDTH
            ch = " " * width
        elif unicodedata.category(ch) == "Cc":
            width, ch = 1, "\ufffd"
        else:
            width = char_width(ch)
        out.append(ch)
        col += width
    cols.append(col)
    return "".join(out), cols


def char_width(ch: str) -> int:
    """Terminal columns of one character: 2 for East Asian wide/fullwidth, 0 for combining marks."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _location(span: Span) -> str:
    return "" if span.file == NO_SPAN.file else str(span)


def _label(word: str, color: bool) -> str:
    return f"{_paint('   =', _GUTTER_STYLE, color)} {_paint(word + ':', _BOLD, color)}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _paint(text: str, style: str, color: bool) -> str:
    return f"\x1b[{style}m{text}\x1b[0m" if color else text
