"""The working context of one step (`Ctx`) and the base of node behaviours.

A Ctx is the only mutable thing in the engine, and it lives for one step: it holds the state
being built, the commands emitted so far and the next node to enter. step() hands out a frozen
CallState and a tuple of commands; nothing emitted after EndCall is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from flowlang import ir
from runtime import commands as c
from runtime.expr import EvalError, Evaluator
from runtime.prompts import resolve
from runtime.state import CallState, Frame, FrozenMap, Scratch, evolve, freeze, masked

if TYPE_CHECKING:
    from runtime.machine import Runtime

_CALL_VARS = {
    "caller.number": lambda s: s.call.caller, "caller.name": lambda s: s.call.caller_name,
    "caller.tier": lambda s: s.call.caller_tier, "caller.language": lambda s: s.call.caller_language,
    "call.id": lambda s: s.call.call_id, "call.dialed": lambda s: s.call.dialed,
    "call.language": lambda s: s.language, "call.attempt": lambda s: s.call.attempt,
    "call.direction": lambda s: s.call.direction,
    "contact.id": lambda s: s.call.contact.get("id", ""), "contact.name": lambda s: s.call.contact.get("name", ""),
    "contact.number": lambda s: s.call.contact.get("number", ""),
}
_CLOCK_VARS = frozenset(("now", "today"))


class Ctx:
    """One step's work: the state so far, the commands so far, and where to go next."""

    def __init__(self, rt: "Runtime", state: CallState, at: float):
        self.rt = rt
        self.flow: ir.Flow = rt.flow
        self.res = rt.resources
        self.at = at
        self.out: list[Any] = []
        self.pending: str | None = None
        # Changes are collected in dicts and turned into frozen records only when read
        # (dataclasses.replace on every change dominated the step time).
        self._state = state
        self._changes: dict[str, Any] = {}
        self._scratch = state.scratch
        self._sc_changes: dict[str, Any] = {}

    # ------------------------------------------------------------ state
    @property
    def st(self) -> CallState:
        """The call state as it stands now."""
        scratch = self.sc
        if self._changes or scratch is not self._state.scratch:
            self._state = evolve(self._state, scratch=scratch, **self._changes)
            self._changes = {}
        return self._state

    @property
    def sc(self) -> Scratch:
        """The current node visit's scratch record as it stands now."""
        if self._sc_changes:
            self._scratch = evolve(self._scratch, **self._sc_changes)
            self._sc_changes = {}
        return self._scratch

    def get(self, name: str) -> Any:
        """One CallState field, without building the record."""
        return self._changes[name] if name in self._changes else getattr(self._state, name)

    def sget(self, name: str) -> Any:
        """One Scratch field, without building the record."""
        return self._sc_changes[name] if name in self._sc_changes else getattr(self._scratch, name)

    @property
    def node(self) -> ir.Node:
        return self.flow.node(self.get("node"))

    def update(self, **changes: Any) -> None:
        if "scratch" in changes:
            self._scratch, self._sc_changes = changes.pop("scratch"), {}
        self._changes.update(changes)

    def scratch(self, **changes: Any) -> None:
        self._sc_changes.update(changes)

    def new_id(self, tag: str) -> str:
        seq = self.get("seq") + 1
        self._changes["seq"] = seq
        return f"{self._state.call.call_id}-{tag}{seq}"

    def emit(self, *cmds: Any) -> None:
        if not self.get("ended"):  # nothing follows EndCall
            self.out.extend(cmds)

    def log(self, event: str, **data: Any) -> None:
        self.emit(c.Log(event, FrozenMap({"node": self.get("node"), **{k: freeze(v) for k, v in data.items()}})))

    # ------------------------------------------------------------ variables
    def lookup(self, name: str) -> tuple[Any, bool]:
        """(value, secret) of a variable in the current scope; KeyError if there is none."""
        frame = self.get("frames")[-1]
        if name in frame.vars:
            return frame.vars[name], name in frame.secrets
        if name == "input":
            return self.get("input"), self.get("input_secret")
        fn = _CALL_VARS.get(name)
        if fn is not None:
            return fn(self.st), False
        if name in _CLOCK_VARS:
            return self.evaluator().eval({"call": name, "args": []}), False
        raise KeyError(name)

    def wall(self) -> float:
        return self.get("call").wall(self.at)

    def evaluator(self) -> Evaluator:
        return Evaluator(self.lookup, self.res, self.wall(), self._state.call.calls_today)

    def eval_problem(self, what: str, err: EvalError, tainted: bool) -> str:
        """An evaluation error as safe log text (no secret can leak through the message)."""
        return f"{what}: " + ("failed on a secure value" if tainted else str(err))

    def assign(self, name: str, value: Any, secret: bool = False) -> None:
        """Bind a variable in the current frame; `secret` marks it for masking."""
        frames = self.get("frames")
        f = frames[-1]
        secrets = (f.secrets | {name}) if secret else (f.secrets - {name})
        self.update(frames=frames[:-1] + (Frame(f.subflow, f.call_node, f.vars.set(name, freeze(value)), secrets),))

    def set_input(self, value: str, secret: bool) -> None:
        self.update(input=value, input_secret=secret)

    def set_language(self, lang: str) -> None:
        self.log("language", lang=lang)
        if lang != self.get("language"):
            self.update(language=lang)
            self.emit(c.SetLanguage(lang))

    def take_typeahead(self, n: int | None = None) -> str:
        typeahead = self.get("typeahead")
        keys = typeahead if n is None else typeahead[:n]
        if keys:
            self.update(typeahead=typeahead[len(keys):])
        return keys

    # ------------------------------------------------------------ media and timers
    def play(self, prompt_ids: Iterable[str], bargein: bool) -> bool:
        """Start a playlist; False (nothing emitted) when there is nothing to play."""
        ids = tuple(prompt_ids)
        if not ids:
            return False
        ev = self.evaluator()
        items = []
        for pid in ids:
            try:
                item, problems = resolve(self.flow, pid, self.get("language"), ev)
            except KeyError:
                self.log("prompt_error", problem=f"no prompt {pid!r}")
                continue
            for p in problems:
                self.log("prompt_error", problem=p if not ev.tainted else f"prompt {pid}: secure value")
            items.append(item)
        if not items:
            return False
        pid = self.new_id("p")
        self.emit(c.Play(pid, tuple(items), bargein))
        self.scratch(playback=pid)
        return True

    def stop_playback(self) -> None:
        playback = self.sget("playback")
        if playback:
            self.emit(c.StopPlayback(playback))
            self._sc_changes["playback"] = None

    def start_timer(self, seconds: float) -> None:
        self.cancel_timer()
        tid = self.new_id("t")
        self.emit(c.StartTimer(tid, max(0.0, float(seconds))))
        self.scratch(timer=tid)

    def cancel_timer(self) -> None:
        timer = self.sget("timer")
        if timer:
            self.emit(c.CancelTimer(timer))
            self._sc_changes["timer"] = None

    # ------------------------------------------------------------ moving on
    def edge(self, event: str) -> str | None:
        return self.rt.edge(self.get("node"), event)

    def follow(self, event: str) -> None:
        """Continue at the target of the current node's `event` edge; no edge ends the call."""
        target = self.edge(event)
        if target is None:
            self.fail(f"node {self.st.node!r} has no `{event}` exit")
        else:
            self.pending = target

    def follow_first(self, events: tuple[str, ...]) -> None:
        for event in events:
            if self.edge(event) is not None:
                self.follow(event)
                return
        self.follow(events[0])

    def end(self, outcome: str, reason: str = "", hangup: bool = True, hangup_reason: str = "normal") -> None:
        """End the call: Hangup (unless the caller is gone or transferred), then EndCall."""
        if self.get("ended"):
            return
        if hangup:
            self.stop_playback()
            self.cancel_timer()
        if outcome == "completed" and self.get("agent_handled"):
            outcome = "queued"  # an agent handled it; a post-call survey does not make it contained
        if hangup:
            self.emit(c.Hangup(hangup_reason))
        self.emit(c.EndCall(outcome, self.get("node"), reason))
        self.update(ended=True, outcome=outcome)
        self.pending = None

    def fail(self, reason: str) -> None:
        """Log why, then end the call with outcome `error` (never leave the caller waiting)."""
        self.log("error", reason=reason)
        self.end("error", reason)

    def finish(self):
        return _step_type()(self.st, tuple(self.out))


def _step_type():
    """runtime.machine.Step (imported on first use: machine imports this module)."""
    global _STEP
    if _STEP is None:
        from runtime.machine import Step
        _STEP = Step
    return _STEP


_STEP = None


class Behaviour:
    """What a node kind does on entry and on each event; the defaults ignore the event."""

    def enter(self, ctx: Ctx, node: Any) -> None:
        ctx.follow("next")

    def played(self, ctx: Ctx, node: Any) -> None:
        ctx.follow("next")

    def timeout(self, ctx: Ctx, node: Any) -> None:
        pass

    def dtmf(self, ctx: Ctx, node: Any, digit: str) -> None:
        pass

    def speech(self, ctx: Ctx, node: Any, text: str, confidence: float) -> None:
        pass

    def result(self, ctx: Ctx, node: Any, event: Any) -> None:
        pass

    def failed(self, ctx: Ctx, node: Any, event: Any) -> None:
        ctx.fail(f"command {event.command_id} failed: {event.reason}")

    def hangup(self, ctx: Ctx, node: Any, event: Any) -> None:
        ctx.end("caller_hangup", event.cause, hangup=False)


def secure_text(value: str, secret: bool) -> str:
    """A value as it may appear in a Log: masked when secret."""
    return masked(value) if secret else value
