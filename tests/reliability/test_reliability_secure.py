"""Secure input end to end: card numbers and PINs entered through secure collects (a test flow) and
through the bank flow (card number in a plain collect, PIN in a secure one) leave no trace in any
artifact the run produces, and PIN entry is capped per call.

Artifacts scanned: every log record at DEBUG (caplog) and a DEBUG log file, the SQLite store (all
tables dumped as SQL text, and the raw bytes of the database, WAL and SHM files), the `flowc call`
style console transcript and everything observers saw, the simulator's stored recordings, the output
of `flowc report` on the store (text and JSON), and the JUnit file and output of `flowc test` on the
bank flow's call tests. The scan looks for Luhn-valid runs of 13-19 digits and for the PINs entered.
The digits do reach the two places they must: the caller's own phone (the simulator's caller-side
transcript, which Asterisk also sees) and the verifying API.
"""

from __future__ import annotations

import io
import logging
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from runtime import commands as c
from runtime.driver.console import Transcript
from runtime.functions import luhn
from runtime.simulator import run_script
from tests.runtime.driver.rig import ROOT, Rig, bank_runtime, compile_text, drive, runtime

pytestmark = pytest.mark.timeout(60)

CARDS = ("4000056655665556", "6222020200112234501", "4222222222222")  # 16, 19, 13 digits, Luhn-valid
PINS = ("583920", "771204", "902617")
BANK_CARD, BANK_PIN = "5555555555554444", "640318"
FLOW = """
var card: string = ""
var pin: string = ""
var reply: map
prompt ask_card {
  en-US "Your card number, then hash."
}
prompt ask_pin {
  en-US "Your PIN."
}
prompt wrong {
  en-US "That PIN is wrong."
}
prompt ok {
  en-US "Thank you."
}
prompt locked {
  en-US "Too many attempts."
}
collect card_entry {
  say ask_card
  digits 13..19
  terminator "#"
  secure on
  validate luhn(input)
  into card
  -> pin_entry
  exhausted -> bye
}
collect pin_entry {
  say ask_pin
  digits 6
  secure on
  into pin
  -> check
  exhausted -> locked_out
}
fetch check {
  method "POST"
  url "https://api.bank.example/cards/{card}/pin"
  body pin
  into reply
  ok -> judge
  error -> bye
}
branch judge {
  if reply.valid == true -> bye
  else -> wrong_pin
}
play wrong_pin {
  say wrong
  -> pin_entry
}
hangup locked_out {
  say locked
}
hangup bye {
  say ok
}
"""
_RUN = re.compile(r"(?<![\d.])\d{13,19}(?!\d)(?!\.\d)")


def luhn_runs(text: str) -> list[str]:
    """Every maximal run of 13-19 digits (not part of a decimal number) that passes Luhn."""
    return [m for m in _RUN.findall(text) if luhn(m)]


class StubHttp:
    """The bank's API: every PIN is wrong (so callers retry); keeps what it was sent."""

    def __init__(self) -> None:
        self.sent: list[c.Fetch] = []

    async def fetch(self, cmd: c.Fetch, allow_private: bool = False):
        self.sent.append(cmd)
        if cmd.url.endswith("/pin") or cmd.url.endswith("/pin-check"):
            return 200, '{"valid": false}', None
        return 200, '{"available": 10}', None

    async def close(self) -> None:
        pass


def _scan(name: str, text: str, secrets: tuple[str, ...], allow: tuple[str, ...] = ()) -> list[str]:
    hits = [f"{name}: Luhn-valid run {r[:4]}…{r[-4:]}" for r in luhn_runs(text) if r not in allow]
    hits += [f"{name}: a secret ending {s[-2:]}" for s in secrets if s in text]
    return hits


def _run_calls(tmp_path: Path) -> tuple[StubHttp, str, list[str]]:
    http = StubHttp()
    console = io.StringIO()
    transcript = Transcript(out=console)
    seen: list[str] = []

    async def scenario(rig: Rig):
        def observer(cid, item):
            transcript(cid, item)
            seen.append(repr(item))
            seen.append(repr(getattr(item, "__dict__", "")))

        rig.server.observer = observer
        for i, (card, pin) in enumerate(zip(CARDS, PINS)):
            call = await rig.call("sec", caller=f"+86135000000{i:02d}")  # one caller each: no PIN back-off
            steps = [("wait_prompt", "ask_card"), ("press", card if len(card) == 19 else card + "#")]  # 19: full at once
            for _ in range(4):  # one more than the cap: the fourth is refused unseen
                steps += [("wait_prompt", "ask_pin"), ("press", pin)]
            await run_script(call, steps + [("wait_prompt", "locked"), ("wait_end",)])
        call = await rig.call("bank_service", caller="+8613512345678")
        await run_script(call, [
            ("wait_prompt", "language_menu"), ("press", "2"), ("wait_prompt", "main_menu_prompt"), ("press", "1"),
            ("wait_prompt", "accounts_menu_prompt"), ("press", "1"), ("wait_prompt", "ask_account_prompt"),
            ("press", BANK_CARD + "#"), ("wait_prompt", "ask_pin_prompt"), ("press", BANK_PIN), ("wait_end",)])
        await rig.settle()
        await rig.record(call.channel_id)
        return repr(rig.sim.stored_recordings)

    sec = runtime(compile_text(tmp_path, FLOW, name="sec", entry="card_entry"), http_allowlist=("api.bank.example",))
    recordings = drive(scenario, {"sec": sec, "bank_service": bank_runtime()}, tmp_path, http=http)
    return http, console.getvalue() + recordings, seen


def test_no_card_number_or_pin_in_any_artifact(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    logfile = tmp_path / "run.log"
    handler = logging.FileHandler(logfile, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    try:
        http, console, seen = _run_calls(tmp_path)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    secrets = CARDS + PINS + (BANK_CARD, BANK_PIN)

    # the secrets did travel where they must: the verifying API got card and PIN
    checks = [x for x in http.sent if x.url.endswith("/pin")]
    assert {x.body for x in checks} == set(PINS) and all(x.secure for x in checks)
    assert any(x.secure and x.body and f'"pin": "{BANK_PIN}"' in x.body for x in http.sent)
    # PIN attempts capped per call: three checks per call, the fourth entry refused unseen
    assert len(checks) == 3 * len(CARDS)

    db = tmp_path / "calls.db"
    dump = "\n".join(sqlite3.connect(db).iterdump())
    assert "sec" in dump and "locked_out" in dump  # the dump holds the calls: the scan can find text
    report = _flowc(["report", "--db", f"sqlite:///{db}"], tmp_path)
    report_json = _flowc(["report", "--db", f"sqlite:///{db}", "-f", "json"], tmp_path)
    hits = []
    hits += _scan("caplog", "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records), secrets)
    hits += _scan("log file", logfile.read_text(encoding="utf-8"), secrets)
    hits += _scan("store dump", dump, secrets)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("calls.db*"))
    hits += [f"store bytes: a secret ending {s[-2:]}" for s in secrets if s.encode() in raw]
    hits += _scan("console transcript + recordings", console, secrets)
    hits += _scan("observers", "\n".join(seen), secrets)
    hits += _scan("flowc report", report, secrets)
    hits += _scan("flowc report -f json", report_json, secrets)
    assert caplog.records and logfile.stat().st_size > 0 and "say:" in console
    assert not hits, hits


def test_the_bank_flows_card_number_stays_out_of_the_call_transcript(tmp_path):
    _, console, seen = _run_calls(tmp_path)
    assert not _scan("console transcript", console, (BANK_CARD,)) + _scan("observers", "\n".join(seen), (BANK_CARD,))


def test_flowc_test_outputs_hold_no_card_number_or_pin(tmp_path):
    junit = tmp_path / "calltests.xml"
    out = _flowc(["test", str(ROOT / "flows" / "tests" / "bank_service.calltest"), "--junit", str(junit)], tmp_path)
    script = (ROOT / "flows" / "tests" / "bank_service.calltest").read_text(encoding="utf-8")
    entered = tuple(sorted({m for m in re.findall(r"press (\d{6,19})#?", script)}))
    assert any(luhn(x) and len(x) >= 13 for x in entered) and any(len(x) == 6 for x in entered), entered
    hits = _scan("flowc test output", out, entered) + _scan("JUnit", junit.read_text(encoding="utf-8"), entered)
    assert not hits, hits


def _flowc(args: list[str], cwd: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "flowlang", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return done.stdout + done.stderr


def test_the_scan_finds_what_it_looks_for():
    assert luhn_runs("card 4000056655665556 and 1795485600.1234567890123 and 4000056655665557") == [
        "4000056655665556"]
    assert luhn_runs("x6222020200112234501y") == ["6222020200112234501"]
