"""The engine: a pure, deterministic state machine per call over the IR.

    rt = Runtime.load(flow)                       # reads list files once, before any call
    state, commands = start(rt, CallStarted(...))
    state, commands = step(rt, state, DtmfReceived(at, "1"))

step() never raises (an internal error ends the call with outcome `error`, unless
`Settings.strict`), ignores stale events (an old timer, a playback that is not current), and
returns no commands once the call has ended. Every live state waits on a playback or a timer
(`awaiting`), so a driver that delivers those always reaches EndCall.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple

from flowlang import ir
from runtime import commands as c
from runtime import events as e
from runtime.nodes import BEHAVIOURS, Ctx
from runtime.nodes.input import pick_language
from runtime.resources import Resources, load_resources, number_key
from runtime.state import CallInfo, CallState, Frame, FrozenMap, Scratch, freeze

DTMF_KEYS = "0123456789*#ABCD"
FRESH = Scratch()  # a node visit's scratch at entry (frozen: one instance serves every call)


class Step(NamedTuple):
    """The state after an event, and the commands to carry out, in order."""

    state: CallState
    commands: tuple[c.Command, ...]


@dataclass(frozen=True)
class Runtime:
    """A compiled flow and its resources, with the lookups the engine needs precomputed."""

    flow: ir.Flow
    resources: Resources = field(default_factory=Resources)

    def __post_init__(self) -> None:
        edges: dict[tuple[str, str], str] = {}
        for edge in self.flow.edges:
            edges.setdefault((edge.source, edge.event), edge.target)
        object.__setattr__(self, "_edges", edges)
        object.__setattr__(self, "_subflows", {s.name: s for s in self.flow.subflows})
        object.__setattr__(self, "_types", {v.name: v.type for v in self.flow.variables})
        object.__setattr__(self, "_nodes", frozenset(n.id for n in self.flow.nodes))

    @classmethod
    def load(cls, flow: ir.Flow, base_dir: str | Path | None = None, **options: Any) -> "Runtime":
        """A Runtime with resources read from disk (see resources.load_resources for options)."""
        return cls(flow, load_resources(flow, base_dir, **options))

    def edge(self, node_id: str | None, event: str) -> str | None:
        return self._edges.get((node_id, event))  # type: ignore[attr-defined]

    def has_node(self, node_id: str | None) -> bool:
        return node_id in self._nodes  # type: ignore[attr-defined]

    def subflow(self, name: str) -> ir.Subflow | None:
        return self._subflows.get(name)  # type: ignore[attr-defined]

    def var_type(self, name: str) -> str | None:
        return self._types.get(name)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- entry points
def start(rt: Runtime, event: e.CallStarted) -> Step:
    """A new call: answer (inbound), set the language, enter the flow's entry node."""
    lang = initial_language(rt.flow, event.language)
    info = CallInfo(event.call_id, event.caller, event.dialed, event.direction, event.at, event.wall_time,
                    event.language or "", event.caller_name, event.caller_tier, event.attempt,
                    freeze(dict(event.contact or {})), _counts(event.calls_today, event.last_call))
    variables = FrozenMap({v.name: freeze(v.default) for v in rt.flow.variables})
    state = CallState(info, lang, frames=(Frame(None, None, variables),))
    return _run(rt, state, event.at, lambda ctx: _begin(ctx, event))


def step(rt: Runtime, state: CallState, event: Any) -> Step:
    """The call's next state and commands after `event`."""
    if state.ended or state.node is None:
        return Step(state, ())
    route = ROUTES.get(type(event))
    if route is None:
        return Step(state, ())
    return _run(rt, state, event.at, lambda ctx: route(ctx, event))


def awaiting(state: CallState) -> tuple[str, str] | None:
    """What a live call waits for: ("playback", id) or ("timer", id); None once ended."""
    if state.ended:
        return None
    if state.scratch.playback:
        return ("playback", state.scratch.playback)
    if state.scratch.timer:
        return ("timer", state.scratch.timer)
    return None


def _counts(counts, last=None) -> FrozenMap | None:
    """The per-call snapshot of calls_today(), keyed like resources.calls_today; the previous
    call's wall time for last_call() under ("last", key) (a key no number can collide with)."""
    if counts is None and last is None:
        return None
    snapshot: dict = {number_key(k) or k: int(v) for k, v in (counts or {}).items()}
    snapshot.update({("last", number_key(k) or k): float(v) for k, v in (last or {}).items()})
    return FrozenMap(snapshot)


def initial_language(flow: ir.Flow, wanted: str | None) -> str:
    """The caller's known language if the flow has it, else the flow's first language."""
    return pick_language(flow.languages, wanted) or (flow.languages[0] if flow.languages else "en-US")


# ---------------------------------------------------------------- running a step
def _run(rt: Runtime, state: CallState, at: float, action: Callable[[Ctx], None]) -> Step:
    ctx = Ctx(rt, state, at)
    try:
        action(ctx)
        _drain(ctx)
    except Exception as err:  # noqa: BLE001 - step never raises; the call ends instead
        if rt.resources.settings.strict:
            raise
        ctx = Ctx(rt, state, at)
        ctx.log("internal_error", error=type(err).__name__)
        ctx.fail("internal error")
    return ctx.finish()


def _begin(ctx: Ctx, event: e.CallStarted) -> None:
    if event.direction == "inbound":
        ctx.emit(c.Answer())
    ctx.emit(c.SetLanguage(ctx.get("language")))
    if not ctx.rt.has_node(ctx.flow.entry):
        ctx.fail("the flow has no entry node")
        return
    ctx.pending = ctx.flow.entry


def _drain(ctx: Ctx) -> None:
    """Enter nodes until the call waits for something (or ends); bounded by max_chain."""
    hops = 0
    limit = ctx.res.settings.max_chain
    while ctx.pending is not None and not ctx.get("ended"):
        target, ctx.pending = ctx.pending, None
        hops += 1
        if hops > limit:
            ctx.fail(f"{limit} nodes in a row without waiting for the caller (a loop?)")
            return
        _enter(ctx, target)


def _enter(ctx: Ctx, node_id: str) -> None:
    ctx.stop_playback()
    ctx.cancel_timer()
    visits = ctx.get("visits") + 1
    if visits > ctx.res.settings.max_visits:
        ctx.fail(f"more than {ctx.res.settings.max_visits} node visits in one call")
        return
    try:
        node = ctx.flow.node(node_id)
    except KeyError:
        ctx.fail(f"no node {node_id!r}")
        return
    ctx.update(node=node_id, scratch=FRESH, visits=visits)
    ctx.emit(c.Visit(node_id, node.kind, ctx.at))
    BEHAVIOURS[node.kind].enter(ctx, node)


# ---------------------------------------------------------------- event routes
def _current(ctx: Ctx):
    node = ctx.node
    return BEHAVIOURS[node.kind], node


def _on_playback(ctx: Ctx, ev: e.PlaybackFinished) -> None:
    if ev.playback_id and ev.playback_id == ctx.sget("playback"):
        ctx.scratch(playback=None)
        b, node = _current(ctx)
        b.played(ctx, node)


def _on_timer(ctx: Ctx, ev: e.TimerFired) -> None:
    if ev.timer_id and ev.timer_id == ctx.sget("timer"):
        ctx.scratch(timer=None)
        b, node = _current(ctx)
        b.timeout(ctx, node)


def _on_dtmf(ctx: Ctx, ev: e.DtmfReceived) -> None:
    if isinstance(ev.digit, str) and len(ev.digit) == 1 and ev.digit in DTMF_KEYS:
        b, node = _current(ctx)
        b.dtmf(ctx, node, ev.digit)


def _on_speech(ctx: Ctx, ev: e.SpeechRecognized) -> None:
    if isinstance(ev.text, str) and isinstance(ev.confidence, (int, float)):
        b, node = _current(ctx)
        b.speech(ctx, node, ev.text, float(ev.confidence))


def _reply(kind: str, attr: str, optional: bool = False) -> Callable[[Ctx, Any], None]:
    """A route for a reply event: delivered only if it names the current node's request
    (`optional`: an event without an id is taken to mean the current one)."""
    def route(ctx: Ctx, ev: Any) -> None:
        rid = getattr(ev, attr)
        if ctx.node.kind != kind or not ctx.sget("request"):
            return
        if rid != ctx.sget("request") and not (optional and rid is None):
            return
        b, node = _current(ctx)
        b.result(ctx, node, ev)
    return route


def _on_hangup(ctx: Ctx, ev: e.HangUp) -> None:
    b, node = _current(ctx)
    b.hangup(ctx, node, ev)


def _on_failed(ctx: Ctx, ev: e.CommandFailed) -> None:
    cid = ev.command_id
    if not cid:
        return
    b, node = _current(ctx)
    if cid == ctx.sget("playback"):
        ctx.log("playback_failed", reason=ev.reason)
        ctx.scratch(playback=None)
        b.played(ctx, node)
    elif cid == ctx.sget("request"):
        b.failed(ctx, node, ev)


ROUTES: dict[type, Callable[[Ctx, Any], None]] = {
    e.PlaybackFinished: _on_playback,
    e.TimerFired: _on_timer,
    e.DtmfReceived: _on_dtmf,
    e.SpeechRecognized: _on_speech,
    e.HttpResult: _reply("fetch", "request_id"),
    e.SqlResult: _reply("lookup", "request_id"),
    e.RecordingFinished: _reply("record", "name"),
    e.TransferResult: _reply("transfer", "transfer_id", optional=True),
    e.QueueResult: _reply("queue", "request_id", optional=True),
    e.HangUp: _on_hangup,
    e.CommandFailed: _on_failed,
}
