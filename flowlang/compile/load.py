"""Loading: read the main file and its imports (recursively), parse each once, detect cycles."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flowlang import ast
from flowlang.compile import codes
from flowlang.diagnostics import DiagnosticBag
from flowlang.source import SourceFile, Span
from flowlang.syntax import parse_module


@dataclass
class Program:
    """The main module and every module it imports, in a deterministic order (imports first)."""

    main: ast.Module | None
    imported: list[ast.Module] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # file name -> text, for code frames


def load_program(src: SourceFile, bag: DiagnosticBag, base: Path | None = None) -> Program:
    """Parse `src` and everything it imports; paths in imports are relative to the importing file."""
    prog = Program(None)
    prog.sources[src.name] = src.text
    main = parse_module(src, bag)
    prog.main = main
    if main is None:
        return prog
    root = base if base is not None else Path(src.name).parent
    _load_imports(main, root, prog, bag, stack=[_key(Path(src.name))], done=set())
    return prog


def _key(p: Path) -> str:
    try:
        return str(p.resolve())
    except OSError:
        return str(p)


def _load_imports(module: ast.Module, here: Path, prog: Program, bag: DiagnosticBag,
                  stack: list[str], done: set[str]) -> None:
    for item in module.items:
        if not isinstance(item, ast.ImportDecl):
            continue
        path = here / item.path
        key = _key(path)
        if key in stack:
            bag.error(codes.IMPORT_CYCLE.code, f"import cycle: {item.path} imports this file again", item.span,
                      codes.IMPORT_CYCLE.hint, codes.IMPORT_CYCLE.name)
            continue
        if key in done:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            reason = "not valid UTF-8" if isinstance(e, UnicodeDecodeError) else (e.strerror or str(e))
            bag.error(codes.IMPORT_NOT_FOUND.code, f"cannot read {item.path!r}: {reason}", item.span,
                      codes.IMPORT_NOT_FOUND.hint, codes.IMPORT_NOT_FOUND.name)
            continue
        name = _display(path)
        sub = SourceFile(name, text)
        prog.sources[name] = text
        parsed = parse_module(sub, bag)
        done.add(key)
        if parsed is None:
            continue
        _load_imports(parsed, path.parent, prog, bag, stack + [key], done)
        for it in parsed.items:
            if isinstance(it, (ast.FlowDecl, ast.NodeDecl, ast.CampaignDecl)):
                bag.error("FL005", "an imported file holds only prompts, lists, hours, variables and subflows",
                          _head(it.span), "move this into the main flow file, or into a subflow",
                          "syntax.unknown_statement")
        prog.imported.append(parsed)


def _head(span: Span) -> Span:
    return Span(span.file, span.line, span.col, span.line, span.col + 1, span.start, span.start + 1)


def _display(path: Path) -> str:
    """A stable, relative-when-possible name for diagnostics."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
