"""docs/rules.md is generated from the rule registry and must not go stale."""

from __future__ import annotations

import difflib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flowlang.validate.docs import REGENERATE, render_rules_markdown
from flowlang.validate.registry import RULES
from flowlang.validate.run import load_rules

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "rules.md"


def test_docs_rules_md_is_up_to_date() -> None:
    want = render_rules_markdown()
    have = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if have != want:
        diff = difflib.unified_diff(have.splitlines(), want.splitlines(), "docs/rules.md", "generated",
                                    lineterm="", n=1)
        pytest.fail(f"docs/rules.md is stale; regenerate it with:\n    {REGENERATE}\n\n"
                    + "\n".join(list(diff)[:40]), pytrace=False)


def test_every_code_has_a_table_row_and_a_section() -> None:
    load_rules()
    text = render_rules_markdown()
    for code, r in RULES.items():
        if r.family == "deployment":  # FL6xx: `flowc check-asterisk`, documented in docs/asterisk.md
            assert f"### {code}" not in text
            continue
        assert f"| [{code}](#{code.lower()}) | `{r.name}` | {r.severity.label} |" in text, code
        assert re.search(rf"^### {code}$", text, re.M), code
        section = text.split(f"\n### {code}\n", 1)[1].split("\n### ", 1)[0]
        assert r.summary in section and r.hint in section, code


def test_sections_say_how_to_configure_and_suppress() -> None:
    text = render_rules_markdown()
    section = text.split("\n### FL401\n", 1)[1].split("\n### ", 1)[0]
    assert "**Anti-pattern:**" in section and "**Best practice:**" in section
    assert '`FL401 = "off"`' in section and "`# flowc: ignore FL401 -- reason`" in section
    compile_error = text.split("\n### FL101\n", 1)[1].split("\n### ", 1)[0]
    assert "stops compilation" in compile_error and "flowc: ignore" not in compile_error


def test_families_are_grouped_in_code_order() -> None:
    text = render_rules_markdown()
    index = text.split("## All codes", 1)[1]
    families = re.findall(r"^### (.+)$", index.split("\n## ", 1)[0], re.M)
    assert families[:2] == ["Syntax", "Names and types"]
    codes = re.findall(r"^\| \[(FL\d{3})\]", index, re.M)
    assert codes == sorted(codes)


def test_output_does_not_depend_on_what_else_was_imported() -> None:
    before = render_rules_markdown()
    import flowlang.codegen.codes  # noqa: F401  (declares FL6xx in the same registry)

    assert render_rules_markdown() == before


def test_module_prints_the_document() -> None:
    out = subprocess.run([sys.executable, "-m", "flowlang.validate.docs"], cwd=ROOT, capture_output=True,
                         check=True)
    assert out.stdout.decode("utf-8") == render_rules_markdown()
