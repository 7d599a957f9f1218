"""Contact-centre records on both backends: queue stays, survey answers, lost calls, the callback
list (de-duplication, claiming by several workers, completion), repeat-caller counts."""

from __future__ import annotations

import logging
import threading

import pytest

from runtime.storage import CallbackRecord, LostCall, QueueStay, StoreError, SurveyAnswer, open_store
from runtime.storage.migrate import MIGRATIONS_DIR

T0 = 1_795_000_000.0
NUMBER = "+8613800138000"
MASKED = "+*********8000"


def started(store, call_id: str, t: float = T0, caller: str = NUMBER, direction: str = "inbound") -> None:
    store.call_started(call_id, "bank_service", "3", caller, "95588", direction, t, "zh-CN")


def test_fresh_database_has_the_contact_center_tables(db) -> None:
    open_store(db.url).close()
    columns = {}
    conn = db.connect()
    try:
        for table in ("queue_calls", "survey_answers", "lost_calls", "callbacks"):
            columns[table] = [c[0] for c in conn.execute(f"SELECT * FROM {table} WHERE 1 = 0").description]
    finally:
        conn.close()
    assert columns == {
        "queue_calls": ["id", "call_id", "flow", "queue", "entered_at", "answered_at", "left_at", "outcome",
                        "agent", "priority", "position"],
        "survey_answers": ["call_id", "node_id", "question", "kind", "value", "via", "at"],
        "lost_calls": ["call_id", "flow", "caller_masked", "node_id", "kind", "reason", "waited_s", "at"],
        "callbacks": ["id", "call_id", "flow", "queue", "number", "caller_masked", "source", "position",
                      "requested_at", "status", "attempts", "done_at"],
    }
    assert (2, "contact_center") in db.query("SELECT version, name FROM schema_migrations")


def test_queue_stays_enter_answer_and_leave_even_in_one_batch(db) -> None:
    with open_store(db.url) as store:
        started(store, "c1")
        # one call, two stays of the same queue, all queued before the writer runs: the stays are
        # keyed by their entry time, so the batch's grouping (all enters first) changes nothing
        store.queue_entered("c1", "bank_service", "agents", T0 + 5, priority=2, position=3)
        store.queue_left("c1", "agents", T0 + 5, T0 + 65, "overflow")
        store.queue_entered("c1", "bank_service", "agents", T0 + 70, priority=0, position=1)
        store.queue_answered("c1", "agents", T0 + 70, T0 + 80, "PJSIP/agent1")
        store.queue_left("c1", "agents", T0 + 70, T0 + 200, "answered")
        store.flush()
        stays = store.queue_stays("c1")
        assert store.queue_stays(since=T0 + 60) == stays[1:]
    assert [s[1:] for s in map(astuple, stays)] == [
        ("c1", "bank_service", "agents", T0 + 5, None, T0 + 65, "overflow", None, 2.0, 3),
        ("c1", "bank_service", "agents", T0 + 70, T0 + 80, T0 + 200, "answered", "PJSIP/agent1", 0.0, 1)]


def astuple(stay: QueueStay) -> tuple:
    return (stay.id, stay.call_id, stay.flow, stay.queue, stay.entered_at, stay.answered_at, stay.left_at,
            stay.outcome, stay.agent, stay.priority, stay.position)


def test_a_bad_queue_outcome_or_survey_channel_is_refused_at_once(db) -> None:
    with open_store(db.url) as store:
        with pytest.raises(ValueError, match="answered"):
            store.queue_left("c", "q", T0, T0, "hung_up")
        with pytest.raises(ValueError, match="dtmf"):
            store.survey_answer("c", "s", "q", "csat", "5", "keypad", T0)
        with pytest.raises(ValueError, match="offer"):
            store.add_callback("c", "f", None, NUMBER, "web", None, T0)


def test_survey_answers_are_stored_with_the_call_and_the_last_answer_wins(db) -> None:
    with open_store(db.url) as store:
        started(store, "c1")
        store.survey_answer("c1", "csat", "score", "csat", "2", "dtmf", T0 + 100)
        store.survey_answer("c1", "csat", "recommend", "nps", "10", "speech", T0 + 110)
        store.survey_answer("c1", "csat", "score", "csat", "4", "dtmf", T0 + 120)  # asked again
        store.survey_answer("c1", "csat", "resolved", "yesno", "yes", "speech", T0 + 130)
        store.flush()
        answers = store.survey_answers("c1")
    assert answers == [
        SurveyAnswer("c1", "csat", "recommend", "nps", "10", "speech", T0 + 110),
        SurveyAnswer("c1", "csat", "score", "csat", "4", "dtmf", T0 + 120),
        SurveyAnswer("c1", "csat", "resolved", "yesno", "yes", "speech", T0 + 130)]


def test_a_lost_call_is_masked_and_recorded_once(db) -> None:
    with open_store(db.url) as store:
        started(store, "c1")
        store.lost_call("c1", "bank_service", NUMBER, "main_menu", "menu", "hangup_in_ivr", None, T0 + 9)
        store.lost_call("c1", "bank_service", NUMBER, "other", "queue", "overflow", 3.0, T0 + 10)
        store.flush()
        lost = store.lost_calls(since=T0)
        assert store.lost_calls(since=T0 + 9.5) == []
    assert lost == [LostCall("c1", "bank_service", MASKED, "main_menu", "menu", "hangup_in_ivr", None, T0 + 9)]
    assert "13800138000" not in repr(db.query("SELECT * FROM lost_calls"))


def test_deleting_a_call_takes_its_records_but_keeps_its_callback(db) -> None:
    with open_store(db.url) as store:
        started(store, "c1")
        store.queue_entered("c1", "bank_service", "agents", T0 + 5)
        store.survey_answer("c1", "csat", "score", "csat", "5", "dtmf", T0 + 100)
        store.lost_call("c1", "bank_service", NUMBER, "agents", "queue", "abandoned_in_queue", 4.0, T0 + 9)
        store.add_callback("c1", "bank_service", "agents", NUMBER, "lost", None, T0 + 9)
        store.flush()
    conn = db.connect()
    try:
        if db.name == "sqlite":
            conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM calls")
    finally:
        conn.close()
    counts = [db.query(f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("queue_calls", "survey_answers", "lost_calls")]
    assert counts == [0, 0, 0]
    assert db.query("SELECT call_id, number FROM callbacks") == [(None, NUMBER)]


def test_lost_callers_are_listed_once_a_day_and_offers_keep_their_place(db) -> None:
    day = T0 - 3600
    with open_store(db.url) as store:
        for i, cid in enumerate(("a", "b", "c")):
            started(store, cid, T0 + i)
        started(store, "d", T0 + 3, caller="+8613900000001")
        store.add_callback("a", "bank_service", "agents", NUMBER, "lost", None, T0 + 10, day_start=day)
        store.add_callback("b", "bank_service", "agents", NUMBER, "lost", None, T0 + 20, day_start=day)  # open
        store.add_callback("d", "bank_service", "agents", "+8613900000001", "offer", 3, T0 + 15)
        store.flush()
        listed = store.callbacks()
        assert [(c.call_id, c.source, c.position, c.status) for c in listed] == [
            ("a", "lost", None, "pending"), ("d", "offer", 3, "pending")]
        assert listed[0].caller_masked == MASKED and listed[0].number == NUMBER
        assert NUMBER not in repr(listed) and MASKED in repr(listed[0])
        # called back today: a caller lost again today is not listed again; tomorrow they are
        assert store.complete_callback(listed[0].id, "done", at=T0 + 50)
        store.add_callback("c", "bank_service", "agents", NUMBER, "lost", None, T0 + 60, day_start=day)
        store.flush()
        assert len(store.callbacks(status="pending")) == 1
        store.add_callback("c", "bank_service", "agents", NUMBER, "lost", None, T0 + 86400,
                           day_start=T0 + 80000)
        store.flush()
        assert [c.call_id for c in store.callbacks(status="pending")] == ["d", "c"]


def test_listing_a_lost_caller_looks_the_number_up_by_index(db) -> None:
    """The once-a-day check finds the number's entries through an index (0005), not by reading
    every pending entry: with thousands of lost callers pending, a scan made each insert slower."""
    from runtime.storage.contact import WRITES
    with open_store(db.url):
        pass
    if db.name == "sqlite":
        plan = str(db.query("EXPLAIN QUERY PLAN " + WRITES["callback"], (None,) * 10))
        assert "USING COVERING INDEX callbacks_number" in plan, plan
    else:  # PostgreSQL picks plans by table statistics: check the index is there
        assert db.query("SELECT indexname FROM pg_indexes WHERE indexname = 'callbacks_number'")


def test_complete_finishes_only_open_entries(db) -> None:
    with open_store(db.url) as store:
        started(store, "a")
        store.add_callback("a", "bank_service", None, NUMBER, "offer", 1, T0)
        store.flush()
        (entry,) = store.callbacks()
        assert store.complete_callback(entry.id, "cancelled", at=T0 + 5)
        assert not store.complete_callback(entry.id, "done")      # already finished
        assert not store.complete_callback(99999, "done")         # no such entry
        with pytest.raises(ValueError, match="pending, done"):
            store.complete_callback(entry.id, "dialing")
        (after,) = store.callbacks()
    assert (after.status, after.done_at) == ("cancelled", T0 + 5)


def test_claiming_takes_the_oldest_pending_and_retries_put_it_back(db) -> None:
    with open_store(db.url) as store:
        for i in range(3):
            started(store, f"c{i}", T0 + i, caller=f"+86139000000{i:02d}")
            store.add_callback(f"c{i}", "bank_service", "agents", f"+86139000000{i:02d}", "offer", i + 1,
                               T0 + 10 - i)
        store.flush()
        first = store.claim_callbacks(2)
        assert [(c.call_id, c.status, c.attempts) for c in first] == [("c2", "dialing", 1), ("c1", "dialing", 1)]
        assert store.complete_callback(first[0].id, "pending")       # no answer: try again later
        again = store.claim_callbacks(5)
        assert [(c.call_id, c.attempts) for c in again] == [("c2", 2), ("c0", 1)]
        assert store.claim_callbacks(1) == []
        assert [c.status for c in store.callbacks()] == ["dialing"] * 3


def test_several_workers_never_claim_the_same_callback(db) -> None:
    entries = 60
    with open_store(db.url, worker="setup") as store:
        for i in range(entries):
            started(store, f"c{i}", T0 + i, caller=f"+861390000{i:04d}")
            store.add_callback(f"c{i}", "bank_service", "agents", f"+861390000{i:04d}", "lost", None, T0 + i)
        store.flush()
    workers = [open_store(db.url, worker=f"w{i}") for i in range(3)]
    claimed: list[list[CallbackRecord]] = [[] for _ in workers]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(workers))

    def work(i: int) -> None:
        try:
            barrier.wait()
            while batch := workers[i].claim_callbacks(3):
                claimed[i].extend(batch)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for w in workers:
        w.close()
    assert errors == []
    ids = [c.id for batch in claimed for c in batch]
    assert len(ids) == entries and len(set(ids)) == entries
    assert db.query("SELECT COUNT(*) FROM callbacks WHERE status = 'dialing' AND attempts = 1") == [(entries,)]


def test_repeat_caller_counts_come_from_the_store(db) -> None:
    with open_store(db.url) as store:
        for i, t in enumerate((T0 - 90000, T0 + 10, T0 + 20, T0 + 30)):
            started(store, f"c{i}", t)
        started(store, "other", T0 + 40, caller="+8613900000001")
        started(store, "out", T0 + 50, direction="outbound", caller="95588")
        store.flush()
        assert store.calls_from(NUMBER, since=T0) == (3, T0 + 30)
        assert store.calls_from("+86 138 0013 8000", since=T0) == (0, None)  # another format: masked apart
        assert store.calls_from(NUMBER, since=T0, until=T0 + 25) == (2, T0 + 20)
        assert store.calls_from("+8613911112222", since=T0) == (0, None)
        counts = store.caller_counts(since=T0)
    assert counts == {MASKED: (3, T0 + 30), "+*********0001": (1, T0 + 40)}


def test_the_real_number_is_never_logged_when_a_callback_is_refused(db, caplog) -> None:
    caplog.set_level(logging.ERROR, "flowlang.storage")
    store = open_store(db.url)
    started(store, "c1")
    store.add_callback("no-such-call", "bank_service", None, NUMBER, "lost", None, T0)  # FK refuses it
    store.add_callback("c1", None, None, NUMBER, "lost", None, T0)  # NOT NULL: PostgreSQL shows the row
    with pytest.raises(StoreError, match="refused 2") as refused:
        store.flush()
    store.close()
    assert "no-such-call" in caplog.text and "13800138000" not in caplog.text
    assert "13800138000" not in str(refused.value)


def test_caller_keys_count_numbers_apart_that_share_their_last_four_digits(db, tmp_path) -> None:
    older = tmp_path / "before_0004"
    older.mkdir()
    for path in MIGRATIONS_DIR.glob("*.sql"):
        if path.name[:4] < "0004":  # the schema as it was before 0004 (and later migrations)
            (older / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    open_store(db.url, migrations_dir=older).close()  # a row written before caller keys existed
    db.query("INSERT INTO calls (call_id, flow, flow_version, caller_masked, dialed, direction, worker, "
             "started_at) VALUES ('old', 'bank_service', '3', ?, '95588', 'inbound', 'w', ?)", (MASKED, T0 + 5))
    other = "+8613911118000"  # masked like NUMBER
    with open_store(db.url) as store:
        assert store.migrated[0] == 4
        for i, (caller, key) in enumerate(((NUMBER, "a" * 32), (NUMBER, "a" * 32), (other, "b" * 32))):
            store.call_started(f"c{i}", "bank_service", "3", caller, "95588", "inbound", T0 + 10 + i, "zh-CN", key)
        store.flush()
        counts = store.caller_counts(since=T0)
        assert store.calls_from(NUMBER, since=T0, caller_key="a" * 32) == (2, T0 + 11)
        assert store.calls_from(other, since=T0, caller_key="b" * 32) == (1, T0 + 12)
        assert store.calls_from(other, since=T0) == (4, T0 + 12)  # without a key: the masked number
    assert counts == {"a" * 32: (2, T0 + 11), "b" * 32: (1, T0 + 12), MASKED: (1, T0 + 5)}
    assert db.query("SELECT call_id FROM calls WHERE caller_key IS NULL") == [("old",)]
    assert not any(b"13911118000" in path.read_bytes() for path in db.files())  # masks and keys only


def test_last_agents_reads_back_who_served_whom_newest_last_and_bounded(db) -> None:
    with open_store(db.url) as store:
        stays = [("c1", "a" * 32, "PJSIP/one"), ("c2", "b" * 32, "PJSIP/two"), ("c3", "a" * 32, "PJSIP/two"),
                 ("c4", "", None), ("c5", "c" * 32, None)]  # withheld number; never answered
        for i, (call_id, key, agent) in enumerate(stays):
            store.call_started(call_id, "bank_service", "3", NUMBER, "95588", "inbound", T0 + 10 * i, "zh-CN",
                               key or None)
            store.queue_entered(call_id, "bank_service", "agents", T0 + 10 * i + 1, priority=0, position=1)
            if agent is not None:
                store.queue_answered(call_id, "agents", T0 + 10 * i + 1, T0 + 10 * i + 3, agent)
            store.queue_left(call_id, "agents", T0 + 10 * i + 1, T0 + 10 * i + 6, "answered" if agent else "abandoned")
        store.flush()
        # oldest first, so that replaying them leaves each caller with their latest agent
        assert store.last_agents(10) == [("a" * 32, "PJSIP/one"), ("b" * 32, "PJSIP/two"), ("a" * 32, "PJSIP/two")]
        assert store.last_agents(2) == [("b" * 32, "PJSIP/two"), ("a" * 32, "PJSIP/two")]
