"""A reader for Asterisk's .conf format (sections, `key = value`, `;` comments), keeping positions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flowlang.source import Span

_SECTION = re.compile(r"^\s*\[([^\]]*)\]")
_OPTION = re.compile(r"^(\s*)([^=\s][^=]*?)\s*=>?\s*(.*)$")


@dataclass(frozen=True)
class Option:
    """`key = value` (or `key => value`) with the span of its line."""

    key: str
    value: str
    span: Span


@dataclass(frozen=True)
class Section:
    """`[name]` and the options under it; `get` answers with the last setting of a key, as Asterisk does."""

    name: str
    span: Span
    options: tuple[Option, ...] = ()

    def get(self, key: str) -> Option | None:
        found = [o for o in self.options if o.key.lower() == key.lower()]
        return found[-1] if found else None

    def value(self, key: str, default: str = "") -> str:
        opt = self.get(key)
        return opt.value if opt is not None else default


@dataclass(frozen=True)
class ConfFile:
    """A parsed config file: its sections in order (options before any section go under name "")."""

    name: str
    sections: tuple[Section, ...]

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name.lower() == name.lower()), None)


def _strip_comment(line: str, in_block: bool) -> tuple[str, bool]:
    """The line without comments (`;` to the end, `;-- ... --;` blocks); `\\;` is a literal ';'."""
    out, i = [], 0
    while i < len(line):
        if in_block:
            end = line.find("--;", i)
            if end < 0:
                return "".join(out), True
            i, in_block = end + 3, False
            continue
        ch = line[i]
        if ch == "\\" and line[i + 1:i + 2] == ";":
            out.append(";")
            i += 2
        elif line.startswith(";--", i):
            i, in_block = i + 3, True
        elif ch == ";":
            break
        else:
            out.append(ch)
            i += 1
    return "".join(out), in_block


def parse_conf(name: str, text: str) -> ConfFile:
    """Parse Asterisk config text; lines it does not understand (#include, junk) are skipped."""
    sections: list[Section] = []
    current_name, current_span, options = "", Span(name, 1, 1, 1, 1), []
    in_block = False
    for lineno, raw in enumerate(text.splitlines(), 1):
        line, in_block = _strip_comment(raw, in_block)
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        span = Span(name, lineno, len(raw) - len(raw.lstrip()) + 1, lineno, len(raw.rstrip()) + 1)
        m = _SECTION.match(line)
        if m:
            if current_name or options:
                sections.append(Section(current_name, current_span, tuple(options)))
            current_name, current_span, options = m.group(1).strip(), span, []
            continue
        m = _OPTION.match(line)
        if m:
            options.append(Option(m.group(2).strip(), m.group(3).strip(), span))
    if current_name or options:
        sections.append(Section(current_name, current_span, tuple(options)))
    return ConfFile(name, tuple(sections))
