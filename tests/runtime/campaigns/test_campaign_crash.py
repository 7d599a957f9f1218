"""A dialer killed with SIGKILL mid-campaign and restarted loses no contact and never has two calls
to one contact at once; every contact reaches a final state.

The parent runs the embedded ARI simulator (its own thread and event loop) and watches every
channel it creates; the child (campaign_crash_child.py) dials over real sockets with its state in
SQLite. The parent kills the child while calls are live, restarts it, and checks the store and the
simulator's record of every call.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from runtime.campaigns.model import FINAL
from runtime.simulator import AriSimulator
from runtime.simulator.carrier import CarrierMix
from tests.runtime.campaigns.campaign_rig import NOTIFY, ROOT, prepare

CHILD = Path(__file__).with_name("campaign_crash_child.py")
PASSWORD = "crash-test-secret"


class SimThread:
    """The simulator on its own loop; `created` logs (call, simulated time of creation)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sim = AriSimulator(password=PASSWORD, time_scale=0.05)
        self.created: list[tuple[object, float]] = []
        self.call(self._start())

    async def _start(self) -> None:
        await self.sim.start()
        self.sim.switch.carrier.add_mix("PJSIP/*", CarrierMix(answer=0.55, machine=0.1, busy=0.15, noanswer=0.1,
                                                              unreachable=0.1, ring=(3.0, 10.0), seed=4))
        self.sim.switch.call_listeners.append(lambda c: self.created.append((c, self.sim.clock.now())))

    def call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    async def _snapshot(self):
        out = []
        for call, t0 in self.created:
            end = next((e[-1] for e in call.transcript if e[0] == "hangup"), None)
            out.append((call.channel_id, call.dialed, t0, None if end is None else t0 + end))
        return out

    def snapshot(self):
        return self.call(self._snapshot())

    def close(self) -> None:
        self.call(self.sim.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def child(db: str, url: str) -> subprocess.Popen:
    env = {**os.environ, "FLOWLANG_ARI_PASSWORD": PASSWORD}
    return subprocess.Popen([sys.executable, str(CHILD), str(NOTIFY), db, url, "dialer-1"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def test_sigkill_mid_campaign_then_restart(tmp_path):
    path = tmp_path / "c.db"
    db = f"sqlite:///{path}"
    prepare(db, NOTIFY, retry_delay=0.5, unknown_delay=0.5)
    sim = SimThread()
    try:
        first = child(db, sim.sim.base_url)
        deadline = time.monotonic() + 30
        while True:  # wait until calls are in progress, some already answered
            live = rows(path, "SELECT COUNT(*) FROM campaign_attempts WHERE status = 'dialing'")
            answered = rows(path, "SELECT COUNT(*) FROM campaign_attempts WHERE status = 'dialing' "
                                  "AND answered_at IS NOT NULL")
            if live and live[0][0] >= 3 and answered and answered[0][0] >= 1:
                break
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the dialer never had calls in progress"
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        left = {r[0] for r in rows(path, "SELECT channel_id FROM campaign_attempts WHERE status = 'dialing'")}
        assert left, "the crash left no call in progress (nothing to recover)"

        second = child(db, sim.sim.base_url)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        report = json.loads(out.strip().splitlines()[-1])
        calls = sim.snapshot()
    finally:
        sim.close()

    # no contact lost: every contact is final, no attempt is left open
    statuses = rows(path, "SELECT contact_id, status FROM campaign_contacts")
    assert len(statuses) == 12 and all(s in FINAL for _, s in statuses), statuses
    assert rows(path, "SELECT COUNT(*) FROM campaign_attempts WHERE status = 'dialing'") == [(0,)]
    assert report["figures"]["remaining"] == 0
    # the calls the dead dialer left were resolved (hung up or found gone) and retried, not forgotten
    recovered = dict(rows(path, "SELECT channel_id, disposition FROM campaign_attempts"))
    assert all(recovered[ch] == "unknown" for ch in left)
    assert {cid for cid, _ in report["recovered"]} == {r[0] for r in rows(
        path, "SELECT contact_id FROM campaign_attempts WHERE disposition = 'unknown'")}
    # every call that reached the network had its attempt row first
    attempts = dict(rows(path, "SELECT channel_id, contact_id FROM campaign_attempts"))
    assert {ch for ch, *_ in calls} <= set(attempts)
    # never two calls at once to one contact: per contact, each call ends before the next begins
    numbers = rows(path, "SELECT contact_id, number FROM campaign_numbers")
    owner = {n: cid for cid, n in numbers}
    per_contact: dict[str, list[tuple[float, float]]] = {}
    for ch, dialed, start, end in calls:
        assert end is not None, f"call {ch} never ended"
        per_contact.setdefault(owner[dialed], []).append((start, end))
    for cid, spans in per_contact.items():
        spans.sort()
        for (s1, e1), (s2, _) in zip(spans, spans[1:]):
            assert e1 <= s2, f"contact {cid}: a call began at {s2} while another ran until {e1}"
