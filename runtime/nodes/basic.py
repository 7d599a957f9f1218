"""Play, set, branch, switch, goto and hangup: the nodes that need no answer from the caller."""

from __future__ import annotations

from flowlang import ir
from runtime import commands as c
from runtime.expr import EvalError, values_equal
from runtime.nodes.base import Behaviour, Ctx


class Play(Behaviour):
    """Play the prompts; continue when they finish. With barge-in a key stops them and is kept
    as type-ahead for the next input node."""

    def enter(self, ctx: Ctx, node: ir.PlayNode) -> None:
        if ctx.play(node.prompts, node.bargein):
            ctx.scratch(phase="prompt")
        else:
            ctx.follow("next")

    def dtmf(self, ctx: Ctx, node: ir.PlayNode, digit: str) -> None:
        if not node.bargein or ctx.sget("phase") != "prompt":
            return
        limit = ctx.res.settings.max_typeahead
        ctx.update(typeahead=(ctx.get("typeahead") + digit)[-limit:])
        ctx.stop_playback()
        ctx.follow("next")


class Set(Behaviour):
    """Assign each variable in order (later assignments see earlier ones), then continue."""

    def enter(self, ctx: Ctx, node: ir.SetNode) -> None:
        for a in node.assignments:
            ev = ctx.evaluator()
            try:
                value = ev.eval(a.expr)
            except EvalError as e:
                ctx.fail(ctx.eval_problem(f"set {a.var}", e, ev.tainted))
                return
            ctx.assign(a.var, value, ev.tainted)
        ctx.follow("next")


class Branch(Behaviour):
    """The first true condition's `if:<i>` exit, else `else`."""

    def enter(self, ctx: Ctx, node: ir.BranchNode) -> None:
        for i, cond in enumerate(node.conditions):
            ev = ctx.evaluator()
            try:
                hit = ev.truth(cond)
            except EvalError as e:
                ctx.fail(ctx.eval_problem(f"condition {i + 1}", e, ev.tainted))
                return
            if hit:
                ctx.follow(f"if:{i}")
                return
        ctx.follow("else")


class Switch(Behaviour):
    """The first case holding a constant equal to the subject, else `default`."""

    def enter(self, ctx: Ctx, node: ir.SwitchNode) -> None:
        ev = ctx.evaluator()
        try:
            subject = ev.eval(node.subject)
        except EvalError as e:
            ctx.fail(ctx.eval_problem("switch subject", e, ev.tainted))
            return
        for i, values in enumerate(node.cases):
            if any(values_equal(subject, v) for v in values):
                ctx.follow(f"case:{i}")
                return
        ctx.follow("default")


class Goto(Behaviour):
    """A named jump."""


class Hangup(Behaviour):
    """Play the prompts (no barge-in), then hang up: outcome completed."""

    def enter(self, ctx: Ctx, node: ir.HangupNode) -> None:
        if ctx.play(node.prompts, False):
            ctx.scratch(phase="prompt")
        else:
            self.played(ctx, node)

    def played(self, ctx: Ctx, node: ir.HangupNode) -> None:
        ari = node.reason if node.reason in c.ARI_HANGUP_REASONS else "normal"
        ctx.end("completed", node.reason, hangup_reason=ari)  # the flow's reason goes to the record
