"""Secure inputs and raw caller numbers never reach the database's files, not even the WAL."""

from __future__ import annotations

from runtime.storage import open_store

PIN = "918273"                       # short enough not to count as a phone number
PHRASE = "open sesame zebra"
CALLER = "+8613912345678"
CONTROL = "balance enquiry quokka"    # stored in clear: proves the scan can find text


def scan(db) -> bytes:
    return b"".join(p.read_bytes() for p in db.files())


def test_secure_values_are_not_in_any_database_file(db) -> None:
    store = open_store(db.url)
    for i in range(50):
        cid = f"call{i}"
        store.call_started(cid, "bank", "1", CALLER, "95588", "inbound", 1000.0 + i, "en-US")
        store.input(cid, "pin", "digits", PIN, True, 1001.0 + i)
        store.input(cid, "phrase", "speech", PHRASE, True, 1002.0 + i)
        store.input(cid, "ask", "speech", CONTROL, False, 1003.0 + i)
        store.call_ended(cid, 1010.0 + i, "completed", "bye", "")
    store.flush()
    if db.name == "sqlite":
        assert db.path.with_name(db.path.name + "-wal").stat().st_size > 0   # WAL not yet checkpointed
    while_open = scan(db)
    store.close()
    after_close = scan(db)
    for data in (while_open, after_close):
        assert CONTROL.encode() in data
        assert b"*********5678" in data                                     # the masked caller
        for secret in (PIN, PHRASE, CALLER, CALLER[1:], CALLER[3:]):
            assert secret.encode() not in data, secret
    assert db.query("SELECT DISTINCT value FROM inputs WHERE secure = 1 ORDER BY value") == \
        [("*" * len(PIN),), ("*" * len(PHRASE),)]


def test_the_schema_refuses_a_secure_value_in_clear(db) -> None:
    open_store(db.url).close()
    db.query("INSERT INTO calls (call_id, flow, flow_version, caller_masked, dialed, direction, "
             "worker, started_at) VALUES ('c', 'f', '1', '*', '1', 'inbound', 'w', 0)")
    db.query("INSERT INTO inputs (call_id, node_id, kind, value, secure, at) "
             "VALUES ('c', 'n', 'digits', '****', 1, 0)")
    try:
        db.query("INSERT INTO inputs (call_id, node_id, kind, value, secure, at) "
                 "VALUES ('c', 'n', 'digits', '12*4', 1, 0)")
    except Exception as exc:  # noqa: BLE001 - sqlite3 and psycopg raise their own classes
        assert "check" in str(exc).lower() or "constraint" in str(exc).lower(), exc
    else:
        raise AssertionError("a secure input in clear was accepted")
