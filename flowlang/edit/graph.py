"""The graph the browser draws, read from the AST (so a flow that does not compile still shows).

    graph_of(module) -> {"flow": {...}, "nodes": [...], "edges": [...], "prompts": [...], "subflows": [...]}

Each node carries its statements as canonical one-line text (printed by `flowlang.fmt`), the
events it can have (its ports) and the line range it came from (to place diagnostics on it).
"""

from __future__ import annotations

from flowlang import ast
from flowlang.edit.kinds import BY_KIND
from flowlang.edit.model import events, full_target
from flowlang.fmt import LINE, expr, quote

STMT_TYPE = {
    ast.SayStmt: "say", ast.ArrowStmt: "arrow", ast.KeyStmt: "key", ast.SpeechStmt: "speech",
    ast.IfStmt: "if", ast.ElseStmt: "else", ast.CaseStmt: "case", ast.AssignStmt: "assign",
    ast.EventSayStmt: "event_say", ast.QuestionStmt: "question", ast.SettingStmt: "setting",
    ast.EntryStmt: "entry",
}


def stmt_text(s: ast.Stmt) -> str:
    """One statement as canonical text (a question as its header line)."""
    if isinstance(s, ast.QuestionStmt):
        return f"question {s.name}"
    return LINE[type(s)](s)


def _stmt(i: int, s: ast.Stmt) -> dict:
    out: dict = {"index": i, "type": STMT_TYPE[type(s)], "text": stmt_text(s)}
    if isinstance(s, ast.SettingStmt):
        out["name"] = s.name
        out["value"] = out["text"][len(s.name):].strip()
    elif isinstance(s, (ast.SayStmt, ast.EventSayStmt)):
        out["prompts"] = [p.name for p in s.prompts if not p.inline]
        out["value"] = out["text"].split("say", 1)[1].strip()
        if isinstance(s, ast.EventSayStmt):
            out["event"] = s.event
    elif isinstance(s, (ast.KeyStmt, ast.SpeechStmt)):
        out["phrases"] = list(s.phrases)
        out["key"] = getattr(s, "key", None)
    elif isinstance(s, ast.QuestionStmt):
        out["name"] = s.name
        out["stmts"] = [_stmt(k, q) for k, q in enumerate(s.body.stmts)]
    return out


def _label(s: ast.Stmt, event: str) -> str:
    if isinstance(s, ast.KeyStmt):
        return s.key + (f" / {s.phrases[0]}" if s.phrases else "")
    if isinstance(s, ast.SpeechStmt):
        return "“" + s.phrases[0] + "”" if s.phrases else "speech"
    if isinstance(s, ast.IfStmt):
        text = expr(s.cond)
        return "if " + (text if len(text) <= 28 else text[:27] + "…")
    if isinstance(s, ast.CaseStmt):
        return ", ".join(expr(v) for v in s.values)
    return "" if event == "next" else event


def _outcomes(module: ast.Module) -> dict[str, list[str]]:
    """Each subflow's return outcomes: the events of a `call` of it."""
    out: dict[str, list[str]] = {}
    for item in module.items:
        if isinstance(item, ast.SubflowDecl):
            found = out.setdefault(item.name, [])
            for n in item.items:
                if isinstance(n, ast.NodeDecl) and n.kind == "return":
                    for s in n.body.stmts:
                        if isinstance(s, ast.SettingStmt) and s.name == "outcome" and s.args:
                            found.append(expr(s.args[0]) if not isinstance(s.args[0], ast.Word) else s.args[0].text)
    return out


def _ports(n: ast.NodeDecl, evs: list[tuple[int, str]], outcomes: dict[str, list[str]]) -> list[str]:
    """The events a node can have: its kind's, plus those its statements already define."""
    kind = BY_KIND.get(n.kind)
    ports = [e for _, e in evs if e.startswith(("key:", "speech:", "if:", "case:"))]
    if n.kind == "call":
        sub = next((s for s in n.body.stmts if isinstance(s, ast.SettingStmt) and s.name == "subflow"), None)
        name = expr(sub.args[0]) if sub is not None and sub.args and not isinstance(sub.args[0], ast.Word) else ""
        ports += outcomes.get(name, [])
    ports += list(kind.events if kind else ())
    ports += [e for _, e in evs if e not in ports]
    return list(dict.fromkeys(ports))


def _node(n: ast.NodeDecl, sub: str | None, outcomes: dict[str, list[str]]) -> tuple[dict, list[dict]]:
    nid = full_target(sub, n.name)
    stmts = n.body.stmts
    evs = events(stmts) if n.kind != "language" else [
        (i, e) for i, e in events(stmts) if isinstance(stmts[i], ast.ArrowStmt)]
    edges = [{"id": f"{nid}|{e}", "source": nid, "target": full_target(sub, stmts[i].target), "event": e,
              "label": _label(stmts[i], e), "index": i} for i, e in evs]
    say = [p for s in stmts if isinstance(s, ast.SayStmt) for p in s.prompts]
    node = {
        "id": nid, "kind": n.kind, "name": n.name, "subflow": sub,
        "line": n.span.line, "end_line": n.span.end_line,
        "stmts": [_stmt(i, s) for i, s in enumerate(stmts)],
        "say": [quote(p.name) if p.inline else p.name for p in say],
        "ports": _ports(n, evs, outcomes),
    }
    return node, edges


def _prompt(p: ast.PromptDecl, sub: str | None) -> dict:
    return {"name": p.name, "subflow": sub, "line": p.span.line,
            "lines": [{"lang": ln.lang, "text": ln.text, "audio": ln.audio} for ln in p.lines]}


def _flow(module: ast.Module) -> dict:
    decl = next((i for i in module.items if isinstance(i, ast.FlowDecl)), None)
    if decl is None:
        return {"name": None, "languages": [], "entry": None, "stmts": []}
    stmts = decl.body.stmts
    langs = next((s for s in stmts if isinstance(s, ast.SettingStmt) and s.name == "languages"), None)
    entry = next((s.target for s in stmts if isinstance(s, ast.EntryStmt)), None)
    return {"name": decl.name, "line": decl.span.line, "end_line": decl.span.end_line,
            "languages": [a.text if isinstance(a, ast.Word) else expr(a) for a in (langs.args if langs else ())],
            "entry": entry, "stmts": [_stmt(i, s) for i, s in enumerate(stmts)]}


def graph_of(module: ast.Module) -> dict:
    """The editor's view of a parsed module."""
    outcomes = _outcomes(module)
    nodes: list[dict] = []
    edges: list[dict] = []
    prompts: list[dict] = []
    subflows: list[dict] = []
    scopes = [(None, module.items)] + [(i.name, i.items) for i in module.items if isinstance(i, ast.SubflowDecl)]
    for sub, items in scopes:
        for item in items:
            if isinstance(item, ast.NodeDecl):
                node, out = _node(item, sub, outcomes)
                nodes.append(node)
                edges += out
            elif isinstance(item, ast.PromptDecl):
                prompts.append(_prompt(item, sub))
            elif isinstance(item, ast.SubflowDecl):
                entry = next((i.target for i in item.items if isinstance(i, ast.EntryStmt)), None)
                subflows.append({"name": item.name, "entry": entry and full_target(item.name, entry),
                                 "line": item.span.line, "end_line": item.span.end_line})
    ids = {n["id"] for n in nodes}
    for e in edges:
        e["missing"] = e["target"] not in ids
    return {"flow": _flow(module), "nodes": nodes, "edges": edges, "prompts": prompts, "subflows": subflows}


def node_at_line(graph: dict, line: int) -> str | None:
    """The innermost node whose text covers a line (diagnostics are placed on it)."""
    best = None
    for n in graph["nodes"]:
        if n["line"] <= line <= n["end_line"] and (best is None or n["line"] >= best["line"]):
            best = n
    if best is None and graph["flow"].get("line") and graph["flow"]["line"] <= line <= graph["flow"]["end_line"]:
        return "@flow"
    return best["id"] if best else None
