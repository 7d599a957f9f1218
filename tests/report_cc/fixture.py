"""A call store with known rows, so every report figure has a value worked out by hand.

The store is migrated by the real migrations (runtime/storage/migrate.py via open_store), then
filled with plain SQL. Times: 2026-11-20 (UTC); the report period is that day, and call c15 (the
day before) and one callback (the day before) lie outside it. Caller numbers are masked as the
store masks them, except c16's, stored raw on purpose (as a buggy writer might): reports must
mask it anyway, and count it with c7 (the same caller, stored masked). callbacks.number is raw, as the schema says; it must never be printed.

Expected figures (service level 20 s, target 80 %, short abandon 5 s), worked out in the tests.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

from runtime.storage import mask_number, open_store

T0 = datetime(2026, 11, 20, tzinfo=timezone.utc).timestamp()
DAY = 86400.0
SINCE, UNTIL = "2026-11-20T00:00+00:00", "2026-11-21T00:00+00:00"
RAW = {n: f"+86138000000{n:02d}" for n in range(1, 10)}   # the callers' real numbers
BANK, SKILLS = "bank_service", "skills_routing"


def at(hh: int, mm: int = 0, plus: float = 0.0) -> float:
    return T0 + hh * 3600 + mm * 60 + plus


# call id, flow, caller number key (None: withheld), direction, start, duration (None: open),
# outcome, end node, visits [(node, kind)]
PATH_MENU = [("welcome", "play"), ("main_menu", "menu")]
CALLS = [
    ("c1", BANK, 1, "inbound", at(8), 60, "completed", "goodbye",
     PATH_MENU + [("ask_account", "collect"), ("say_balance", "play"), ("goodbye", "hangup")]),
    ("c2", BANK, 1, "inbound", at(8, 10), 140, "queued", "csat",
     PATH_MENU + [("agent_queue", "queue"), ("csat", "survey")]),
    ("c3", BANK, 2, "inbound", at(9), 20, "caller_hangup", "main_menu", PATH_MENU),
    ("c4", BANK, 3, "inbound", at(9, 5), 38, "abandoned", "agent_queue", PATH_MENU + [("agent_queue", "queue")]),
    ("c5", BANK, 3, "inbound", at(9, 30), 8, "abandoned", "agent_queue",
     [("welcome", "play"), ("agent_queue", "queue")]),
    ("c6", BANK, 3, "inbound", at(10), 100, "queued", "csat",
     PATH_MENU + [("agent_queue", "queue"), ("csat", "survey")]),
    ("c7", BANK, 4, "inbound", at(10, 15), 30, "transferred", "lost_card", PATH_MENU + [("lost_card", "transfer")]),
    ("c8", BANK, 5, "inbound", at(10, 20), 200, "completed", "goodbye",
     PATH_MENU + [("agent_queue", "queue"), ("goodbye", "hangup")]),
    ("c9", BANK, 6, "inbound", at(10, 30), 20, "queued", "agent_queue", PATH_MENU + [("agent_queue", "queue")]),
    ("c10", BANK, 7, "inbound", at(11), 15, "error", "ask_account", PATH_MENU + [("ask_account", "collect")]),
    ("c11", BANK, 9, "outbound", at(11, 30), 50, "completed", "goodbye", [("welcome", "play"), ("goodbye", "hangup")]),
    ("c12", SKILLS, 1, "inbound", at(12), 100, "queued", "billing_queue",
     [("welcome", "play"), ("billing_queue", "queue")]),
    ("c13", SKILLS, 8, "inbound", at(12, 30), None, None, None, [("welcome", "play"), ("billing_queue", "queue")]),
    ("c14", BANK, None, "inbound", at(13), 10, "caller_hangup", "goodbye", [("welcome", "play"), ("goodbye", "hangup")]),
    ("c15", BANK, 1, "inbound", at(-1), 30, "completed", "goodbye", [("welcome", "play"), ("goodbye", "hangup")]),
    ("c16", BANK, 4, "inbound", at(13, 10), 12, "caller_hangup", "main_menu", PATH_MENU),
]
# call id, flow, queue, entered (s after call start), answered, left, outcome, agent
QUEUE = [
    ("c2", BANK, "agent_queue", 10, 25, 125, "answered", "PJSIP/agent-1001"),
    ("c4", BANK, "agent_queue", 8, None, 38, "abandoned", None),
    ("c5", BANK, "agent_queue", 5, None, 8, "abandoned", None),
    ("c6", BANK, "agent_queue", 5, 45, 100, "answered", "PJSIP/agent-1002"),
    ("c8", BANK, "agent_queue", 5, None, 125, "overflow", None),
    ("c9", BANK, "agent_queue", 5, None, 20, "callback", None),
    ("c12", SKILLS, "billing_queue", 3, 13, 73, "answered", "PJSIP/agent-1001"),
    ("c13", SKILLS, "billing_queue", 3, None, None, None, None),
]
LOST = [("c3", "main_menu", "menu", "hangup_in_ivr", None),
        ("c4", "agent_queue", "queue", "abandoned_in_queue", 30.0),
        ("c5", "agent_queue", "queue", "abandoned_in_queue", 3.0)]
ANSWERS = [("c1", "csat", ""), ("c1", "nps", "11"), ("c2", "csat", "5"), ("c2", "nps", "10"),
           ("c6", "csat", "2"), ("c6", "nps", "6"), ("c6", "yesno", "no"),
           ("c12", "csat", "4"), ("c12", "nps", "9")]
# call id, flow, queue, number key, source, status, requested at
CALLBACKS = [("c4", BANK, "agent_queue", 3, "lost", "pending", at(9, 5, 38)),
             ("c9", BANK, "agent_queue", 6, "offer", "done", at(10, 30, 20)),
             (None, BANK, "agent_queue", 1, "lost", "pending", at(-1, 0, 30))]


def _start(call_id: str) -> float:
    return next(c[4] for c in CALLS if c[0] == call_id)


def build(url: str) -> str:
    """The fixture store at `url` (sqlite:///path or postgresql://…), migrated and filled."""
    open_store(url, worker="test").close()
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url[len("sqlite:///"):])
        with conn:
            _fill(lambda sql, args: conn.execute(sql, args))
    else:
        import psycopg
        with psycopg.connect(url) as conn:      # one transaction, committed on exit
            _fill(lambda sql, args: conn.execute(sql.replace("?", "%s"), args))
    conn.close()
    return url


def _fill(run) -> None:
    for cid, flow, who, direction, start, dur, outcome, end, visits in CALLS:
        caller = "anonymous" if who is None else RAW[who] if cid == "c16" else mask_number(RAW[who])
        run("INSERT INTO calls (call_id, flow, flow_version, caller_masked, dialed, direction, language, "
            "worker, started_at, ended_at, outcome, end_node, end_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (cid, flow, "1", caller, "95588", direction, "zh-CN", "test", start,
             None if dur is None else start + dur, outcome, end, outcome and f"{outcome} at {end}"))
        for seq, (node, kind) in enumerate(visits):
            run("INSERT INTO visits VALUES (?,?,?,?,?,?)", (cid, seq, node, kind, start + seq, None))
    for cid, flow, queue, entered, answered, left, outcome, agent in QUEUE:
        s = _start(cid)
        run("INSERT INTO queue_calls (call_id, flow, queue, entered_at, answered_at, left_at, outcome, "
            "agent, position) VALUES (?,?,?,?,?,?,?,?,1)",
            (cid, flow, queue, s + entered, None if answered is None else s + answered,
             None if left is None else s + left, outcome, agent))
    for cid, node, kind, reason, waited in LOST:
        who = next(c[2] for c in CALLS if c[0] == cid)
        run("INSERT INTO lost_calls VALUES (?,?,?,?,?,?,?,?)",
            (cid, BANK, mask_number(RAW[who]), node, kind, reason, waited, _start(cid) + 20))
    for cid, kind, value in ANSWERS:
        node = "csat" if cid != "c12" else "post_call"
        run("INSERT INTO survey_answers VALUES (?,?,?,?,?,?,?)",
            (cid, node, kind, kind, value, "dtmf", _start(cid) + 130))
    for cid, flow, queue, who, source, status, requested in CALLBACKS:
        run("INSERT INTO callbacks (call_id, flow, queue, number, caller_masked, source, position, "
            "requested_at, status) VALUES (?,?,?,?,?,?,?,?,?)",
            (cid, flow, queue, RAW[who], mask_number(RAW[who]), source, 2, requested, status))
