"""Lowering of node blocks: one function per node kind, dispatched by table (NODE_LOWERING)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from flowlang import ast, ir
from flowlang.compile import codes
from flowlang.compile.exprs import ExprLowerer, Scope, literal_value
from flowlang.compile.settings import Settings
from flowlang.diagnostics import DiagnosticBag
from flowlang.source import Span

SAY_AS = ("digits", "number", "currency", "date", "time", "ordinal", "characters")
STRATEGIES = ("longest_idle", "round_robin", "fewest_calls", "skill_level", "last_agent")
QUESTION_TYPES = ("csat", "nps", "yesno")


@dataclass
class NodeCtx:
    """What lowering one node needs: diagnostics, names in scope, defaults, and the edge sink."""

    bag: DiagnosticBag
    scope: Scope
    defaults: ir.Defaults
    prompt_ids: set[str]
    inline_prompts: dict[str, tuple[str, Span]]  # generated id -> (text, span)
    default_lang: str
    prefix: str = ""  # "<subflow>." inside subflows
    edges: list[ir.Edge] = field(default_factory=list)
    targets: list[tuple[str, Span, str]] = field(default_factory=list)  # (target id, span, kind)

    @property
    def exprs(self) -> ExprLowerer:
        return ExprLowerer(self.scope, self.bag)

    def prompt_list(self, refs, node_id: str) -> tuple[str, ...]:
        out = []
        for ref in refs:
            if ref.inline:
                pid = f"{node_id}#{len(self.inline_prompts) + 1}"
                self.inline_prompts[pid] = (ref.name, ref.span)
                out.append(pid)
            elif ref.name in self.prompt_ids:
                out.append(ref.name)
            else:
                self.bag.error(codes.UNDEFINED_PROMPT.code, f"no prompt named {ref.name!r}", ref.span,
                               codes.UNDEFINED_PROMPT.hint, codes.UNDEFINED_PROMPT.name)
        return tuple(out)

    def edge(self, source: str, target: str, event: str, span: Span, label: str = "") -> None:
        full = target if target.startswith(self.prefix) else self.prefix + target
        self.edges.append(ir.Edge(source, full, event, label, span))
        self.targets.append((full, span, "node"))

    def var_target(self, s: Settings, name: str = "into") -> str | None:
        st, args = s.raw(name)
        if st is None:
            return None
        if len(args) != 1 or not isinstance(args[0], (ast.Var, ast.Attr)):
            s.bad(st, f"`{name}` needs a variable name")
            return None
        var = _dotted(args[0])
        if self.scope.var_type(var) is None or var in _READ_ONLY:
            self.bag.error(codes.UNDEFINED_VARIABLE.code, f"no variable named {var!r} to store into",
                           args[0].span, codes.UNDEFINED_VARIABLE.hint, codes.UNDEFINED_VARIABLE.name)
        return var


_READ_ONLY = {"caller.number", "call.id", "call.dialed", "input", "now", "today"}


def _dotted(e) -> str:
    return e.name if isinstance(e, ast.Var) else f"{_dotted(e.obj)}.{e.name}"


def _arrows(ctx: NodeCtx, s: Settings, node_id: str, allowed: tuple[str, ...]) -> None:
    """Turn `label -> target` statements into edges; unlabeled arrows are `next`."""
    for a in s.arrows():
        event = a.label or "next"
        if event not in allowed:
            ctx.bag.error("FL005", f"`{event} ->` is not an event of this node (it has: "
                          f"{', '.join(allowed) or 'none'})", a.span,
                          "use one of the listed events", "syntax.unknown_statement")
            continue
        ctx.edge(node_id, a.target, event, a.span)


def lower_play(ctx, n, s, nid):
    _arrows(ctx, s, nid, ("next",))
    return ir.PlayNode(nid, n.span, ctx.prompt_list(s.prompts(), nid), s.flag("bargein", False))


def _choices(ctx, s, nid, language=False):
    choices = []
    for k in s.stmts(ast.KeyStmt):
        ev = f"choice:{k.key}"
        choices.append(ir.Choice(ev, k.key, k.phrases, k.target if language else None))
        if not language:
            ctx.edge(nid, k.target, ev, k.span, label=" / ".join((k.key,) + k.phrases))
    for i, sp in enumerate(s.stmts(ast.SpeechStmt)):
        ev = f"choice:speech{i + 1}"
        choices.append(ir.Choice(ev, None, sp.phrases, sp.target if language else None))
        if not language:
            ctx.edge(nid, sp.target, ev, sp.span, label=" / ".join(sp.phrases))
    return tuple(choices)


def lower_menu(ctx, n, s, nid):
    choices = _choices(ctx, s, nid)
    _arrows(ctx, s, nid, ("noinput", "nomatch", "exhausted"))
    return ir.MenuNode(
        nid, n.span, ctx.prompt_list(s.prompts(), nid), choices,
        s.duration("timeout", ctx.defaults.timeout), s.number("retries", ctx.defaults.retries, True),
        ctx.prompt_list(s.event_prompts("noinput"), nid), ctx.prompt_list(s.event_prompts("nomatch"), nid),
        s.flag("bargein", True))


def lower_collect(ctx, n, s, nid):
    speech = s.word("mode", "digits", ("digits", "speech")) == "speech"
    rng = s.range("digits") or (1, 32)
    _arrows(ctx, s, nid, ("next", "noinput", "invalid", "exhausted"))
    var = ctx.var_target(s)
    ctx.scope.variables.setdefault("input", "string")
    return ir.CollectNode(
        nid, n.span, ctx.prompt_list(s.prompts(), nid), "speech" if speech else "digits",
        rng[0], rng[1], s.string("terminator", "#"), s.duration("timeout", ctx.defaults.timeout),
        s.duration("inter_digit_timeout", 3.0), s.expr("validate", "bool"), var, s.flag("secure", False),
        s.number("retries", ctx.defaults.retries, True), ctx.prompt_list(s.event_prompts("noinput"), nid),
        ctx.prompt_list(s.event_prompts("invalid"), nid), s.words("phrases"), s.flag("bargein", True))


def lower_set(ctx, n, s, nid):
    out = []
    for a in s.stmts(ast.AssignStmt):
        t = ctx.scope.var_type(a.name)
        if t is None or a.name in _READ_ONLY:
            ctx.bag.error(codes.UNDEFINED_VARIABLE.code, f"no variable named {a.name!r} to set", a.span,
                          codes.UNDEFINED_VARIABLE.hint, codes.UNDEFINED_VARIABLE.name)
            t = "any"
        out.append(ir.Assignment(a.name, ctx.exprs.expect(a.value, t, f"the value of {a.name}")))
    _arrows(ctx, s, nid, ("next",))
    return ir.SetNode(nid, n.span, tuple(out))


def lower_branch(ctx, n, s, nid):
    conds = []
    for i, st in enumerate(s.stmts(ast.IfStmt)):
        conds.append(ctx.exprs.expect(st.cond, "bool", "an `if` condition"))
        ctx.edge(nid, st.target, f"if:{i}", st.span, label=f"if {i + 1}")
    for st in s.stmts(ast.ElseStmt):
        ctx.edge(nid, st.target, "else", st.span, label="else")
    _arrows(ctx, s, nid, ())
    return ir.BranchNode(nid, n.span, tuple(conds))


def lower_switch(ctx, n, s, nid):
    subject = s.expr("on") or {"lit": None, "type": "null"}
    cases = []
    for i, st in enumerate(s.stmts(ast.CaseStmt)):
        vals = tuple(literal_value(v)[0] if isinstance(v, ast.Literal) else None for v in st.values)
        cases.append(vals)
        ctx.edge(nid, st.target, f"case:{i}", st.span, label=", ".join(map(str, vals)))
    _arrows(ctx, s, nid, ("default",))
    return ir.SwitchNode(nid, n.span, subject, tuple(cases))


def lower_goto(ctx, n, s, nid):
    _arrows(ctx, s, nid, ("next",))
    return ir.GotoNode(nid, n.span)


def lower_call(ctx, n, s, nid):
    sub = s.word("subflow", "")
    args = tuple(ir.Assignment(a.name, ctx.exprs.lower(a.value)[0]) for a in s.stmts(ast.AssignStmt))
    outputs = tuple((k, _dotted(v) if isinstance(v, (ast.Var, ast.Attr)) else "")
                    for k, v, _ in s.keyed("outputs"))
    for a in s.arrows():
        ev = "next" if a.label is None else f"return:{a.label}"
        ctx.edge(nid, a.target, ev, a.span, label=a.label or "")
    ctx.targets.append((sub, n.span, "subflow"))
    return ir.CallNode(nid, n.span, sub, args, outputs)


def lower_return(ctx, n, s, nid):
    values = tuple(ir.Assignment(a.name, ctx.exprs.lower(a.value)[0]) for a in s.stmts(ast.AssignStmt))
    _arrows(ctx, s, nid, ())
    return ir.ReturnNode(nid, n.span, s.word("outcome", "done"), values)


def lower_language(ctx, n, s, nid):
    choices = _choices(ctx, s, nid, language=True)
    for c, st in zip(choices, s.stmts(ast.KeyStmt) + s.stmts(ast.SpeechStmt)):
        ctx.targets.append((c.language, st.span, "language"))
    _arrows(ctx, s, nid, ("next",))
    return ir.LanguageNode(nid, n.span, ctx.prompt_list(s.prompts(), nid), choices, s.expr("detect", "string"),
                           s.duration("timeout", ctx.defaults.timeout), s.number("retries", 2, True))


def lower_fetch(ctx, n, s, nid):
    method = (s.string("method", "GET") or "GET").upper()
    if method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        s.bad(s.settings["method"], f"unknown HTTP method {method!r}")
    headers = []
    for k, v, span in s.keyed("headers"):
        if isinstance(v, ast.Literal) and v.kind == "string":
            headers.append((k, literal_value(v)[0]))
        else:
            ctx.bag.error("FL006", f"header {k!r} needs a text value in double quotes", span,
                          'e.g. `headers Accept: "application/json"`', "syntax.bad_value")
    headers = tuple(headers)
    _arrows(ctx, s, nid, ("ok", "error"))
    return ir.FetchNode(nid, n.span, method, s.string("url", "") or "", headers, s.expr("body"),
                        s.duration("timeout", 3.0), ctx.var_target(s), s.flag("allow_private", False))


def lower_lookup(ctx, n, s, nid):
    params = tuple(ir.Assignment(k, ctx.exprs.lower(v)[0]) for k, v, _ in s.keyed("params") if v is not None)
    _arrows(ctx, s, nid, ("ok", "empty", "error"))
    st, args = s.raw("dsn")
    dsn = ""
    if len(args) == 1 and isinstance(args[0], ast.Var):
        dsn = args[0].name
    elif len(args) == 1 and isinstance(args[0], ast.Literal) and args[0].kind == "string":
        dsn = literal_value(args[0])[0]
    elif st is not None:
        s.bad(st, "`dsn` needs the name of a configured database, e.g. `dsn crm`")
    return ir.LookupNode(nid, n.span, dsn, s.string("query", "") or "",
                         params, ctx.var_target(s), s.duration("timeout", 3.0))


def lower_record(ctx, n, s, nid):
    _arrows(ctx, s, nid, ("next",))
    return ir.RecordNode(nid, n.span, ctx.prompt_list(s.prompts(), nid), s.duration("max_length", 120.0),
                         s.duration("max_silence", 5.0), s.flag("beep", True), s.string("terminator", "#"),
                         ctx.var_target(s))


def lower_transfer(ctx, n, s, nid):
    dest = s.expr("to", "string") or {"lit": "", "type": "string"}
    _arrows(ctx, s, nid, ("failed",))
    return ir.TransferNode(nid, n.span, ctx.prompt_list(s.prompts(), nid), dest, s.flag("human", True),
                           s.duration("timeout", 30.0))


def lower_hangup(ctx, n, s, nid):
    _arrows(ctx, s, nid, ())
    return ir.HangupNode(nid, n.span, ctx.prompt_list(s.prompts(), nid), s.word("reason", "normal"))


def lower_queue(ctx, n, s, nid):
    skills = []
    for name, val, span in s.keyed("skills"):
        level = 1
        if isinstance(val, ast.Literal) and val.kind == "number":
            level = int(float(val.text))
        elif val is not None:
            ctx.bag.error("FL006", "a skill level is a number from 1 to 5", span, "e.g. `skills billing: 3`",
                          "syntax.bad_value")
        if not 1 <= level <= 5:
            ctx.bag.error("FL006", f"skill level {level} is outside 1..5", span, "use 1 (novice) to 5 (expert)",
                          "syntax.bad_value")
        skills.append(ir.Skill(name, level))
    announce = s.words("announce")
    for a in announce:
        if a not in ("position", "wait"):
            s.bad(s.settings["announce"], f"`announce` takes position and/or wait, not {a!r}")
    _arrows(ctx, s, nid, ("overflow", "callback", "after"))
    return ir.QueueNode(
        nid, n.span, ctx.prompt_list(s.prompts(), nid), tuple(skills), s.expr("priority", "number"),
        s.word("strategy", "longest_idle", STRATEGIES), announce, s.duration("announce_every", 0.0) or 0.0,
        s.duration("max_wait", None), s.string("music", "default") or "default",
        s.duration("callback_after", None), s.duration("agent_timeout", 15.0))


def lower_survey(ctx, n, s, nid):
    questions = []
    for q in s.stmts(ast.QuestionStmt):
        qs = Settings(q.body, f"question {q.name!r}", ctx.bag, ctx.exprs)
        var = ctx.var_target(qs) or f"survey.{q.name}"
        ctx.scope.variables.setdefault(var, "any")
        phrases = tuple((k, str(literal_value(v)[0])) for k, v, _ in qs.keyed("phrases")
                        if isinstance(v, ast.Literal))
        questions.append(ir.Question(q.name, qs.word("type", "csat", QUESTION_TYPES) or "csat",
                                     ctx.prompt_list(qs.prompts(), nid), var,
                                     qs.number("retries", 2, True), phrases))
        qs.finish()
    _arrows(ctx, s, nid, ("next",))
    return ir.SurveyNode(nid, n.span, tuple(questions))


NODE_LOWERING: dict[str, Callable[[NodeCtx, ast.NodeDecl, Settings, str], ir.Node]] = {
    "play": lower_play, "menu": lower_menu, "collect": lower_collect, "set": lower_set,
    "branch": lower_branch, "switch": lower_switch, "goto": lower_goto, "call": lower_call,
    "return": lower_return, "language": lower_language, "fetch": lower_fetch, "lookup": lower_lookup,
    "record": lower_record, "transfer": lower_transfer, "hangup": lower_hangup, "queue": lower_queue,
    "survey": lower_survey,
}
assert set(NODE_LOWERING) == set(ir.NODE_TYPES), "every IR node kind needs a lowering"


def lower_node(ctx: NodeCtx, n: ast.NodeDecl) -> ir.Node:
    """Lower one node declaration, recording its edges in ctx."""
    nid = ctx.prefix + n.name
    s = Settings(n.body, f"{n.kind} {n.name!r}", ctx.bag, ctx.exprs)
    node = NODE_LOWERING[n.kind](ctx, n, s, nid)
    s.finish()
    return node
