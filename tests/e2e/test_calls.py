"""`flowc call` and `flowc run` as a user runs them: real subprocesses, exit codes and printed text."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BANK = str(ROOT / "flows" / "bank_service.flow")
pytestmark = pytest.mark.timeout(20)


def flowc(*args: str, stdin: str | None = None, timeout: float = 15) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWLANG_")}
    return subprocess.run([sys.executable, "-m", "flowlang.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          input=stdin if stdin is not None else "", timeout=timeout, env=env)


def test_flowc_call_walks_the_bank_flow_to_an_agent_and_the_survey():
    p = flowc("call", BANK, "--caller", "+8613912345678", "--at", "2026-11-25T10:00+08:00", "--keys", "1,0,5")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "> main_menu (menu)" in out and "> agent_queue (queue)" in out and "> csat (survey)" in out
    assert "say: 您好，欢迎致电星河银行。" in out  # prompts as text in the chosen language
    assert "queue: agent PJSIP/sim-agent-1 answered after " in out
    assert out.rstrip().endswith("== call ended: queued at goodbye (normal)")
    assert out.index("keys: 0") < out.index("> agent_hours") < out.index("keys: 5")


def test_flowc_call_reads_key_groups_from_stdin_and_masks_a_secure_pin():
    keys = "2\n1\n1\n4111111111111111#\n583920\n"
    p = flowc("call", BANK, "--at", "2026-11-25T10:00+08:00", "--talk", "5", stdin=keys)
    assert p.returncode == 0, p.stderr
    assert "> verify_pin.ask_pin (collect)" in p.stdout
    for secret in ("583920", "4111111111111111"):  # the PIN and the card number: both secure collects
        assert secret not in p.stdout and secret not in p.stderr
    assert "keys: " + "•" * 17 + "\n" in p.stdout and "keys: ••••••\n" in p.stdout
    # the bank's API is not reachable from here: the PIN check fails and the caller goes to an agent
    assert "> verify_pin.check (fetch)" in p.stdout and "> verify_pin.give_up (return)" in p.stdout


def test_flowc_call_closed_hours_go_to_voicemail_and_h_hangs_up():
    p = flowc("call", BANK, "--at", "2026-11-25T23:00+08:00", "--keys", "1,0,h")
    assert p.returncode == 0, p.stderr
    assert "> closed (play)" in p.stdout and "> voicemail (record)" in p.stdout
    assert "caller hung up" in p.stdout and "== call ended: caller_hangup at voicemail" in p.stdout


def test_flowc_run_demo_places_calls_and_summarises(tmp_path):
    db = tmp_path / "calls.db"
    p = flowc("run", "--demo", "5", BANK, "--db", f"sqlite:///{db}", "--ari-password", "do-not-print-me")
    assert p.returncode == 0, p.stderr
    assert "serving bank_service on the embedded ARI simulator at http://127.0.0.1:" in p.stdout
    assert "demo: 5 call(s) in" in p.stdout and "outcomes: " in p.stdout
    assert "event->action latency: p50 " in p.stdout and " p99 " in p.stdout
    assert "do-not-print-me" not in p.stdout + p.stderr
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT count(*), count(ended_at), count(DISTINCT outcome) FROM calls").fetchone()
    assert rows[0] == rows[1] == 5


def test_flowc_run_rejects_ir_it_cannot_run(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"ir_version": "0", "name": "x"}', encoding="utf-8")
    p = flowc("run", str(bad))
    assert p.returncode == 2 and "not a flow IR this runtime can run" in p.stderr


def test_flowc_run_serves_compiled_ir_until_interrupted(tmp_path):
    from flowlang import api

    ir_path = tmp_path / "bank_service.json"
    ir_path.write_text(api.compile_or_raise(BANK).to_json(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWLANG_")}
    proc = subprocess.Popen([sys.executable, "-m", "flowlang.cli", "run", str(ir_path), "--db", "none"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = []
        while True:
            line = proc.stdout.readline()
            lines.append(line)
            if "Ctrl-C to stop" in line or not line:
                break
        assert any("serving bank_service" in x for x in lines), (lines, proc.stderr.read() if not line else "")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "flowc run: stopping (0 call(s) served)" in out
