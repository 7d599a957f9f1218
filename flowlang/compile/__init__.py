"""Compilation: AST -> IR, as a list of pure passes (load, lower), collecting diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flowlang import ir
from flowlang.diagnostics import Diagnostic, DiagnosticBag
from flowlang.source import SourceFile


@dataclass
class CompileResult:
    """The compiled flow (None when compilation failed), diagnostics, and the texts involved."""

    flow: ir.Flow | None
    diagnostics: list[Diagnostic]
    sources: dict[str, str] = field(default_factory=dict)
    modules: list = field(default_factory=list)  # parsed ast.Module objects, main last

    @property
    def ok(self) -> bool:
        return self.flow is not None and not any(d.severity.name == "ERROR" for d in self.diagnostics)


def compile_source(src: SourceFile, base: Path | None = None) -> CompileResult:
    """Parse, load imports and lower one flow file."""
    from flowlang.compile.load import load_program
    from flowlang.compile.lower import lower_program

    bag = DiagnosticBag()
    prog = load_program(src, bag, base)
    flow = None
    if prog.main is not None and not bag.has_errors:
        flow = lower_program(prog, bag)
    modules = prog.imported + ([prog.main] if prog.main else [])
    return CompileResult(flow if not bag.has_errors else None, bag.sorted(), prog.sources, modules)
