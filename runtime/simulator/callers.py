"""Simulated callers that drive a SimCall: a scripted caller for tests, a seeded random one for load.

A script is a list of steps (durations in simulated seconds, timeouts in real seconds):

| step | what the caller does |
|---|---|
| ("wait_prompt", media_substring[, timeout]) | wait until a playback whose URI contains the text starts (not earlier than the last matched prompt) |
| ("press", digits[, between]) | press keys |
| ("wait", seconds) | do nothing for a while (returns early if the call ends) |
| ("speak", seconds[, text]) | talk |
| ("speak_audio", wav[, text]) | say the words in a WAV (bytes or a path): streamed to an ExternalMedia listener |
| ("expect", kind[, text[, timeout]]) | wait for any transcript entry of that kind (optionally containing text) |
| ("wait_end"[, timeout]) | wait until the call is over |
| ("hangup",) | hang up |
| ("after", seconds, "press", digits[, between]) / ("after", seconds, "hangup") | press keys, or hang up, that many seconds from now and go on at once (type-ahead: the next step may already wait for the prompt the keys lead to) |

    steps = [("wait_prompt", "language_menu"), ("after", 1.5, "press", "1"),
             ("wait_prompt", "main_menu"), ("after", 2.0, "hangup")]
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Sequence

from .calls import Entry, SimCall

Step = tuple[Any, ...]
DEFAULT_TIMEOUT = 10.0


class ScriptError(AssertionError):
    """A scripted caller's step did not happen as expected."""


def _contains(entry: Entry, text: str) -> bool:
    return any(text in str(part) for part in entry[1:-1])


async def _wait_prompt(call: SimCall, cursor: int, args: Sequence[Any], timeout: float) -> int:
    text = str(args[0])
    limit = float(args[1]) if len(args) > 1 else timeout
    index = await call.wait_for_index(lambda e: e[0] == "play" and text in e[1], limit,
                                      since=cursor)
    return index + 1


async def _press(call: SimCall, cursor: int, args: Sequence[Any], timeout: float) -> int:
    between = float(args[1]) if len(args) > 1 else 0.1
    await call.press(str(args[0]), between=between)
    return cursor


async def _wait(call: SimCall, cursor: int, args: Sequence[Any], timeout: float) -> int:
    await call.idle(float(args[0]))
    return cursor


async def _speak(call: SimCall, cursor: int, args: Sequence[Any], timeout: float) -> int:
    await call.speak(float(args[0]), str(args[1]) if len(args) > 1 else "")
    return cursor


async def _speak_audio(call: SimCall, cursor: int, args: Sequence[Any], timeout: float) -> int:
    await call.speak(None, str(args[1]) if len(args) > 1 else "", audio=args[0])
    return cursor


async def _expect(call: SimCall, cursor: int, args: Sequence[Any], timeout: float) -> int:
    kind = str(args[0])
    text = str(args[1]) if len(args) > 1 and args[1] is not None else ""
    limit = float(args[2]) if len(args) > 2 else timeout
    index = await call.wait_for_index(lambda e: e[0] == kind and _contains(e, text), limit,
                                      since=cursor)
    return index + 1


async def _wait_end(call: SimCall, cursor: int, args: Sequence[Any], timeout: float) -> int:
    try:
        await call.wait_ended(float(args[0]) if args else timeout)
    except TimeoutError as exc:
        raise TimeoutError(f"call still up; last entries: {call.transcript[-6:]}") from exc
    return len(call.transcript)


async def _hangup(call: SimCall, cursor: int, args: Sequence[Any], timeout: float) -> int:
    await call.hang_up()
    return cursor


async def _after(call: SimCall, cursor: int, args: Sequence[Any], timeout: float) -> int:
    seconds, action, *rest = args
    if action == "press":
        call.press_later(float(seconds), str(rest[0]), float(rest[1]) if len(rest) > 1 else 0.1)
    elif action == "hangup":
        call.hang_up_later(float(seconds))
    else:
        raise ValueError(f"'after' schedules 'press' or 'hangup', not {action!r}")
    return cursor


STEPS: dict[str, Callable[[SimCall, int, Sequence[Any], float], Awaitable[int]]] = {
    "wait_prompt": _wait_prompt,
    "press": _press,
    "wait": _wait,
    "speak": _speak,
    "speak_audio": _speak_audio,
    "expect": _expect,
    "wait_end": _wait_end,
    "hangup": _hangup,
    "after": _after,
}


async def run_script(call: SimCall, steps: Sequence[Step], *,
                     timeout: float = DEFAULT_TIMEOUT) -> list[Entry]:
    """Run the steps in order; raises ScriptError naming the step that failed."""
    cursor = 0
    for number, step in enumerate(steps, start=1):
        kind, *args = step
        handler = STEPS.get(kind)
        if handler is None:
            raise ValueError(f"unknown caller step {kind!r}; known: {sorted(STEPS)}")
        try:
            cursor = await handler(call, cursor, args, timeout)
        except (TimeoutError, RuntimeError) as exc:
            raise ScriptError(f"step {number} {step!r} failed: {exc}") from exc
    return list(call.transcript)


@dataclass
class ScriptedCaller:
    """A caller that follows a fixed list of steps."""

    steps: Sequence[Step]
    timeout: float = DEFAULT_TIMEOUT

    async def run(self, call: SimCall) -> list[Entry]:
        """Play the script against the call."""
        return await run_script(call, self.steps, timeout=self.timeout)


@dataclass
class RandomCaller:
    """A seeded caller that presses random keys at random moments and hangs up at a random time."""

    seed: int = 0
    keys: str = "0123456789*#"
    min_gap: float = 0.5
    max_gap: float = 4.0
    min_duration: float = 2.0
    max_duration: float = 60.0

    async def run(self, call: SimCall) -> list[tuple[str, str, float]]:
        """Act until the chosen moment (counted from now) or until the other side hangs up."""
        rng = random.Random(self.seed)
        hangup_at = call.clock_seconds + rng.uniform(self.min_duration, self.max_duration)
        actions: list[tuple[str, str, float]] = []
        while not call.ended:
            gap = rng.uniform(self.min_gap, self.max_gap)
            remaining = hangup_at - call.clock_seconds
            if gap >= remaining:
                if remaining > 0:
                    await call.idle(remaining)
                break
            if not await call.idle(gap):
                break
            key = rng.choice(self.keys)
            actions.append(("press", key, round(call.clock_seconds, 3)))
            try:
                await call.press(key)
            except RuntimeError:
                break
        if not call.ended:
            actions.append(("hangup", "", round(call.clock_seconds, 3)))
            await call.hang_up()
        return actions
