"""PIN back-off across calls (runtime/driver/backoff.py): a caller whose call used every secure attempt
is locked out of secure entry for a while, doubling per strike; other callers are not affected."""

from __future__ import annotations

import asyncio

import pytest

from runtime.driver.backoff import LOCKED, SecureBackoff
from runtime.simulator import run_script
from tests.reliability.test_reliability_secure import FLOW, StubHttp
from tests.runtime.driver.rig import Rig, compile_text, drive, runtime

pytestmark = pytest.mark.timeout(30)
CARD, PIN = "4000056655665556", "583920"


def test_strikes_lock_out_for_longer_each_time():
    b = SecureBackoff(base=60.0, ceiling=300.0)
    caller = "+86 135 1234 5678"
    assert not b.call_ended(caller, {"pin": 2}, cap=3, now=0.0) and not b.locked(caller, 1.0)
    assert b.call_ended(caller, {"pin": 3}, cap=3, now=0.0)
    assert b.locked("+8613512345678", 59.0) and not b.locked(caller, 61.0)  # same number, any formatting
    assert not b.locked("+8613900000000", 1.0)
    b.call_ended(caller, {"pin": 3}, cap=3, now=100.0)
    assert b.locked(caller, 219.0) and not b.locked(caller, 221.0)  # 120 s: doubled
    for t in (300.0, 700.0, 1100.0):
        b.call_ended(caller, {"pin": 3}, cap=3, now=t)
    assert b.locked(caller, 1399.0) and not b.locked(caller, 1401.0)  # capped at the ceiling
    assert not b.call_ended(caller, {"pin": LOCKED}, cap=3, now=2000.0)  # a locked-out call is no strike


def test_a_locked_out_caller_cannot_enter_a_pin_until_the_lock_out_ends(tmp_path):
    http = StubHttp()

    async def attempt(rig: Rig, caller: str, pins: int) -> tuple[str | None, int]:
        before = len(http.sent)
        call = await rig.call("sec", caller=caller)
        steps = [("wait_prompt", "ask_card"), ("press", CARD + "#")]
        for _ in range(pins):
            steps += [("wait_prompt", "ask_pin"), ("press", PIN)]
        await run_script(call, steps + [("wait_end",)])
        record = await rig.record(call.channel_id)
        return record.end_node, len(http.sent) - before

    async def scenario(rig: Rig):
        rig.server.backoff.base = 120.0  # simulated seconds: 2.4 s of real time at the rig's scale
        first = await attempt(rig, "+8613512345678", 3)     # three wrong PINs: a strike
        locked = await attempt(rig, "+8613512345678", 0)    # the card entry is refused at once
        other = await attempt(rig, "+8613700000000", 1)     # another caller is not affected
        await asyncio.sleep(2.6)
        again = await attempt(rig, "+8613512345678", 1)     # the lock-out is over
        await rig.settle()
        return first, locked, other, again

    sec = runtime(compile_text(tmp_path, FLOW, name="sec", entry="card_entry"), http_allowlist=("api.bank.example",))
    first, locked, other, again = drive(scenario, {"sec": sec}, tmp_path, http=http)
    assert first == ("locked_out", 3)
    assert locked == ("bye", 0)
    assert other[1] == 1 and again[1] == 1
