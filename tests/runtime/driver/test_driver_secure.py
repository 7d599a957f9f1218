"""A secure PIN entered through the driver reaches the verifying fetch and nothing else: not the logs
(at DEBUG, every logger), not the call store (the database file's bytes), not what observers see."""

from __future__ import annotations

import json

import logging

import pytest

from runtime import commands as c
from runtime import events as e
from runtime.driver import SECURE_KEY
from runtime.simulator import run_script
from tests.runtime.driver.rig import Rig, bank_runtime, drive

pytestmark = pytest.mark.timeout(10)
CARD, PIN = "4111111111111111", "583920"
PARTS = (PIN, PIN[:5], PIN[1:])  # a partial PIN (the collect's buffer) must not leak either


def leaks(text: str) -> bool:
    return any(p in text for p in PARTS)


class StubHttp:
    """Stands in for the bank's API (unreachable here); keeps what it was sent."""

    def __init__(self) -> None:
        self.sent: list[c.Fetch] = []

    async def fetch(self, cmd: c.Fetch, allow_private: bool = False):
        self.sent.append(cmd)
        if cmd.url.endswith("/pin-check"):
            return 200, '{"valid": true}', None
        if cmd.url.endswith("/balance"):
            return 200, '{"available": 1234.5}', None
        return 404, None, None

    async def close(self) -> None:
        pass


def test_pin_digits_reach_only_the_verifying_fetch(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    http = StubHttp()

    async def scenario(rig: Rig):
        call = await rig.call("bank_service", caller="+8613912345678")
        await run_script(call, [
            ("wait_prompt", "language_menu"), ("press", "2"), ("wait_prompt", "main_menu_prompt"), ("press", "1"),
            ("wait_prompt", "accounts_menu_prompt"), ("press", "1"), ("wait_prompt", "ask_account_prompt"),
            ("press", CARD + "#"), ("wait_prompt", "ask_pin_prompt"), ("press", PIN),
            ("wait_prompt", "balance_is"), ("wait_prompt", "after_service_prompt"), ("wait_end",)])
        record = await rig.record(call.channel_id)
        await rig.settle()
        return call, record, rig.seen(call.channel_id)

    call, record, seen = drive(scenario, {"bank_service": bank_runtime()}, tmp_path, http=http)
    # the PIN did flow through the driver: the secure fetch carried it to the API
    check = next(x for x in http.sent if x.url.endswith("/pin-check"))
    assert check.secure and json.loads(check.body) == {"account": CARD, "pin": PIN}
    assert (record.outcome, record.end_node) == ("completed", "goodbye")
    assert ("verify_pin.ask_pin", "******", True) in [(i.node_id, i.value, i.secure) for i in record.inputs]
    # logs
    assert caplog.records  # the driver and the ARI client did log (at DEBUG) during the call
    for r in caplog.records:
        assert not leaks(r.getMessage()) and not leaks(repr(r.args)), r.getMessage()
    # the store, byte for byte (WAL included)
    for path in tmp_path.glob("calls.db*"):
        data = path.read_bytes()
        assert not any(p.encode() in data for p in PARTS), path.name
    # observers: keys of the secure collects (card number and its '#', then the PIN) masked,
    # the secure fetch redacted
    masked_keys = [x for x in seen if isinstance(x, e.DtmfReceived) and x.digit == SECURE_KEY]
    assert len(masked_keys) == len(CARD) + 1 + len(PIN)
    for item in seen:
        assert not leaks(repr(item)) and not leaks(repr(getattr(item, "__dict__", {}))), item
    fetches = [x for x in seen if isinstance(x, c.Fetch)]
    assert fetches[0].secure and fetches[0].body == "***" and "/***" in fetches[0].url
