"""The simulator's cheap paths (timer heap, route lookup, batched frames, idle waits) behave as the
plain versions did."""

from __future__ import annotations

import asyncio
import itertools
import re
from urllib.parse import unquote

import pytest

from runtime.simulator import AriSimulator, ScriptError, run_script
from runtime.simulator.clock import SimClock
from runtime.simulator.events import frames, text_frame
from runtime.simulator.model import AriHttpError
from runtime.simulator.server import ROUTES, _ws_resolve


@pytest.mark.parametrize("sizes", [[0], [125, 126], [3, 65535, 65536, 1]])
def test_batched_frames_equal_one_frame_per_message(sizes):
    payloads = [bytes([65 + i]) * size for i, size in enumerate(sizes)]
    assert frames(payloads) == b"".join(text_frame(p) for p in payloads)


def _regex_resolve(method: str, path: str) -> object:
    """The reference: each spec path as a regular expression, tried in ROUTES order."""
    table: dict[str, dict[str, object]] = {}
    for route_method, route_path, handler in ROUTES:
        table.setdefault(route_path, {})[route_method] = handler
    for route_path, methods in table.items():
        pattern = "^/ari" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", route_path) + "$"
        match = re.match(pattern, "/ari/" + path)
        if match:
            handler = methods.get(method)
            if handler is None:
                return 405
            return handler, {k: unquote(v) for k, v in match.groupdict().items()}
    return 404


def test_route_lookup_agrees_with_the_spec_paths_as_regular_expressions():
    segments = ["channels", "bridges", "playbacks", "recordings", "live", "stored", "applications",
                "externalMedia", "play", "answer", "addChannel", "variable", "x%2Fy", ""]
    checked = 0
    for length in range(1, 5):
        for parts in itertools.product(segments, repeat=length):
            if length == 4 and parts[0] not in ("channels", "bridges", "recordings"):
                continue
            path = "/".join(parts)
            for method in ("GET", "POST", "DELETE", "PUT"):
                try:
                    got: object = _ws_resolve(method, path)
                except AriHttpError as exc:
                    got = exc.status
                assert got == _regex_resolve(method, path), (method, path)
                checked += 1
    assert checked > 10_000


def test_literal_routes_win_over_parameters():
    handler, params = _ws_resolve("POST", "channels/externalMedia")
    assert handler.__name__ == "external_media" and params == {}
    handler, params = _ws_resolve("POST", "channels/c%201/play/pb")
    assert handler.__name__ == "play" and params == {"channelId": "c 1", "playbackId": "pb"}


def test_clock_timers_run_in_deadline_order_and_cancel():
    async def main() -> list[str]:
        clock = SimClock(time_scale=0.001)
        clock.start()
        ran: list[str] = []
        clock.call_later(30, ran.append, "c")
        clock.call_later(10, ran.append, "a")
        clock.call_later(20, ran.append, "b")
        clock.call_later(15, ran.append, "cancelled").cancel()
        late = clock.call_later(25, ran.append, "late")
        late.cancel()
        late.cancel()  # idempotent
        await clock.sleep(40)
        return ran

    assert asyncio.run(main()) == ["a", "b", "c"]


def test_a_timer_set_while_timers_fire_waits_for_a_later_pass_and_errors_are_reported():
    async def main() -> tuple[list[str], list[str]]:
        loop = asyncio.get_running_loop()
        errors: list[str] = []
        loop.set_exception_handler(lambda _loop, context: errors.append(str(context["exception"])))
        clock = SimClock(time_scale=0.001)
        clock.start()
        ran: list[str] = []

        def first() -> None:
            ran.append("first")
            clock.call_later(0, ran.append, "chained")
            loop.call_soon(ran.append, "loop callback")

        def broken() -> None:
            raise RuntimeError("boom")

        clock.call_later(5, first)
        clock.call_later(5, broken)
        clock.call_later(5, ran.append, "after the error")
        await clock.sleep(20)
        return ran, errors

    ran, errors = asyncio.run(main())
    assert ran[:2] == ["first", "after the error"]
    assert set(ran[2:]) == {"chained", "loop callback"}
    assert errors == ["boom"]


def test_many_cancelled_timers_do_not_pile_up():
    async def main() -> int:
        clock = SimClock(time_scale=0.001)
        clock.start()
        for _ in range(2000):
            clock.call_later(1000, print).cancel()
        await clock.sleep(1)
        return len(clock._heap)

    assert asyncio.run(main()) < 300


def test_idle_ends_early_when_the_call_ends_and_wait_timeouts_still_fire():
    async def main() -> None:
        async with AriSimulator(time_scale=0.01, password="x") as sim:
            sim.dialplan.add("from-trunk", "300", [("Answer", ""), ("Wait", "100")])
            call = await sim.place_call(dialed="300")
            assert await call.idle(0.5) is True
            waiting = asyncio.ensure_future(call.idle(500))
            await asyncio.sleep(0.01)
            await call.hang_up()
            assert await asyncio.wait_for(waiting, 1.0) is False
            assert await call.idle(1) is False
            with pytest.raises(TimeoutError, match="no matching transcript entry within 0.05 s"):
                await call.wait_for(lambda e: e[0] == "never", timeout=0.05)
            assert await call.wait_ended(0.1) == 16

    asyncio.run(main())


def test_after_steps_press_and_hang_up_on_time_without_holding_the_script():
    async def main() -> None:
        async with AriSimulator(time_scale=0.01, password="x") as sim:
            sim.dialplan.add("from-trunk", "300", [("Answer", ""), ("Wait", "100")])
            call = await sim.place_call(dialed="300")
            start = call.clock_seconds
            await run_script(call, [("after", 0.5, "press", "12"), ("after", 2.0, "hangup")])
            assert call.clock_seconds - start < 0.3  # the script went on at once
            await call.wait_ended(2.0)
            digits = call.entries("dtmf_in")
            assert [e[1] for e in digits] == ["1", "2"]
            # as ("wait", 0.5) then ("press", "12"): 100 ms lead + 100 ms per digit + 100 ms between
            # (never early; late by a loop hiccup at time_scale 0.01 is fine)
            assert 0.699 <= digits[0][-1] - start < 1.2 and 0.899 <= digits[1][-1] - start < 1.4
            assert call.hangup_by == "caller" and call.transcript[-1][-1] - start >= 2.0
            with pytest.raises(ScriptError, match="has ended"):
                await run_script(call, [("after", 1.0, "hangup")])
            with pytest.raises(ValueError, match="'after' schedules 'press' or 'hangup'"):
                await run_script(call, [("after", 1.0, "speak")])

    asyncio.run(main())
