"""Golden files for parse, compile and validate, found by file name: <case>.flow -> <case>.<ext>."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from flowlang import api, ast
from flowlang.report import ReportInput, render
from flowlang.source import SourceFile

HERE = Path(__file__).parent


def dump_ast(node, indent: int = 0) -> str:
    """A readable tree: class name, fields, and each node's line:col."""
    pad = "  " * indent
    if isinstance(node, tuple):
        return "".join(dump_ast(n, indent) for n in node)
    if not dataclasses.is_dataclass(node):
        return f"{pad}{node!r}\n"
    span = getattr(node, "span", None)
    where = f" @{span.line}:{span.col}-{span.end_line}:{span.end_col}" if span else ""
    simple, nested = [], []
    for f in dataclasses.fields(node):
        if f.name in ("span", "end"):
            continue
        v = getattr(node, f.name)
        if dataclasses.is_dataclass(v) or (isinstance(v, tuple) and v and dataclasses.is_dataclass(v[0])):
            nested.append((f.name, v))
        else:
            simple.append(f"{f.name}={v!r}")
    out = f"{pad}{type(node).__name__}{where} {' '.join(simple)}".rstrip() + "\n"
    for name, v in nested:
        out += f"{pad}  .{name}:\n" + dump_ast(v, indent + 2)
    return out


def cases(stage: str) -> list[Path]:
    return sorted((HERE / stage).glob("*.flow"))


@pytest.mark.parametrize("case", cases("parse"), ids=lambda p: p.stem)
def test_parse(case: Path, golden) -> None:
    module, diags = api.parse(SourceFile(case.name, case.read_text(encoding="utf-8")))
    text = dump_ast(module) if module else ""
    text += "".join(f"{d.span}: {d.code} {d.message}\n" for d in diags)
    golden(case.with_suffix(".ast.txt"), text)


@pytest.mark.parametrize("case", cases("compile"), ids=lambda p: p.stem)
def test_compile(case: Path, golden) -> None:
    result = api.compile(SourceFile(f"tests/golden/compile/{case.name}", case.read_text(encoding="utf-8")))
    assert result.flow is not None, [str(d) for d in result.diagnostics]
    golden(case.with_suffix(".ir.json"), result.flow.to_json())


@pytest.mark.parametrize("case", cases("validate"), ids=lambda p: p.stem)
def test_validate(case: Path, golden) -> None:
    name = f"tests/golden/validate/{case.name}"
    result = api.validate(SourceFile(name, case.read_text(encoding="utf-8")))
    golden(case.with_suffix(".txt"), render("human", ReportInput(result.diagnostics, result.sources, [name])))
