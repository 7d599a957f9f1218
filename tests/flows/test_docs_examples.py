"""Every ```flow example in docs/language.md compiles with no error.

How a fenced ```flow block is read depends on the HTML comment on the line before it:

- no comment: a complete flow file (it has a `flow NAME { ... }` header);
- `<!-- fragment -->`: declarations and nodes without a header; the test puts a minimal header in
  front (languages zh-CN, en-US; entry = the fragment's first node, or a `hangup` added for a
  fragment that declares no node);
- `<!-- file: NAME.flow -->`: a library file that later examples import; it is written next to
  them and checked through the flows that import it;
- `<!-- broken: FL### -->`: a deliberate mistake (the "common mistakes" section): it must report
  that code (xfail, strict, while the code's rule is not registered).

Examples are validated with the settings of flows/flowlang.toml (the examples' project), so the
allowlists in the docs are the real ones. Warnings are allowed (a two-line menu example is not a
whole flow); errors never are. The showcase flows (`hotline`, `pin_demo`) must be entirely clean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from flowlang import api
from flowlang.diagnostics import Severity
from flowlang.validate.config import load_config
from flowlang.validate.registry import RULES
from flowlang.validate.run import load_rules

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "language.md"
CONFIG = load_config(ROOT / "flows" / "flowlang.toml")
FENCE = re.compile(r"(?:<!--\s*(?P<marker>[^>]*?)\s*-->\s*\n)?```flow\n(?P<body>.*?)```", re.S)
NODE = re.compile(r"^(play|menu|collect|set|branch|switch|goto|call|language|fetch|lookup|record|transfer"
                  r"|hangup|queue|survey)\s+([A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff]*)\s*\{", re.M)
HEADER = re.compile(r"^flow\s+\w+\s*\{", re.M)

load_rules()


@dataclass(frozen=True)
class Example:
    """One fenced block of the doc: its kind, text and the line it starts on."""

    kind: str  # "flow", "fragment", "file", "broken"
    text: str
    line: int
    name: str = ""  # the file name (file) or the expected code (broken)


def examples() -> list[Example]:
    doc = DOC.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(doc):
        marker = (m.group("marker") or "").strip()
        line = doc.count("\n", 0, m.start("body")) + 1
        body = m.group("body")
        if marker == "fragment":
            out.append(Example("fragment", body, line))
        elif marker.startswith("file:"):
            out.append(Example("file", body, line, marker.split(":", 1)[1].strip()))
        elif marker.startswith("broken:"):
            out.append(Example("broken", body, line, marker.split(":", 1)[1].strip()))
        else:
            out.append(Example("flow", body, line))
    return out


EXAMPLES = examples()


def wrap(fragment: str) -> str:
    """A fragment with a minimal header whose entry is the fragment's first node."""
    m = NODE.search(fragment)
    entry = m.group(2) if m else "doc_end"
    tail = "" if m else "\nhangup doc_end {\n}\n"
    return f"flow doc_fragment {{\n  languages zh-CN, en-US\n  entry {entry}\n}}\n\n{fragment}{tail}"


def _write(tmp_path: Path, ex: Example) -> Path:
    for lib in EXAMPLES:
        if lib.kind == "file":
            (tmp_path / lib.name).write_text(lib.text, encoding="utf-8")
    text = wrap(ex.text) if ex.kind == "fragment" else ex.text
    path = tmp_path / f"doc_line_{ex.line}.flow"
    path.write_text(text, encoding="utf-8")
    return path


def _show(result: api.ValidationResult) -> str:
    return "\n".join(f"  {d.span.line}:{d.span.col} {d.severity.label} {d.code} {d.message}"
                     for d in result.diagnostics) or "  (no diagnostics)"


def test_the_doc_has_examples_of_every_kind() -> None:
    kinds = {e.kind for e in EXAMPLES}
    assert kinds == {"flow", "fragment", "file", "broken"}, kinds
    assert len([e for e in EXAMPLES if e.kind in ("flow", "fragment")]) >= 30


def test_complete_examples_have_a_header_and_fragments_do_not() -> None:
    for e in EXAMPLES:
        has = bool(HEADER.search(e.text))
        assert has == (e.kind in ("flow", "broken")), f"docs/language.md:{e.line}: mark it or fix its header"


@pytest.mark.parametrize("ex", [e for e in EXAMPLES if e.kind in ("flow", "fragment")],
                         ids=lambda e: f"{e.kind}@line{e.line}")
def test_example_compiles_without_errors(ex: Example, tmp_path: Path) -> None:
    result = api.validate(_write(tmp_path, ex), CONFIG)
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert result.flow is not None and not errors, f"docs/language.md:{ex.line}\n" + _show(result)


SHOWCASES = ("hotline", "pin_demo")  # whole, realistic flows: held to the standard of flows/*.flow


@pytest.mark.parametrize("name", SHOWCASES)
def test_showcase_examples_have_no_diagnostics(name: str, tmp_path: Path) -> None:
    found = [e for e in EXAMPLES if e.kind == "flow" and re.search(rf"^flow\s+{name}\s*\{{", e.text, re.M)]
    assert len(found) == 1, f"docs/language.md should hold one `flow {name}` example"
    result = api.validate(_write(tmp_path, found[0]), CONFIG)
    assert result.flow is not None and result.diagnostics == [], \
        f"docs/language.md:{found[0].line}\n" + _show(result)


def _broken() -> list:
    out = []
    for e in EXAMPLES:
        if e.kind != "broken":
            continue
        marks = () if e.name in RULES else (pytest.mark.xfail(strict=True, reason=f"rule not yet registered ({e.name})"),)
        out.append(pytest.param(e, id=f"{e.name}@line{e.line}", marks=marks))
    return out


@pytest.mark.parametrize("ex", _broken())
def test_mistake_example_reports_its_code(ex: Example, tmp_path: Path) -> None:
    result = api.validate(_write(tmp_path, ex), CONFIG)
    assert ex.name in {d.code for d in result.diagnostics}, f"docs/language.md:{ex.line}\n" + _show(result)


def test_rule_links_name_registered_codes() -> None:
    doc = DOC.read_text(encoding="utf-8")
    linked = set(re.findall(r"\[(FL\d{3})\]\(rules\.md#(fl\d{3})\)", doc))
    assert linked, "the doc links no rule"
    for code, anchor in linked:
        assert anchor == code.lower() and code in RULES, f"docs/language.md links {code} (#{anchor})"


def test_common_mistakes_cover_every_validator_rule() -> None:
    doc = DOC.read_text(encoding="utf-8")
    section = doc[doc.index("## Common mistakes"):doc.index("## Known limitations")]
    mentioned = set(re.findall(r"FL\d{3}", section))
    validator_rules = {c for c, r in RULES.items() if r.check is not None and not c.startswith("FL9")}
    assert validator_rules <= mentioned, f"add to the common mistakes: {sorted(validator_rules - mentioned)}"
