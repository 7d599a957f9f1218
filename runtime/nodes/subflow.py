"""Call and return: subflows run in their own frame of variables on a call stack."""

from __future__ import annotations

from flowlang import ir
from runtime.expr import EvalError
from runtime.nodes.base import Behaviour, Ctx
from runtime.state import Frame, FrozenMap, freeze


class Call(Behaviour):
    """Evaluate the arguments in the caller's scope, push a frame, enter the subflow."""

    def enter(self, ctx: Ctx, node: ir.CallNode) -> None:
        sub = ctx.rt.subflow(node.subflow)
        if sub is None:
            ctx.fail(f"no subflow named {node.subflow!r}")
            return
        if len(ctx.st.frames) > ctx.res.settings.max_depth:
            ctx.fail(f"subflow calls nested deeper than {ctx.res.settings.max_depth}")
            return
        values = {v.name: freeze(v.default) for v in sub.params + sub.outputs + sub.variables}
        secrets = set()
        for a in node.args:
            ev = ctx.evaluator()
            try:
                values[a.var] = freeze(ev.eval(a.expr))
            except EvalError as e:
                ctx.fail(ctx.eval_problem(f"argument {a.var}", e, ev.tainted))
                return
            if ev.tainted:
                secrets.add(a.var)
        frame = Frame(sub.name, node.id, FrozenMap(values), frozenset(secrets))
        ctx.update(frames=ctx.st.frames + (frame,))
        ctx.log("call", subflow=sub.name)
        ctx.pending = sub.entry


class Return(Behaviour):
    """Set the outputs, pop the frame, copy outputs to the caller, continue at `return:<outcome>`
    (else `next`) of the call node."""

    def enter(self, ctx: Ctx, node: ir.ReturnNode) -> None:
        for a in node.values:
            ev = ctx.evaluator()
            try:
                value = ev.eval(a.expr)
            except EvalError as e:
                ctx.fail(ctx.eval_problem(f"return value {a.var}", e, ev.tainted))
                return
            ctx.assign(a.var, value, ev.tainted)
        if len(ctx.st.frames) < 2:  # a return in the main flow ends the call normally
            ctx.end("completed", f"return {node.outcome}")
            return
        callee = ctx.st.frames[-1]
        call_node = ctx.flow.node(callee.call_node)
        ctx.update(frames=ctx.st.frames[:-1], node=call_node.id)
        for out, var in _outputs(ctx, call_node, callee):
            if out in callee.vars and var:
                ctx.assign(var, callee.vars[out], out in callee.secrets)
        ctx.log("return", outcome=node.outcome, subflow=callee.subflow)
        ctx.follow_first((f"return:{node.outcome}", "next"))


def _outputs(ctx: Ctx, call_node: ir.CallNode, callee: Frame) -> tuple[tuple[str, str], ...]:
    """The call node's output mapping; without one, outputs go to caller variables of the same name."""
    if call_node.outputs:
        return call_node.outputs
    sub = ctx.rt.subflow(callee.subflow or "")
    caller_vars = ctx.st.frames[-1].vars
    return tuple((o.name, o.name) for o in (sub.outputs if sub else ()) if o.name in caller_vars)
