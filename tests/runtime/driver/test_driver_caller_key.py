"""Pseudonymous caller keys (runtime/storage/caller_key.py): exact repeat-caller counts across a
restart for numbers that share their last four digits, the ACD's last_agent memory keyed the same
way, no raw number in the store, and where the secret comes from (env, file next to the database,
PostgreSQL refuses to guess)."""

from __future__ import annotations

import asyncio
import stat

import pytest

from runtime.storage import open_store
from runtime.storage.caller_key import ENV, CallerKeys, caller_keys_for, normalize
from runtime.storage.model import StoreError
from runtime.simulator import run_script
from tests.runtime.driver.rig import OPEN, Rig, compile_text, drive, runtime

pytestmark = pytest.mark.timeout(20)

A = "+8613512345678"
B = "+8613900005678"  # the same last four digits: the same masked number as A
SECRET = "an example secret that is long enough"


# ---------------------------------------------------------------- the keys
def test_a_key_names_the_number_whatever_its_formatting_and_depends_on_the_secret():
    keys, other = CallerKeys(SECRET.encode()), CallerKeys(b"another secret, just as long")
    k = keys.key(A)
    assert len(k) == 32 and int(k, 16) >= 0
    same = ("+86 135-1234-5678", "008613512345678", "８６１３５１２３４５６７８")  # (full-width digits too)
    assert [keys.key(n) for n in same] == [k, k, k]
    assert keys.key(B) != k  # sharing the last four digits is not enough
    assert other.key(A) != k  # a different secret, a different key: nothing to match without it
    assert keys.key("anonymous") == keys.key("") == ""
    assert normalize("0086 135 1234 5678") == "8613512345678" and SECRET not in repr(keys)


def test_the_sqlite_secret_is_made_once_next_to_the_database_and_kept_private(tmp_path):
    db = tmp_path / "calls.db"
    first = caller_keys_for(f"sqlite:///{db}", env={})
    path = tmp_path / "calls.db.caller-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert caller_keys_for(str(db), env={}).key(A) == first.key(A)  # the same file: the same keys
    assert caller_keys_for(str(db), env={ENV: SECRET}).key(A) == CallerKeys(SECRET.encode()).key(A)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_a_postgres_store_needs_the_secret_and_says_how_to_give_it(tmp_path):
    with pytest.raises(StoreError, match=f"every worker must share.*{ENV}.*token_hex.*caller_key_file"):
        caller_keys_for("postgresql://flowlang@db.example/calls", env={})
    keys = caller_keys_for("postgresql://flowlang@db.example/calls", env={ENV: SECRET})
    assert keys.key(A) == CallerKeys(SECRET.encode()).key(A)
    key_file = tmp_path / "caller-key"
    key_file.write_text(SECRET + "\n")
    assert caller_keys_for("postgresql://x@h/db", secret_file_path=key_file, env={}).key(A) == keys.key(A)
    with pytest.raises(StoreError, match="too short"):
        caller_keys_for("postgresql://x@h/db", env={ENV: "short"})


# ---------------------------------------------------------------- across a restart
COUNTING = """
    var seen_today: number = 0
    set start {
      seen_today = calls_today(caller.number)
      -> done
    }
    hangup done {
    }
    """


def test_numbers_sharing_their_last_four_digits_are_counted_apart_after_a_restart(tmp_path):
    flows = {"t": runtime(compile_text(tmp_path, COUNTING))}

    async def calls(rig: Rig, numbers: list[str]) -> list[int]:
        out = []
        for number in numbers:
            call = await rig.call(caller=number)
            await call.wait_ended(3)
            record = await rig.record(call.channel_id)
            out.append(int(record.variables.get("seen_today", "1")))
        await rig.settle()
        return out

    async def first_run(rig: Rig):
        return await calls(rig, [A, A]), rig.server.history.key(A)

    async def second_run(rig: Rig):  # a new server on the same store: only A's two calls count for A
        await asyncio.sleep(1.1)  # (channel ids are `<epoch>.<n>`: a fresh simulator counts n from 1)
        return await calls(rig, [B, A, B]), rig.server.history.key(B)

    (before, key_a) = drive(first_run, flows, tmp_path)
    (after, key_b) = drive(second_run, flows, tmp_path, wall=OPEN + 600)
    assert before == [1, 2]
    assert after == [1, 3, 2]  # B is not A: without keys the masked numbers would make these 3, 4, 5
    with open_store(f"sqlite:///{tmp_path / 'calls.db'}") as store:
        counts = store.caller_counts(since=OPEN - 3600)
    assert counts == {key_a: (3, pytest.approx(counts[key_a][1])), key_b: (2, pytest.approx(counts[key_b][1]))}
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("calls.db*") if not p.name.endswith(".caller-key"))
    assert raw.count(key_a.encode()) >= 1
    for digits in ("13512345678", "13900005678", "8613512345678"):
        assert digits.encode() not in raw  # the store keeps masks and keys, never a number


# ---------------------------------------------------------------- the ACD remembers callers by key
QUEUED = """
    prompt hold {
      en-US "Please hold."
    }
    queue start {
      say hold
      strategy last_agent
      max_wait 60s
      agent_timeout 10s
      overflow -> done
      after -> done
    }
    hangup done {
    }
    """


def test_last_agent_remembers_callers_by_their_key_not_their_masked_number(tmp_path):
    flows = {"t": runtime(compile_text(tmp_path, QUEUED))}

    async def scenario(rig: Rig):
        for number in (A, B):
            call = await rig.call(caller=number)
            await run_script(call, [("expect", "bridge_enter"), ("wait_end",)])
        await rig.settle()
        history = rig.server.history
        return dict(rig.server.queues.pool.history), history.key(A), history.key(B)

    remembered, key_a, key_b = drive(
        scenario, flows, tmp_path, agents={"start": ("PJSIP/one", "PJSIP/two")},
        endpoints=(("PJSIP/*", {"outcome": "answer", "ring_seconds": 0.5, "hangup_after": 1.0}),))
    assert set(remembered) == {key_a, key_b}  # two callers, though their masked numbers are equal


def test_last_agent_memory_survives_a_restart_through_the_call_store(tmp_path):
    """A restarted runtime reads who served whom back from queue_calls (by caller key): each
    caller goes back to the agent of their last call, though they now call in the other order."""
    flows = {"t": runtime(compile_text(tmp_path, QUEUED))}
    agents = {"start": ("PJSIP/one", "PJSIP/two")}
    answer = (("PJSIP/*", {"outcome": "answer", "ring_seconds": 0.5, "hangup_after": 1.0}),)

    async def served_by(rig: Rig, number: str) -> str:
        call = await rig.call(caller=number)
        await run_script(call, [("expect", "bridge_enter"), ("wait_end",)])
        leg = next(c for c in reversed(rig.sim.calls) if c.direction == "outbound")
        return leg.dialed

    async def first_run(rig: Rig):
        a = await served_by(rig, A)
        b = await served_by(rig, B)  # agent `a` is in wrap-up: the other one serves B
        await rig.settle()
        return a, b

    async def second_run(rig: Rig):
        recalled = dict(rig.server.queues.pool.history)  # read back before any call
        b = await served_by(rig, B)
        await rig.settle()
        a = await served_by(rig, A)
        return recalled, a, b

    a1, b1 = drive(first_run, flows, tmp_path, agents=agents, endpoints=answer)
    recalled, a2, b2 = drive(second_run, flows, tmp_path, agents=agents, endpoints=answer)
    assert a1 != b1
    assert len(recalled) == 2 and sorted(recalled.values()) == ["PJSIP/one", "PJSIP/two"]
    assert (a2, b2) == (a1, b1)
