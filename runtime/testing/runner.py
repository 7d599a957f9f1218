"""Run the steps of one test against a live call; each step waits or acts, in order.

`expect …` waits (up to its timeout, in simulated seconds) for a matching item after the previous
step: after the item the previous `expect` matched, or after the moment the previous action began.
"""

from __future__ import annotations

import time
from typing import Any, Awaitable, Callable

from runtime import commands as c
from runtime import events as e
from runtime.testing import script as s
from runtime.testing.expect import MATCHERS, recent, same_value, show
from runtime.testing.live import CALL_ENDED, LiveCall
from runtime.testing.observe import variable
from runtime.testing.results import StepFailure, TestResult


class StepFailed(Exception):
    """A step did not hold; the message says what was expected and what was seen."""


Runner = Callable[[LiveCall, Any, int, float], Awaitable[int]]


def step_text(step: Any) -> str:
    """A step as written (near enough) for messages."""
    return STEP_TEXT[type(step)](step)


STEP_TEXT: dict[type, Callable[[Any], str]] = {
    s.Press: lambda x: f"press {x.keys}", s.Say: lambda x: f"say {show(x.text)}",
    s.Talk: lambda x: f"talk {x.seconds:g}s", s.Silence: lambda x: "silence", s.Wait: lambda x: f"wait {x.seconds:g}s",
    s.HangUp: lambda x: "hang up", s.Expect: lambda x: x.text,
}


async def run_steps(call: LiveCall, test: s.CallTest, timeout: float) -> StepFailure | None:
    """Run every step; the first that fails stops the test."""
    cursor = 0
    for step in test.steps:
        try:
            cursor = await RUNNERS[type(step)](call, step, cursor, timeout)
        except StepFailed as failed:
            return StepFailure(step.pos, step_text(step), str(failed), tuple(recent(call.trace.items, cursor)))
        except CALL_ENDED:
            return StepFailure(step.pos, step_text(step), f"the caller cannot {step_text(step)}: {_ended(call)}",
                               tuple(recent(call.trace.items, cursor)))
    return None


def _ended(call: LiveCall) -> str:
    end = _end(call)
    return f"the call had already ended {end}" if end else "the call had already ended"


def _end(call: LiveCall) -> str:
    """How the call ended, e.g. `(completed, blocked at blocked)`; "" if it has not."""
    end = next((x.item for x in reversed(call.trace.items) if isinstance(x.item, c.EndCall)), None)
    if end is None:
        return ""
    return f"({end.outcome}{', ' + end.reason if end.reason else ''} at {end.node_id})"


# ---------------------------------------------------------------- actions
def _action(act: Callable[[LiveCall, Any], Awaitable[None]]) -> Runner:
    async def run(call: LiveCall, step: Any, cursor: int, timeout: float) -> int:
        start = len(call.trace.items)
        await act(call, step)
        return start
    return run


async def _silence(call: LiveCall, step: s.Silence, cursor: int, timeout: float) -> int:
    start = len(call.trace.items)
    limit = step.timeout or timeout

    def gave_up(i: int) -> bool:
        x = call.trace.items[i]
        return (isinstance(x.item, e.TimerFired) and x.awaited == ("timer", x.item.timer_id)) or \
            isinstance(x.item, c.EndCall)
    found = await call.until(gave_up, start, limit)
    if found is None:
        raise StepFailed(f"the flow was still waiting after {limit:g}s of silence" if not call.trace.ended
                         else "the call ended before the caller could stay silent")
    return found + 1


# ---------------------------------------------------------------- expectations
async def _expect(call: LiveCall, step: s.Expect, cursor: int, timeout: float) -> int:
    match = MATCHERS[step.what]
    items = call.trace.items
    since = max(cursor - 1, 0) if step.what == "var" else cursor
    limit = step.timeout or timeout
    found = await call.until(lambda i: match(step.args, items, i), since, limit)
    if found is None:
        raise StepFailed(_missed(call, step, limit))
    return found + 1


def _missed(call: LiveCall, step: s.Expect, limit: float) -> str:
    head = f"expected {step.text.removeprefix('expect ')}"
    if step.what == "var":
        found, value = variable(call.trace.state, step.args[0])
        detail = f"{step.args[0]} is {show(value)}" if found else f"the flow has no variable {step.args[0]!r} here"
        if found and same_value(value, step.args[1]):
            detail += " now, but only after the wait ended"
        return f"{head}, but {detail}"
    if call.trace.ended:
        return f"{head}, but the call ended first {_end(call)}"
    return f"{head} within {limit:g}s, but it did not happen"


RUNNERS: dict[type, Runner] = {
    s.Press: _action(lambda call, step: call.press(step.keys)),
    s.Say: _action(lambda call, step: call.say(step.text, step.confidence)),
    s.Talk: _action(lambda call, step: call.talk(step.seconds)),
    s.Wait: _action(lambda call, step: call.wait(step.seconds)),
    s.HangUp: _action(lambda call, step: call.hang_up()),
    s.Silence: _silence,
    s.Expect: _expect,
}


# ---------------------------------------------------------------- one test
def unexpected_error(call: LiveCall, test: s.CallTest) -> StepFailure | None:
    """A call that ended in an engine error fails its test, unless the test expected that."""
    end = next((x.item for x in call.trace.items if isinstance(x.item, c.EndCall)), None)
    wanted = any(isinstance(st, s.Expect) and st.what == "end" and st.args[0] == "error" for st in test.steps)
    if end is None or end.outcome != "error" or wanted:
        return None
    return StepFailure(test.pos, f"test {show(test.name)}", f"the call ended with an error at {end.node_id}: "
                       f"{end.reason}", tuple(recent(call.trace.items, len(call.trace.items) - 8)))


async def run_test(call: LiveCall, test: s.CallTest, file: s.CallTestFile) -> TestResult:
    """Place the call, run the steps, end the call; never raises for a failing test."""
    t0 = time.perf_counter()
    failure = None
    try:
        await call.start()
        failure = await run_steps(call, test, file.timeout)
    finally:
        await call.finish()
    failure = failure or unexpected_error(call, test)
    if call.trace.problem:
        call.notes.append(f"expect var may be wrong: {call.trace.problem}")
    sim = call.trace.items[-1].t - call.trace.items[0].t if call.trace.items else 0.0
    return TestResult(file.path, call.rt.flow.name, test.name, test.pos, "failed" if failure else "passed",
                      time.perf_counter() - t0, sim, failure, tuple(call.notes + call.replies.notes),
                      tuple(call.trace.commands()))
