"""The call store on both backends: round trip, ordering, concurrency, errors, stale calls."""

from __future__ import annotations

import statistics
import threading
import time

import pytest

from runtime.storage import STALE_OUTCOME, CallRecord, InputRecord, StoreError, VisitRecord, open_store

T0 = 1_795_000_000.0


def full_call(store, call_id: str, t: float = T0, visits: int = 4, end: bool = True) -> None:
    store.call_started(call_id, "bank_service", "3", "+8613800138000", "95588", "inbound", t, "zh-CN")
    for seq in range(visits):
        store.visit(call_id, seq, f"node{seq}", "menu" if seq % 2 else "play", t + seq + 0.25,
                    "dtmf:1" if seq else None)
    store.input(call_id, "node1", "dtmf", "1", False, t + 1.5)
    store.input(call_id, "node2", "digits", "123456", True, t + 2.5)
    store.input(call_id, "node2", "speech", "查询余额", False, t + 2.75)
    store.variables(call_id, {"language": "zh-CN", "choice": "balance"})
    if end:
        store.call_ended(call_id, t + 30, "completed", f"node{visits - 1}", "caller hung up")


def test_round_trip_of_a_full_call(db) -> None:
    with open_store(db.url, worker="w1") as store:
        full_call(store, "c1")
        store.flush()
        got = store.get_call("c1")
    assert got == CallRecord(
        call_id="c1", flow="bank_service", flow_version="3", caller_masked="+*********8000",
        dialed="95588", direction="inbound", language="zh-CN", worker="w1", started_at=T0,
        ended_at=T0 + 30, outcome="completed", end_node="node3", end_reason="caller hung up",
        visits=(VisitRecord(0, "node0", "play", T0 + 0.25, None),
                VisitRecord(1, "node1", "menu", T0 + 1.25, "dtmf:1"),
                VisitRecord(2, "node2", "play", T0 + 2.25, "dtmf:1"),
                VisitRecord(3, "node3", "menu", T0 + 3.25, "dtmf:1")),
        inputs=(InputRecord("node1", "dtmf", "1", False, T0 + 1.5),
                InputRecord("node2", "digits", "******", True, T0 + 2.5),
                InputRecord("node2", "speech", "查询余额", False, T0 + 2.75)),
        variables={"choice": "balance", "language": "zh-CN"})
    assert not got.is_open


def test_numbers_are_masked_before_storage(db) -> None:
    with open_store(db.url) as store:
        store.call_started("out", "renewal", "1", "95588", "+8613912345678", "outbound", T0, None)
        store.input("out", "ask", "speech", "call me on 139 1234 5678", False, T0 + 1)
        store.variables("out", {"callback": "+8613912345678"})
        store.flush()
        got = store.get_call("out")
    assert (got.caller_masked, got.dialed) == ("*5588", "+*********5678")
    assert got.inputs[0].value == "call me on *** **** 5678"
    assert got.variables == {"callback": "+*********5678"}
    rows = db.query("SELECT caller_masked, dialed FROM calls")
    assert "13912345678" not in repr(rows)


def test_visits_come_back_in_sequence_order(db) -> None:
    with open_store(db.url) as store:
        store.call_started("c", "f", "1", "1", "2", "inbound", T0, None)
        for seq in (3, 0, 2, 1, 4):
            store.visit("c", seq, f"n{seq}", "play", T0 + seq, None)
            store.flush()
        assert [v.seq for v in store.get_call("c").visits] == [0, 1, 2, 3, 4]
        assert [v.node_id for v in store.get_call("c").visits] == ["n0", "n1", "n2", "n3", "n4"]


def test_many_calls_interleaved_from_several_threads(db) -> None:
    threads, per_thread, visits = 6, 40, 8
    with open_store(db.url) as store:
        def run(t: int) -> None:
            ids = [f"t{t}-c{i}" for i in range(per_thread)]
            for i, cid in enumerate(ids):
                store.call_started(cid, f"flow{t % 2}", "1", f"13800{t:02d}{i:04d}", "95588",
                                   "inbound", T0 + i, "en-US")
            for seq in range(visits):        # every call advances one node per round
                for i, cid in enumerate(ids):
                    store.visit(cid, seq, f"n{seq}", "play", T0 + i + seq, None)
            for i, cid in enumerate(ids):
                store.input(cid, "n1", "dtmf", str(i % 10), False, T0 + i + 1)
                store.variables(cid, {"thread": str(t), "index": str(i)})
                store.call_ended(cid, T0 + i + visits, "completed", f"n{visits - 1}", "")

        workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        store.flush(timeout=60)
        records = list(store.calls())
        stats = store.stats()
    assert len(records) == threads * per_thread
    for rec in records:
        t, i = (int(x[1:]) for x in rec.call_id.split("-"))
        assert [v.seq for v in rec.visits] == list(range(visits))
        assert [v.at for v in rec.visits] == [T0 + i + s for s in range(visits)]
        assert rec.variables == {"thread": str(t), "index": str(i)}
        assert rec.inputs == (InputRecord("n1", "dtmf", str(i % 10), False, T0 + i + 1),)
        assert (rec.ended_at, rec.outcome) == (T0 + i + visits, "completed")
        assert rec.caller_masked == "*******" + f"{i:04d}"
    assert stats.committed == stats.queued and stats.pending == 0 and stats.dropped == 0
    assert stats.batches < stats.committed / 5          # records really are batched


def test_every_record_is_committed_without_a_flush(db) -> None:
    """The writer thread sleeps while nothing is queued and is woken once per batch: a record
    queued at any moment (while it sleeps, gathers or commits) is committed within a batch
    window or two, with no flush() to push it."""
    with open_store(db.url, max_delay=0.002) as store:
        store.call_started("w", "bank_service", "3", "+8613800138000", "95588", "inbound", T0, "zh-CN")
        for seq in range(150):
            store.visit("w", seq, f"n{seq}", "menu", T0 + seq)
            if seq % 3:
                time.sleep((seq % 7) * 0.0007)   # land before, inside and after batch windows
            if seq % 10 == 9:
                deadline = time.monotonic() + 2.0
                while store.stats().pending and time.monotonic() < deadline:
                    time.sleep(0.001)
                assert store.stats().pending == 0, f"records left unwritten after visit {seq}"
        assert store.stats().batches > 10  # (it did wake up many times, not once at close)


def test_calls_filters_by_time_and_flow_and_pages(db) -> None:
    with open_store(db.url) as store:
        for i in range(1100):
            flow = "a" if i % 3 else "b"
            store.call_started(f"c{i:04d}", flow, "1", "1", "2", "inbound", T0 + i, None)
            store.visit(f"c{i:04d}", 0, "start", "play", T0 + i, None)
        store.flush(timeout=30)
        every = list(store.calls())
        assert [r.call_id for r in every] == [f"c{i:04d}" for i in range(1100)]
        assert all(len(r.visits) == 1 for r in every)
        window = [r.call_id for r in store.calls(since=T0 + 10, until=T0 + 20)]
        assert window == [f"c{i:04d}" for i in range(10, 20)]
        only_b = [r.call_id for r in store.calls(flow="b", until=T0 + 10)]
        assert only_b == ["c0000", "c0003", "c0006", "c0009"]


def test_writes_do_not_wait_for_a_locked_database(db) -> None:
    with open_store(db.url) as store:
        full_call(store, "before")
        store.flush()
        locker = db.connect()
        locker.execute("BEGIN IMMEDIATE" if db.name == "sqlite" else "BEGIN")
        if db.name == "postgres":
            locker.execute("LOCK TABLE calls, visits, inputs, call_vars IN ACCESS EXCLUSIVE MODE")
        took = []
        try:
            for i in range(200):
                start = time.perf_counter()
                full_call(store, f"during{i}", T0 + i)
                took.append((time.perf_counter() - start) / 10)   # ten store calls each
            with pytest.raises(StoreError, match="did not commit within"):
                store.flush(timeout=0.5)
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        store.flush(timeout=30)
        assert len(list(store.calls())) == 201
    assert statistics.median(took) < 0.0005 and max(took) < 0.05, (statistics.median(took), max(took))


def test_a_refused_record_is_dropped_alone_and_reported(db) -> None:
    with open_store(db.url) as store:
        full_call(store, "good1")
        store.visit("nobody", 0, "n0", "play", T0, None)       # no such call: foreign key
        full_call(store, "good2")
        with pytest.raises(StoreError, match="refused 1 record"):
            store.flush()
        store.flush()                                            # reported once
        assert store.stats().dropped == 1
        assert {r.call_id for r in store.calls()} == {"good1", "good2"}
        assert len(store.get_call("good2").visits) == 4


def test_only_the_first_end_counts_and_variables_upsert(db) -> None:
    with open_store(db.url) as store:
        full_call(store, "c")
        store.call_ended("c", T0 + 99, "error", "elsewhere", "late duplicate")
        store.variables("c", {"choice": "transfer", "extra": "1"})
        store.flush()
        got = store.get_call("c")
    assert (got.ended_at, got.outcome, got.end_node) == (T0 + 30, "completed", "node3")
    assert got.variables == {"choice": "transfer", "extra": "1", "language": "zh-CN"}


def test_open_calls_and_close_stale_after_a_restart(db) -> None:
    with open_store(db.url, worker="w1") as old:
        full_call(old, "crashed", visits=3, end=False)
        full_call(old, "finished", T0 + 1)
        full_call(old, "other-worker", T0 + 2, end=False)
        old.flush()
    db.query("UPDATE calls SET worker = 'w2' WHERE call_id = 'other-worker'")
    with open_store(db.url, worker="w1") as new:
        full_call(new, "live-now", time.time(), end=False)
        new.flush()
        assert new.open_calls() == ["crashed", "other-worker", "live-now"]
        assert new.close_stale() == ["crashed"]
        assert new.close_stale() == []
        got = new.get_call("crashed")
        assert (got.outcome, got.end_node, got.ended_at) == (STALE_OUTCOME, "node2", T0 + 2.75)
        assert new.open_calls() == ["other-worker", "live-now"]
        assert new.close_stale("runtime_crash", worker="w2") == ["other-worker"]


def test_misuse_is_reported(db) -> None:
    store = open_store(db.url)
    with pytest.raises(ValueError, match="input kind"):
        store.input("c", "n", "keypad", "1", False, T0)
    store.close()
    store.close()                                                # idempotent
    with pytest.raises(StoreError, match="closed"):
        store.visit("c", 0, "n", "play", T0, None)
    with pytest.raises(StoreError, match="closed"):
        store.get_call("c")


def test_the_writer_reconnects_after_losing_its_postgresql_connection(pg_db) -> None:
    db = pg_db
    with open_store(db.url) as store:
        full_call(store, "before")
        store.flush()
        killed = db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = 'flowlang-writer' AND datname = current_database()")
        assert killed == [(True,)]
        full_call(store, "after")
        store.flush(timeout=30)
        assert store.get_call("after").ended_at == T0 + 30
        assert store.stats().retries >= 1


def test_phone_numbers_in_visit_events_are_masked(db) -> None:
    with open_store(db.url) as store:
        store.call_started("c", "f", "1", "1", "2", "inbound", T0, None)
        store.visit("c", 0, "ask", "collect", T0, "speech:我的号码是13800138000")
        store.flush()
        assert store.get_call("c").visits[0].event == "speech:我的号码是*******8000"


def test_close_reports_records_it_could_not_write(db) -> None:
    store = open_store(db.url)
    store.visit("nobody", 0, "n0", "play", T0, None)
    with pytest.raises(StoreError, match="refused 1 record"):
        store.close()
    store = open_store(db.url)
    full_call(store, "c")
    store.flush()
    locker = db.connect()
    locker.execute("BEGIN IMMEDIATE" if db.name == "sqlite" else "BEGIN")
    if db.name == "postgres":
        locker.execute("LOCK TABLE calls IN ACCESS EXCLUSIVE MODE")
    try:
        full_call(store, "stuck")
        with pytest.raises(StoreError, match="closed with 11 records not written"):
            store.close(timeout=0.3)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
