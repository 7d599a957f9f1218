"""Transfer and queue: handing the caller to people, each behind a guard timer."""

from __future__ import annotations

import re

from flowlang import ir
from runtime import commands as c
from runtime.events import QUEUE_OUTCOMES, QueueResult, TransferResult
from runtime.expr import EvalError, is_number, to_text
from runtime.nodes.base import Behaviour, Ctx
from runtime.resources import destination_allowed

# What a destination computed from caller input, HTTP replies or variables may look like before the
# allowlist is even consulted: a number (+ and up to 20 digits) or Tech/resource without Dial()
# separators or options (`&`, `,`, `(`, `|`, spaces). A glob like `+8610*` then only adds digits.
DIALABLE = re.compile(r"\+?[0-9]{1,20}|[A-Za-z][A-Za-z0-9_]*/[A-Za-z0-9_.+@-]{1,80}")


class Transfer(Behaviour):
    """Prompt, then blind transfer. Success ends the call (transferred); failure takes `failed`,
    else ends with an error. A destination computed at run time must match the transfer allowlist."""

    def enter(self, ctx: Ctx, node: ir.TransferNode) -> None:
        ctx.update(typeahead="")
        if ctx.play(node.prompts, False):
            ctx.scratch(phase="prompt")
        else:
            self.played(ctx, node)

    def played(self, ctx: Ctx, node: ir.TransferNode) -> None:
        ev = ctx.evaluator()
        try:
            dest = to_text(ev.eval(node.destination)).strip()
        except EvalError as e:
            self._failed(ctx, ctx.eval_problem("destination", e, ev.tainted))
            return
        if not dest:
            self._failed(ctx, "empty destination")
            return
        if "lit" not in node.destination:
            if not DIALABLE.fullmatch(dest):  # `&`, `,`, spaces...: Dial() separators, never a destination
                self._failed(ctx, "destination_refused: a computed destination that is not a number or an endpoint")
                return
            if not destination_allowed(dest, ctx.res.transfer_allowlist):
                self._failed(ctx, "destination_refused: a computed destination not on the transfer allowlist")
                return
        tid = ctx.new_id("x")
        ctx.emit(c.Transfer(dest, node.timeout, tid))
        ctx.scratch(phase="transfer", request=tid)
        ctx.start_timer(node.timeout + ctx.res.settings.grace)

    def result(self, ctx: Ctx, node: ir.TransferNode, event: TransferResult) -> None:
        if ctx.sget("phase") != "transfer":
            return
        ctx.cancel_timer()
        ctx.scratch(request=None)
        if event.ok:
            ctx.log("transferred")
            ctx.end("transferred", "transferred", hangup=False)
        else:
            self._failed(ctx, event.reason or "transfer failed")

    def timeout(self, ctx: Ctx, node: ir.TransferNode) -> None:
        ctx.scratch(request=None)
        self._failed(ctx, "no transfer result before the guard timer")

    def failed(self, ctx: Ctx, node: ir.TransferNode, event) -> None:
        ctx.cancel_timer()
        ctx.scratch(request=None)
        self._failed(ctx, event.reason or "transfer command failed")

    @staticmethod
    def _failed(ctx: Ctx, reason: str) -> None:
        ctx.log("transfer_failed", reason=reason)
        if ctx.edge("failed") is not None:
            ctx.follow("failed")
        else:
            ctx.fail(f"transfer failed: {reason}")


class Queue(Behaviour):
    """Prompt, then wait in the ACD. connected (an agent took the call) -> keep waiting for the
    agent leg to end; agent_ended -> `after` (post-call survey) or end (queued); overflow ->
    `overflow`; callback -> `callback` or end (queued); a hang-up while waiting is an abandoned
    call, a hang-up while talking to an agent an answered one (queued)."""

    def enter(self, ctx: Ctx, node: ir.QueueNode) -> None:
        ctx.update(typeahead="")
        if ctx.play(node.prompts, False):
            ctx.scratch(phase="prompt")
        else:
            self.played(ctx, node)

    def played(self, ctx: Ctx, node: ir.QueueNode) -> None:
        rid = ctx.new_id("q")
        ctx.emit(c.Enqueue(node.id, tuple((s.name, s.level) for s in node.skills), self._priority(ctx, node),
                           node.strategy, node.announce, node.announce_every, node.max_wait,
                           node.callback_after, node.agent_timeout, node.music, rid))
        ctx.scratch(phase="queued", request=rid)
        guard = node.max_wait if node.max_wait is not None else ctx.res.settings.queue_guard
        ctx.start_timer(guard + ctx.res.settings.grace)

    @staticmethod
    def _priority(ctx: Ctx, node: ir.QueueNode) -> float:
        if node.priority is None:
            return 0.0
        ev = ctx.evaluator()
        try:
            value = ev.eval(node.priority)
        except EvalError as e:
            ctx.log("priority_error", problem=ctx.eval_problem("priority", e, ev.tainted))
            return 0.0
        return float(value) if is_number(value) else 0.0

    def result(self, ctx: Ctx, node: ir.QueueNode, event: QueueResult) -> None:
        if ctx.sget("phase") not in ("queued", "connected") or event.outcome not in QUEUE_OUTCOMES:
            return
        if event.outcome == "connected":
            if ctx.sget("phase") == "queued":  # the guard timer runs on; the driver holds it back
                ctx.scratch(phase="connected")
                ctx.update(agent_handled=True)
                ctx.log("queue_connected", agent=event.agent, waited=event.waited)
            return
        talking = ctx.sget("phase") == "connected"
        ctx.cancel_timer()
        ctx.scratch(request=None, phase="done")
        ctx.log("queue_result", outcome=event.outcome, agent=event.agent, waited=event.waited)
        if event.outcome == "agent_ended":
            ctx.update(agent_handled=True)
            if ctx.edge("after") is not None:
                ctx.follow("after")
            else:
                ctx.end("queued", "agent ended the call")
        elif event.outcome == "overflow":
            self._overflow(ctx)
        elif event.outcome == "callback":
            if ctx.edge("callback") is not None:
                ctx.follow("callback")
            else:
                ctx.end("queued", "callback requested")
        elif talking:
            ctx.end("queued", "caller hung up while talking to an agent", hangup=False)
        else:
            ctx.end("abandoned", "caller hung up in the queue", hangup=False)

    def timeout(self, ctx: Ctx, node: ir.QueueNode) -> None:
        ctx.emit(c.Dequeue(node.id, ctx.sget("request") or ""))
        if ctx.sget("phase") == "connected":  # no end of the agent leg came: the conversation is over
            ctx.scratch(request=None, phase="done")
            ctx.log("queue_result", outcome="agent_ended", reason="guard timer")
            if ctx.edge("after") is not None:
                ctx.follow("after")
            else:
                ctx.end("queued", "no end of the agent leg before the guard timer")
            return
        ctx.scratch(request=None, phase="done")
        ctx.log("queue_result", outcome="overflow", reason="guard timer")
        self._overflow(ctx)

    def failed(self, ctx: Ctx, node: ir.QueueNode, event) -> None:
        ctx.cancel_timer()
        ctx.scratch(request=None, phase="done")
        ctx.log("queue_failed", error=event.reason)
        self._overflow(ctx)

    def hangup(self, ctx: Ctx, node: ir.QueueNode, event) -> None:
        if ctx.sget("phase") == "connected":
            ctx.end("queued", "caller hung up while talking to an agent", hangup=False)
            return
        queued = ctx.sget("phase") == "queued"
        ctx.end("abandoned" if queued else "caller_hangup", event.cause, hangup=False)

    @staticmethod
    def _overflow(ctx: Ctx) -> None:
        if ctx.edge("overflow") is not None:
            ctx.follow("overflow")
        else:
            ctx.fail("the queue overflowed and has no `overflow` exit")
