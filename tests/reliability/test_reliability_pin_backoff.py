"""PIN back-off across calls (runtime/driver/backoff.py): a caller whose call used every secure attempt
is locked out of secure entry for a while, doubling per strike, and so is the account (card) the PINs
were for, whichever number calls; other callers and other accounts are not affected."""

from __future__ import annotations

import asyncio

import pytest

from flowlang import ir
from runtime.driver.backoff import LOCKED, SecureBackoff
from runtime.state import CallInfo, CallState, scope_digest
from runtime.simulator import run_script
from tests.reliability.test_reliability_secure import FLOW, StubHttp
from tests.runtime.driver.rig import Rig, compile_text, drive, runtime

pytestmark = pytest.mark.timeout(30)
CARD, PIN = "4000056655665556", "583920"
OTHER_CARD = "4111111111111111"


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

    async def attempt(rig: Rig, caller: str, pins: int, card: str = CARD) -> tuple[str | None, int]:
        before = len(http.sent)
        call = await rig.call("sec", caller=caller)
        steps = [("wait_prompt", "ask_card"), ("press", card + "#")]
        for _ in range(pins):
            steps += [("wait_prompt", "ask_pin"), ("press", PIN)]
        await run_script(call, steps + [("wait_end",)])
        record = await rig.record(call.channel_id)
        return record.end_node, len(http.sent) - before

    async def scenario(rig: Rig):
        rig.server.backoff.base = 120.0  # simulated seconds: 2.4 s of real time at the rig's scale
        first = await attempt(rig, "+8613512345678", 3)     # three wrong PINs: a strike
        locked = await attempt(rig, "+8613512345678", 0)    # the card entry is refused at once
        other = await attempt(rig, "+8613700000000", 1, OTHER_CARD)  # another caller, another card: unaffected
        spoofed = await attempt(rig, "+8613800000000", 1)   # another number, the locked card: refused unseen
        await asyncio.sleep(2.6)
        again = await attempt(rig, "+8613512345678", 1)     # the lock-out is over
        await rig.settle()
        return first, locked, other, spoofed, again

    sec = runtime(compile_text(tmp_path, FLOW, name="sec", entry="card_entry"), http_allowlist=("api.bank.example",))
    first, locked, other, spoofed, again = drive(scenario, {"sec": sec}, tmp_path, http=http)
    assert first == ("locked_out", 3)
    assert locked == ("bye", 0)
    assert spoofed == ("locked_out", 0)  # per account: the PIN collect took `exhausted` without a check
    assert other[1] == 1 and again[1] == 1


def test_account_strikes_lock_the_account_for_every_number():
    b = SecureBackoff(base=60.0)
    assert b.call_ended("+8613512345678", {"pin": 3}, cap=3, now=0.0, scopes={"pin": "abc"})
    assert b.account_locked("abc", 30.0) and not b.account_locked("abc", 61.0)
    assert not b.account_locked("xyz", 30.0)
    blank = CallState(CallInfo("c1", "+8613900000000", "95588", "inbound", 0.0, 30.0), "zh-CN")
    state = b.seed(blank, ir.Flow(name="f"), "+8613900000000", now=30.0)  # another number calls
    assert state.locked_scopes == frozenset({"abc"}) and not state.secure_tries


def test_scope_digest_is_stable_one_way_and_has_no_digits():
    d = scope_digest([("card", "4000056655665556")])
    assert d == scope_digest([("card", "4000056655665556")]) != scope_digest([("card", "4111111111111111")])
    assert len(d) == 64 and not any(ch.isdigit() for ch in d) and "4000" not in d
