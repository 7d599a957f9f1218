"""Every diagnostic code has a failing and a passing case file under tests/rules/cases/.

A case is `<CODE>-fail.flow` / `<CODE>-pass.flow` (or a folder `<CODE>-fail/` with `main.flow`, for
imports). In a failing case, mark each line where the diagnostic must start with a trailing
`# expect: FL201` comment, or put `# expect-below: FL201` on the line above (for lines that
cannot hold a comment). A `<CODE>.toml` beside them is used as flowlang.toml for both cases.
The passing case must produce no diagnostic of that code (other codes may appear).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flowlang import api
from flowlang.validate.config import Config, load_config
from flowlang.validate.registry import RULES
from flowlang.validate.run import load_rules

CASES = Path(__file__).parent / "cases"
EXPECT = re.compile(r"#\s*expect(-below)?:\s*([A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*)")

load_rules()  # register every rule before parametrizing
CODES = sorted(c for c in RULES if not c.startswith(("FL9", "FL6")))  # FL6xx lint .conf files: tests/codegen


def _case(code: str, kind: str) -> Path | None:
    f = CASES / f"{code}-{kind}.flow"
    d = CASES / f"{code}-{kind}" / "main.flow"
    return f if f.exists() else d if d.exists() else None


def _config(code: str) -> Config:
    toml = CASES / f"{code}.toml"
    return load_config(toml) if toml.exists() else Config()


def _expected(path: Path, code: str) -> set[tuple[str, int]]:
    out = set()
    for folder_file in ([path] if path.name != "main.flow" else sorted(path.parent.glob("*.flow"))):
        for i, line in enumerate(folder_file.read_text(encoding="utf-8").splitlines(), 1):
            for m in EXPECT.finditer(line):
                if code in [c.strip() for c in m.group(2).split(",")]:
                    out.add((folder_file.name, i + 1 if m.group(1) else i))
    return out


@pytest.mark.parametrize("code", CODES)
def test_failing_case_reports_the_code_where_marked(code: str) -> None:
    path = _case(code, "fail")
    assert path is not None, f"add tests/rules/cases/{code}-fail.flow"
    result = api.validate(path, _config(code))
    got = {(Path(d.span.file).name, d.span.line) for d in result.diagnostics if d.code == code}
    want = _expected(path, code)
    assert want, f"{path.name} marks no line with `# expect: {code}`"
    assert got == want, "\n".join(f"{d.span}: {d.code} {d.message}" for d in result.diagnostics)
    for d in result.diagnostics:
        if d.code == code:
            assert d.message and d.hint, f"{code} needs a message and a hint"


@pytest.mark.parametrize("code", CODES)
def test_passing_case_is_clean_of_the_code(code: str) -> None:
    path = _case(code, "pass")
    assert path is not None, f"add tests/rules/cases/{code}-pass.flow"
    result = api.validate(path, _config(code))
    bad = [f"{d.span}: {d.code} {d.message}" for d in result.diagnostics if d.code == code]
    assert not bad, "\n".join(bad)


def test_every_rule_has_metadata() -> None:
    for r in RULES.values():
        if r.code.startswith("FL99"):
            continue
        assert re.fullmatch(r"FL\d{3}", r.code)
        assert r.name and "." in r.name, r.code
        assert r.summary and r.hint, r.code
