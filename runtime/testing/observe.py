"""What a test call did, in order: every engine event fed and command emitted, with a shadow state.

The engine is deterministic, so replaying the events a driver fed it (from CallStarted on) through
`start`/`step` gives exactly the driver's call state: `expect var` reads it, and `silence` can
tell the timer the call waits on from a stale one, with no hook into the driver.
"""

from __future__ import annotations

import asyncio
import typing
from collections import deque
from dataclasses import dataclass
from typing import Any

from runtime import commands as c
from runtime import events as e
from runtime.machine import Runtime, awaiting, start, step
from runtime.state import CallState

EVENT_TYPES = typing.get_args(e.Event)


@dataclass(frozen=True)
class Seen:
    """One observed item: when (simulated seconds since the call began), what, and where."""

    t: float
    item: Any
    node: str | None  # the node the call was in once this item happened
    state: CallState | None  # the call state after the event behind this item
    awaited: tuple[str, str] | None = None  # for events: what the call waited for before it
    ignored: bool = False  # for events: the engine did nothing with it (e.g. a key during a prompt)


class Trace:
    """The items of one call as they arrive; waiters are woken on each new one."""

    def __init__(self, rt: Runtime):
        self.rt = rt
        self.items: list[Seen] = []
        self.state: CallState | None = None
        self.node: str | None = None
        self.ended = False  # the engine said EndCall
        self.gone = False  # the channel is gone (nothing more can happen)
        self.problem: str | None = None  # the shadow engine disagreed with the driver's
        self._expected: deque[type] = deque()  # command types the shadow step said would follow
        self._changed: asyncio.Event | None = None

    def add(self, item: Any, t: float) -> None:
        awaited, ignored = None, False
        if isinstance(item, EVENT_TYPES):
            before = self.state
            awaited = self._shadow(item)
            ignored = before is not None and not self._expected and self.state == before
        elif self._expected and self._expected.popleft() is not type(item) and self.problem is None:
            self.problem = f"the call's commands differ from a replay of its events at {type(item).__name__}"
        if isinstance(item, c.Visit):
            self.node = item.node_id
        if isinstance(item, c.EndCall):
            self.ended = True
        self.items.append(Seen(t, item, self.node, self.state, awaited, ignored))
        self._wake()

    def _shadow(self, event: Any) -> tuple[str, str] | None:
        """Step the shadow state; returns what the call waited for before the event."""
        if isinstance(event, e.CallStarted):
            result = start(self.rt, event)
            awaited = None
        elif self.state is not None:
            awaited = awaiting(self.state)
            result = step(self.rt, self.state, event)
        else:
            return None
        self.state = result.state
        self._expected = deque(type(cmd) for cmd in result.commands)
        return awaited

    def close(self) -> None:
        """Nothing more will be added (the call is over)."""
        self.gone = True
        self._wake()

    def _wake(self) -> None:
        if self._changed is not None:
            self._changed.set()

    async def changed(self, timeout: float) -> bool:
        """Wait until an item is added or the call is closed; False on timeout."""
        if self._changed is None:
            self._changed = asyncio.Event()
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    def commands(self) -> list[Any]:
        """The engine's commands, in order (what coverage reads)."""
        return [s.item for s in self.items if not isinstance(s.item, EVENT_TYPES)]



def variable(state: CallState | None, name: str) -> tuple[bool, Any]:
    """(found, value) of a variable: the innermost frame that has it (a subflow's own first)."""
    for frame in reversed(state.frames if state is not None else ()):
        if name in frame.vars:
            return True, frame.vars[name]
    return False, None
