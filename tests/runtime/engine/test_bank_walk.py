"""flows/bank_service.flow compiled with flowlang.api and walked with scripted events."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from flowlang import api
from runtime import commands as c
from runtime import events as e
from runtime.machine import Runtime, awaiting
from runtime.prompts import display
from runtime.resources import Settings, load_resources
from tests.runtime.engine.conftest import Caller

FLOW = Path(__file__).resolve().parents[3] / "flows" / "bank_service.flow"
SHANGHAI = timezone(timedelta(hours=8))
OPEN = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI).timestamp()     # Tuesday morning
CLOSED = datetime(2026, 11, 24, 22, 0, tzinfo=SHANGHAI).timestamp()   # Tuesday night
CARD, PIN = "4111111111111111", "680324"


@pytest.fixture(scope="module")
def rt() -> Runtime:
    flow = api.compile_or_raise(FLOW)
    return Runtime(flow, load_resources(flow, http_allowlist=("api.galaxybank.example",),
                                        settings=Settings(strict=True)))


def visits(call) -> list[str]:
    return [x.node_id for x in call.all if isinstance(x, c.Visit)]


def drive(call, limit: int = 200) -> int:
    """Answer whatever the call waits for (playback finished, timer fired) until it ends."""
    for n in range(limit):
        if call.state.ended:
            return n
        kind, ident = awaiting(call.state)
        call.send(e.PlaybackFinished(call.at(), ident) if kind == "playback" else e.TimerFired(call.at(), ident))
    raise AssertionError(f"the call did not end within {limit} steps: {call.state!r}")


def test_balance_then_agent_then_survey(rt):
    call = Caller(rt, wall=OPEN)
    call.played()                      # welcome
    call.press("2")                    # language menu: English
    assert call.state.language == "en-US"
    call.press("1")                    # main menu: accounts
    call.press("1")                    # accounts menu: balance
    call.played()                      # "please enter your card number"
    call.press(CARD + "#")
    assert call.state.node == "verify_pin.ask_pin" and len(call.state.frames) == 2
    call.played()
    call.press(PIN)                    # 6 digits: complete without a terminator
    check = call.cmds[-2]
    assert isinstance(check, c.Fetch) and check.method == "POST" and check.secure
    assert check.url == "https://api.galaxybank.example/v1/accounts/pin-check"  # the card number is not in a URL
    assert json.loads(check.body) == {"account": CARD, "pin": PIN}
    call.http(200, {"valid": True})
    balance = call.cmds[-2]
    assert balance.url == "https://api.galaxybank.example/v1/accounts/balance" and balance.secure  # the card travels
    assert json.loads(balance.body) == {"account": CARD}
    call.http(200, '{"available": 1234.5}')
    said = call.cmds[-1]
    assert display(said.items[0]) == ("The available balance of your account ending in 1 1 1 1 is "
                                      "1,234.50 yuan.")
    call.played()                      # after_service menu
    call.press("0")                    # agent
    call.played()                      # queue intro
    enqueue = call.cmds[0]
    assert isinstance(enqueue, c.Enqueue) and enqueue.queue_id == "agent_queue" and enqueue.max_wait == 300
    call.send(e.QueueResult(call.at(), "agent_ended", "agent-7", 42.0))
    assert call.state.node == "csat"
    call.press("5")
    call.played()                      # goodbye
    assert call.cmds[-1] == c.EndCall("queued", "goodbye", "normal")
    assert visits(call) == [
        "welcome", "screen", "choose_language", "main_menu", "accounts_menu", "want_balance", "ask_account",
        "keep_tail", "check_pin", "verify_pin.ask_pin", "verify_pin.count_attempt", "verify_pin.check",
        "verify_pin.judge", "verify_pin.verified", "route_service", "fetch_balance", "store_balance",
        "say_balance", "after_service", "agent_hours", "agent_queue", "csat", "goodbye"]
    assert call.var("balance") == 1234.5 and call.var("satisfaction") == 5 and call.var("pin_attempts") == 1
    assert call.var("account_tail") == "1111"
    texts = [repr(x) for x in call.all] + [repr(call.state), json.dumps(call.state.describe(), default=str)]
    assert not [t for t in texts if PIN in t]  # the secure PIN never shows


def test_wrong_pin_three_times_goes_to_an_agent(rt):
    call = Caller(rt, wall=OPEN)
    call.played()
    call.press("1")
    call.press("1")
    call.press("1")
    call.press(CARD + "#")
    for attempt in range(3):
        call.press(PIN)
        call.http(200, {"valid": False, "locked": False})
        if attempt < 2:
            assert call.state.node == "verify_pin.wrong_pin"
            call.played()
    assert call.state.node == "pin_failed" and call.var("pin_attempts") == 3
    assert "连续三次" in display(call.cmds[-1].items[0])  # zh-CN, the default language


def test_blacklisted_caller_is_refused(rt):
    call = Caller(rt, caller="+86 139 0000 0001", wall=OPEN)
    call.played()
    assert call.state.node == "blocked"
    call.played()
    # "blocked" is the flow's reason (for the call record); ARI hangs up with a reason it knows
    assert call.cmds[-2:] == (c.Hangup("normal"), c.EndCall("completed", "blocked", "blocked"))


def test_vip_goes_straight_to_the_vip_queue_in_hours(rt):
    vip = next(line for line in (FLOW.parent / "lists" / "vip.txt").read_text().splitlines()
               if line.strip() and not line.startswith("#"))
    call = Caller(rt, caller=vip.split("#")[0].strip(), wall=OPEN)
    call.played()
    assert call.state.node == "vip_queue"
    call = Caller(rt, caller=vip.split("#")[0].strip(), wall=CLOSED)
    call.played()
    assert call.state.node == "choose_language"


def test_after_hours_agent_request_leaves_a_voicemail(rt):
    call = Caller(rt, wall=CLOSED)
    call.played()
    call.press("1")
    call.press("0")
    assert call.state.node == "closed"
    call.played()
    call.played()                      # leave_message
    rec = call.cmds[0]
    assert isinstance(rec, c.Record) and rec.max_length == 120 and rec.beep
    call.send(e.RecordingFinished(call.at(), rec.name, 20.0))
    assert call.var("voicemail_file") == rec.name and call.state.node == "goodbye"


def test_silent_caller_is_never_trapped(rt):
    call = Caller(rt, wall=OPEN)
    steps = drive(call)
    assert call.ended.outcome == "completed" and steps < 100
    assert "agent_queue" in visits(call) and "voicemail" in visits(call)


def test_caller_hangs_up_during_the_survey(rt):
    call = Caller(rt, wall=OPEN)
    call.played()
    call.press("10")
    call.played()
    call.send(e.QueueResult(call.at(), "agent_ended", "a1", 3.0))
    assert call.hangup() == ["End(caller_hangup)"]
