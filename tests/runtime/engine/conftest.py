"""Helpers for engine tests: small flows compiled from text, a scripted caller, command summaries.

`summary(cmds)` turns commands into short strings ("Play(menu#1)", "Timer(5)", "End(error)") so a
table row reads like the call it describes. Logs are left out unless asked for.
"""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from flowlang import api, ir
from flowlang.diagnostics import Severity
from runtime import commands as c
from runtime import events as e
from runtime.machine import Runtime, awaiting, start, step
from runtime.resources import Settings, load_resources

# Tuesday 2026-11-24 10:00 in Shanghai: inside business hours, not a holiday.
WALL = datetime(2026, 11, 24, 10, 0, tzinfo=timezone(timedelta(hours=8))).timestamp()
STRICT = Settings(strict=True)
HEADER = """flow t {{
  languages {languages}
  entry {entry}
  timeout 5s
  retries 2
}}
"""


def compile_flow(tmp_path: Path, body: str, *, entry: str = "start", languages: str = "en-US, zh-CN",
                 files: dict[str, str] | None = None) -> ir.Flow:
    """Compile a flow made of HEADER + body (plus side files); fail on compile errors."""
    for name, text in (files or {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    path = tmp_path / "t.flow"
    path.write_text(HEADER.format(languages=languages, entry=entry) + textwrap.dedent(body), encoding="utf-8")
    result = api.compile(path)
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert not errors and result.flow is not None, errors
    return result.flow


def runtime_for(flow: ir.Flow, **options) -> Runtime:
    settings = options.pop("settings", STRICT)
    return Runtime(flow, load_resources(flow, settings=settings, **options))


def summary(cmds, logs: bool = False) -> list[str]:
    """Short forms of commands, for tables."""
    out = []
    for cmd in cmds:
        if isinstance(cmd, c.Log) and not logs:
            continue
        out.append(_SHORT[type(cmd)](cmd))
    return out


_SHORT = {
    c.Answer: lambda x: "Answer",
    c.Play: lambda x: f"Play({','.join(i.prompt_id for i in x.items)})",
    c.StopPlayback: lambda x: "Stop",
    c.StartTimer: lambda x: f"Timer({x.seconds:g})",
    c.CancelTimer: lambda x: "Cancel",
    c.Record: lambda x: f"Record({x.max_length:g})",
    c.Fetch: lambda x: f"Fetch({x.method} {x.url})",
    c.Lookup: lambda x: f"Lookup({x.dsn})",
    c.Transfer: lambda x: f"Transfer({x.destination})",
    c.Enqueue: lambda x: f"Enqueue({x.queue_id})",
    c.Dequeue: lambda x: "Dequeue",
    c.Hangup: lambda x: f"Hangup({x.reason})",
    c.SetLanguage: lambda x: f"Lang({x.lang})",
    c.Visit: lambda x: f"Visit({x.node_id})",
    c.Log: lambda x: f"Log({x.event})",
    c.EndCall: lambda x: f"End({x.outcome})",
}


class Caller:
    """A scripted caller: sends events at increasing times and keeps the last commands."""

    def __init__(self, rt: Runtime, *, caller: str = "+8613512345678", wall: float = WALL, **kw):
        self.rt = rt
        self.t = 0.0
        self.state, self.cmds = start(rt, e.CallStarted(0.0, caller, "95555", "c1", wall, **kw))
        self.all = list(self.cmds)

    def send(self, event) -> list[str]:
        self.state, self.cmds = step(self.rt, self.state, event)
        self.all.extend(self.cmds)
        return summary(self.cmds)

    def at(self) -> float:
        self.t += 1.0
        return self.t

    # -- answering what the engine waits for
    def played(self) -> list[str]:
        kind, pid = awaiting(self.state)
        assert kind == "playback", self.state
        return self.send(e.PlaybackFinished(self.at(), pid))

    def timeout(self) -> list[str]:
        kind, tid = awaiting(self.state)
        assert kind == "timer", self.state
        return self.send(e.TimerFired(self.at(), tid))

    def press(self, keys: str) -> list[str]:
        out = []
        for k in keys:
            out += self.send(e.DtmfReceived(self.at(), k))
        return out

    def say(self, text: str, confidence: float = 0.9) -> list[str]:
        return self.send(e.SpeechRecognized(self.at(), text, confidence))

    def http(self, status: int | None, body=None, error: str | None = None) -> list[str]:
        return self.send(e.HttpResult(self.at(), self.state.scratch.request, status, body, error))

    def hangup(self) -> list[str]:
        return self.send(e.HangUp(self.at()))

    # -- looking at the result
    def var(self, name: str, depth: int = -1):
        return self.state.frames[depth].vars[name]

    def logs(self, event: str | None = None) -> list[c.Log]:
        return [x for x in self.all if isinstance(x, c.Log) and (event is None or x.event == event)]

    @property
    def ended(self) -> c.EndCall | None:
        ends = [x for x in self.all if isinstance(x, c.EndCall)]
        assert len(ends) <= 1
        return ends[0] if ends else None


@pytest.fixture
def make(tmp_path):
    """make(body, **compile_options, resources=...) -> Caller at the start of a call."""
    def build(body: str, *, caller_kw: dict | None = None, resources: dict | None = None, **kw) -> Caller:
        flow = compile_flow(tmp_path, body, **kw)
        return Caller(runtime_for(flow, **(resources or {})), **(caller_kw or {}))
    return build
