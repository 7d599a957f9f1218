"""The library's front door: each stage named and callable alone. Only this layer raises FlowError.

    >>> from flowlang import api
    >>> result = api.validate("flows/bank_service.flow")
    >>> result.ok, [d.code for d in result.diagnostics]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flowlang import ast, ir
from flowlang.compile import CompileResult, compile_source
from flowlang.diagnostics import Diagnostic, DiagnosticBag, FlowError, Severity
from flowlang.source import SourceFile
from flowlang.validate.config import Config, find_config, load_config
from flowlang.validate.run import apply_policy, parse_suppressions, run_rules


@dataclass
class ValidationResult:
    """A flow checked end to end: the compiled IR (if any) and every diagnostic, policy applied."""

    path: str
    flow: ir.Flow | None
    diagnostics: list[Diagnostic]
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def ok(self) -> bool:
        return self.errors == 0


def read_source(path: str | Path) -> SourceFile:
    """A SourceFile; raises OSError/UnicodeDecodeError for the CLI to report as an I/O error."""
    return SourceFile(str(path), Path(path).read_text(encoding="utf-8"))


def parse(src: SourceFile) -> tuple[ast.Module | None, list[Diagnostic]]:
    """Text -> AST (None on syntax errors)."""
    from flowlang.syntax import parse_module

    bag = DiagnosticBag()
    return parse_module(src, bag), bag.sorted()


def compile(src: SourceFile | str | Path) -> CompileResult:  # noqa: A001 - the stage's name
    """Text (with imports) -> IR, with compile diagnostics."""
    if not isinstance(src, SourceFile):
        src = read_source(src)
    return compile_source(src)


def compile_or_raise(src: SourceFile | str | Path) -> ir.Flow:
    """The IR, or FlowError carrying the diagnostics."""
    result = compile(src)
    if not result.ok or result.flow is None:
        raise FlowError([d for d in result.diagnostics if d.severity is Severity.ERROR] or result.diagnostics)
    return result.flow


def config_for(path: str | Path, explicit: Path | None = None) -> Config:
    """The flowlang.toml that applies to a flow file (explicit, else the nearest one up)."""
    return load_config(explicit if explicit is not None else find_config(Path(path).parent))


def validate(src: SourceFile | str | Path, config: Config | None = None) -> ValidationResult:
    """Compile and run every rule; configured severities and inline suppressions applied."""
    if not isinstance(src, SourceFile):
        src = read_source(src)
    config = config if config is not None else config_for(src.name)
    result = compile_source(src)
    diags = list(result.diagnostics)
    suppressions = []
    for module in result.modules:
        sups, problems = parse_suppressions(module.comments)
        suppressions.extend(sups)
        diags.extend(problems)
    if result.flow is None:  # compilation failed: its errors stand, whatever the configuration says
        if _library(result):  # named on its own (`flowc validate flows/*.flow`): its syntax was checked
            diags = [d for d in diags if d.code != "FL111"]
        return ValidationResult(src.name, None, diags, result.sources)
    from dataclasses import replace

    from flowlang.analysis.durations import durations_for

    measured = durations_for(src.name, result.flow.name) if not config.prompt_durations else {}
    if measured:
        config = replace(config, prompt_durations=measured)
    diags.extend(run_rules(result.flow, config))
    return ValidationResult(src.name, result.flow, apply_policy(diags, config, suppressions), result.sources)


def _library(result: CompileResult) -> bool:
    """A file with no `flow` header that holds only what an imported file may hold (prompts,
    lists, hours, variables, subflows), and no error but the missing header: a library, whose
    names are checked through the flows that import it."""
    if not result.modules or any(d.severity is Severity.ERROR and d.code != "FL111" for d in result.diagnostics):
        return False
    return not any(isinstance(it, (ast.FlowDecl, ast.NodeDecl, ast.CampaignDecl)) for it in result.modules[-1].items)


_HEADER = __import__("re").compile(r"^flow\s+[A-Za-z_]", __import__("re").M)


def discover(paths: list[str | Path]) -> list[Path]:
    """Flow files named, or found in folders (recursively): files with a `flow` header.

    Files without a header are libraries (imported by others) and are checked through them.
    Raises FileNotFoundError for a path that does not exist.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*.flow")):
                try:
                    if _HEADER.search(f.read_text(encoding="utf-8")):
                        out.append(f)
                except (OSError, UnicodeDecodeError):
                    out.append(f)  # let the caller report it as an I/O error
        elif p.exists():
            out.append(p)
        else:
            raise FileNotFoundError(str(p))
    return out
