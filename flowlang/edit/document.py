"""A flow's text analysed for the editor: parse, format, compile, validate, and the graph view.

    analyze(path, text, root) -> {"text", "parsed", "ir", "graph", "diagnostics"}
    apply_ops(path, text, ops, root) -> the same for the canonical text after the edits

Diagnostics are `Diagnostic.to_dict()` with the file relative to the served folder and `node`: the
id of the node whose text they point into (None for the header, other files, or no node).
"""

from __future__ import annotations

import json
from pathlib import Path

from flowlang import api
from flowlang.diagnostics import Diagnostic
from flowlang.edit.graph import graph_of, node_at_line
from flowlang.edit.ops import apply_all
from flowlang.fmt import format_module
from flowlang.source import SourceFile
from flowlang.validate.config import ConfigError


class SyntaxErrors(ValueError):
    """The text does not parse: ops cannot be applied and it cannot be formatted."""

    def __init__(self, diagnostics: list[dict]):
        super().__init__("the flow has syntax errors")
        self.diagnostics = diagnostics


def _rel(name: str, root: Path) -> str:
    try:
        return Path(name).resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return name


def _diag(d: Diagnostic, path: Path, root: Path, graph: dict | None) -> dict:
    out = d.to_dict()
    own = Path(d.span.file).resolve() == path if d.span.file not in ("", "<none>") else False
    out["file"] = _rel(d.span.file, root)
    out["node"] = node_at_line(graph, d.span.line) if own and graph is not None else None
    out["here"] = own
    return out


def analyze(path: Path, text: str, root: Path) -> dict:
    """Everything the editor shows for one flow's text (the text itself is not changed)."""
    src = SourceFile(str(path), text)
    module, parse_diags = api.parse(src)
    if module is None:
        return {"text": text, "parsed": False, "ir": None, "graph": None,
                "diagnostics": [_diag(d, path, root, None) for d in parse_diags]}
    graph = graph_of(module)
    try:
        result = api.validate(src, api.config_for(path))
        diags, flow = result.diagnostics, result.flow
    except ConfigError as e:
        diags, flow = list(parse_diags), None
        graph["config_error"] = str(e)
    ir = json.loads(flow.to_json()) if flow is not None else None
    ordered = sorted(set(diags), key=Diagnostic.sort_key)
    return {"text": text, "parsed": True, "ir": ir, "graph": graph,
            "canonical": format_module(module) == text,
            "diagnostics": [_diag(d, path, root, graph) for d in ordered]}


def apply_ops(path: Path, text: str, ops: list[dict], root: Path) -> dict:
    """Apply edits to the text's AST and analyse the canonical text that results (OpError, SyntaxErrors)."""
    src = SourceFile(str(path), text)
    module, diags = api.parse(src)
    if module is None:
        raise SyntaxErrors([_diag(d, path, root, None) for d in diags])
    return analyze(path, format_module(apply_all(module, ops)), root)


def canonical(path: Path, text: str, root: Path) -> str:
    """The formatted text (SyntaxErrors when it does not parse)."""
    src = SourceFile(str(path), text)
    module, diags = api.parse(src)
    if module is None:
        raise SyntaxErrors([_diag(d, path, root, None) for d in diags])
    return format_module(module)
