"""Lowering of a whole program (main module + imports) to one ir.Flow."""

from __future__ import annotations

import re
from dataclasses import replace

from flowlang import ast, ir
from flowlang.compile import codes
from flowlang.compile.decls import lower_campaign, lower_hours, lower_prompt
from flowlang.compile.exprs import TYPES, ExprLowerer, Scope, literal_value
from flowlang.compile.load import Program
from flowlang.compile.nodes import NodeCtx, lower_node
from flowlang.compile.settings import Settings
from flowlang.diagnostics import DiagnosticBag
from flowlang.source import NO_SPAN, Span

LANG_RE = re.compile(r"^[a-z]{2,3}-[A-Z][A-Za-z]{1,3}$")


def _dup(bag: DiagnosticBag, seen: dict[str, Span], what: str, name: str, span: Span) -> bool:
    if name in seen:
        bag.add(codes.DUPLICATE_ID.diag(f"{what} {name!r} is declared twice", span,
                                        related=(("first declared here", seen[name]),)))
        return True
    seen[name] = span
    return False


def lower_program(prog: Program, bag: DiagnosticBag) -> ir.Flow | None:
    """The compiled flow, or None when the program has no usable header."""
    from flowlang.syntax.fast import gc_paused

    with gc_paused():  # lowering builds no cycles; gen-2 passes over the AST cost more than the pass
        return _lower_program(prog, bag)


def _lower_program(prog: Program, bag: DiagnosticBag) -> ir.Flow | None:
    modules = prog.imported + ([prog.main] if prog.main else [])
    items = [(it) for m in modules for it in m.items]
    headers = [it for it in (prog.main.items if prog.main else ()) if isinstance(it, ast.FlowDecl)]
    if not headers:
        bag.add(codes.MISSING_HEADER.diag("this file has no `flow NAME { ... }` header",
                                          _file_start(prog)))
        return None
    for extra in headers[1:]:
        bag.add(codes.DUPLICATE_ID.diag("a file holds one flow; this is a second `flow` header", extra.span))
    header = headers[0]
    scope = Scope()
    hs = Settings(header.body, f"flow {header.name!r}", bag, ExprLowerer(scope, bag))
    languages = hs.words("languages")
    for lang in languages:
        if not LANG_RE.match(lang):
            hs.bad(hs.settings["languages"], f"{lang!r} is not a language code like zh-CN or en-US")
    entries = hs.stmts(ast.EntryStmt)
    if not languages or not entries:
        bag.add(codes.MISSING_HEADER.diag(
            f"flow {header.name!r} needs " + " and ".join(
                w for w, ok in (("`languages`", languages), ("`entry`", entries)) if not ok),
            header.span))
    defaults = ir.Defaults(hs.duration("timeout", 5.0), hs.number("retries", 3, True))
    title, version = hs.string("title", "") or "", hs.string("version", "0") or "0"
    hs.finish()
    languages = languages or ("en-US",)

    # -- declarations, with duplicate checks per namespace
    seen: dict[str, dict[str, Span]] = {k: {} for k in ("node", "prompt", "list", "hours", "var", "subflow",
                                                        "campaign")}
    lists, hours, prompts_ast, variables, nodes_ast, subflows_ast, campaigns_ast = [], [], [], [], [], [], []
    sub_prompt_ids: set[str] = set()
    for it in items:
        if isinstance(it, ast.ListDecl) and not _dup(bag, seen["list"], "list", it.name, it.span):
            lists.append(it)
        elif isinstance(it, ast.HoursDecl) and not _dup(bag, seen["hours"], "hours", it.name, it.span):
            hours.append(it)
        elif isinstance(it, ast.PromptDecl) and not _dup(bag, seen["prompt"], "prompt", it.name, it.span):
            prompts_ast.append(it)
        elif isinstance(it, ast.VarDecl) and not _dup(bag, seen["var"], "variable", it.name, it.span):
            variables.append(it)
        elif isinstance(it, ast.NodeDecl) and not _dup(bag, seen["node"], "node", it.name, it.span):
            nodes_ast.append(it)
        elif isinstance(it, ast.SubflowDecl) and not _dup(bag, seen["subflow"], "subflow", it.name, it.span):
            subflows_ast.append(it)
            for sub in it.items:
                if isinstance(sub, ast.PromptDecl) and not _dup(bag, seen["prompt"], "prompt", sub.name, sub.span):
                    sub_prompt_ids.add(sub.name)
        elif isinstance(it, ast.CampaignDecl) and not _dup(bag, seen["campaign"], "campaign", it.name, it.span):
            campaigns_ast.append(it)

    scope.lists = {l.name for l in lists}
    scope.hours = {h.name for h in hours}
    ir_vars = tuple(_lower_var(v, scope, bag) for v in variables)
    ir_lists = tuple(_lower_list(l) for l in lists)
    ir_hours = tuple(lower_hours(h, bag) for h in hours)
    ir_prompts = [lower_prompt(p, languages, scope, bag) for p in prompts_ast]

    ctx = NodeCtx(bag, scope, defaults, {p.name for p in prompts_ast} | sub_prompt_ids, {}, languages[0])
    ir_nodes = [lower_node(ctx, n) for n in nodes_ast]
    ir_subflows = []
    for sf in subflows_ast:
        sub_nodes, sub, sub_prompts = _lower_subflow(sf, ctx, bag, languages)
        ir_nodes.extend(sub_nodes)
        ir_subflows.append(sub)
        ir_prompts.extend(sub_prompts)
    _check_calls(ir_nodes, {s.name: s for s in ir_subflows}, scope, bag)

    for pid, (text, span) in ctx.inline_prompts.items():
        ir_prompts.append(lower_prompt(ast.PromptDecl(pid, (ast.PromptLine(languages[0], text, False, span),),
                                                      span, span), languages, scope, bag))
    node_ids = {n.id for n in ir_nodes}
    sub_names = {s.name for s in ir_subflows}
    for target, span, kind in ctx.targets:
        if kind == "node" and target not in node_ids:
            bag.add(codes.UNDEFINED_NODE.diag(f"no node named {target.split('.')[-1]!r}", span,
                                              hint=_suggest(target, node_ids)))
        elif kind == "subflow" and target not in sub_names:
            bag.add(codes.UNDEFINED_NAME.diag(f"no subflow named {target!r}", span))
        elif kind == "language" and target not in languages:
            bag.add(codes.UNKNOWN_LANGUAGE.diag(f"{target!r} is not one of this flow's languages "
                                                f"({', '.join(languages)})", span))
    entry = entries[0].target if entries else ""
    if entries and entry not in node_ids:
        bag.add(codes.UNDEFINED_NODE.diag(f"the entry node {entry!r} does not exist", entries[0].span,
                                          hint=_suggest(entry, node_ids)))
    ir_campaigns = tuple(lower_campaign(c, scope, node_ids, seen["list"], bag) for c in campaigns_ast)
    edges = tuple(e for e in ctx.edges if e.target in node_ids)
    return ir.Flow(
        name=header.name, title=title, version=version, languages=tuple(languages), entry=entry,
        defaults=defaults, variables=ir_vars, prompts=tuple(ir_prompts), lists=ir_lists, hours=ir_hours,
        nodes=tuple(ir_nodes), edges=edges, subflows=tuple(ir_subflows), campaigns=ir_campaigns,
        files=tuple(prog.sources), origin=header.span)


def _file_start(prog: Program) -> Span:
    name = next(iter(prog.sources), "<input>")
    return Span(name, 1, 1, 1, 1)


def _suggest(name: str, known: set[str]) -> str:
    import difflib
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"did you mean `{close[0].split('.')[-1]}`?" if close else codes.UNDEFINED_NODE.hint


def _lower_var(v: ast.VarDecl, scope: Scope, bag: DiagnosticBag) -> ir.Variable:
    typ = v.type
    if typ not in TYPES:
        bag.add(codes.TYPE_ERROR.diag(f"unknown type {typ!r}", v.span, hint="types: " + ", ".join(TYPES)))
        typ = "any"
    default = None
    if v.default is not None:
        value = _constant(v.default)
        if value is None:
            bag.add(codes.TYPE_ERROR.diag("a variable's default must be a constant", v.default.span))
        else:
            default, t = value
            if t != typ and typ != "any" and t != "null":
                bag.add(codes.TYPE_ERROR.diag(f"the default of {v.name!r} is {t}, not {typ}", v.default.span))
    scope.variables[v.name] = typ
    return ir.Variable(v.name, typ, default, v.span)


def _constant(e) -> tuple | None:
    """(value, type) of a constant expression: a literal, -number, or a list of constants."""
    if isinstance(e, ast.Literal):
        return literal_value(e)
    if isinstance(e, ast.Unary) and e.op == "-" and isinstance(e.operand, ast.Literal) \
            and e.operand.kind == "number":
        return -literal_value(e.operand)[0], "number"
    if isinstance(e, ast.ListLit):
        items = [_constant(i) for i in e.items]
        return None if any(i is None for i in items) else ([i[0] for i in items], "list")
    return None


def _lower_list(l: ast.ListDecl) -> ir.ListDef:
    vals = tuple(str(literal_value(v)[0]) for v in l.values if isinstance(v, ast.Literal))
    return ir.ListDef(l.name, l.path, vals, l.span)


def _check_calls(nodes, subs: dict[str, ir.Subflow], scope: Scope, bag: DiagnosticBag) -> None:
    """Each call passes the subflow's parameters and names only its outputs."""
    for n in nodes:
        if not isinstance(n, ir.CallNode) or n.subflow not in subs:
            continue
        sub = subs[n.subflow]
        params = {p.name for p in sub.params}
        given = [a.var for a in n.args]
        for name in given:
            if name not in params:
                bag.add(codes.BAD_CALL.diag(f"subflow {sub.name!r} has no parameter {name!r} "
                                            f"(it has: {', '.join(sorted(params)) or 'none'})", n.origin))
        for p in sub.params:
            if p.default is None and p.name not in given:
                bag.add(codes.BAD_CALL.diag(f"the call does not pass {sub.name!r}'s parameter {p.name!r}",
                                            n.origin))
        outs = {o.name for o in sub.outputs}
        for out, var in n.outputs:
            if out not in outs:
                bag.add(codes.BAD_CALL.diag(f"subflow {sub.name!r} has no output {out!r}", n.origin))
            elif not var or scope.var_type(var) is None and not var.startswith(n.id.rsplit(".", 1)[0] + "."):
                bag.add(codes.BAD_CALL.diag(f"output {out!r} goes to {var!r}, which is not a variable", n.origin))


def _lower_subflow(sf: ast.SubflowDecl, parent: NodeCtx, bag: DiagnosticBag, languages):
    scope = Scope(lists=parent.scope.lists, hours=parent.scope.hours)
    params, outputs, local, entry = [], [], [], None
    for it in sf.items:
        if isinstance(it, ast.ParamDecl):
            (outputs if it.output else params).append(
                _lower_var(ast.VarDecl(it.name, it.type, it.default, it.span), scope, bag))
        elif isinstance(it, ast.VarDecl):
            local.append(_lower_var(it, scope, bag))
        elif isinstance(it, ast.EntryStmt):
            entry = it
    prompts = [lower_prompt(it, languages, scope, bag) for it in sf.items if isinstance(it, ast.PromptDecl)]
    ctx = replace(parent, scope=scope, prefix=sf.name + ".", edges=[], targets=[])
    nodes = []
    seen: dict[str, Span] = {}
    for it in sf.items:
        if isinstance(it, ast.NodeDecl) and not _dup(bag, seen, "node", it.name, it.span):
            nodes.append(lower_node(ctx, it))
    parent.edges.extend(ctx.edges)
    parent.targets.extend(ctx.targets)
    if entry is None:
        bag.add(codes.MISSING_HEADER.diag(f"subflow {sf.name!r} needs an `entry` node", sf.span))
        entry_id = nodes[0].id if nodes else ""
    else:
        entry_id = f"{sf.name}.{entry.target}"
        parent.targets.append((entry_id, entry.span, "node"))
    return nodes, ir.Subflow(sf.name, entry_id, tuple(params), tuple(outputs), tuple(local), sf.span), prompts


__all__ = ["lower_program", "NO_SPAN"]
