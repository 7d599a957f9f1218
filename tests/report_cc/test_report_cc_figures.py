"""Every figure of the report over the fixture store (tests/report_cc/fixture.py), against values
worked out by hand from the fixture's rows (the working is in the comments)."""

from __future__ import annotations

import pytest

from runtime.reports import Report
from runtime.reports.model import ReportError
from tests.report_cc.conftest import options


def rows(report: Report, table: str) -> list[dict]:
    t = report.table(table)
    assert t is not None, f"no table {table}"
    return [dict(r) for r in t.rows]


def one(report: Report, table: str, **match) -> dict:
    found = [r for r in rows(report, table) if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (table, match, found)
    return found[0]


def test_period_holds_fifteen_calls(report):
    # c1..c16 less c15 (the day before)
    assert report.calls == 15 and report.notes == ()


def test_overview_and_ivr_containment(report):
    bank = one(report, "overview", flow="bank_service")
    # 13 calls (c11 outbound); queued c2 c4 c5 c6 c8 c9; transfer c7; dropped c3 c4 c5 (lost_calls)
    # and c16 (hung up in a menu); error c10; c14 hung up at the goodbye (a hangup node): not dropped
    assert {k: bank[k] for k in ("calls", "inbound", "outbound", "ended", "queued", "transferred",
                                 "dropped", "errors", "contained")} == {
        "calls": 13, "inbound": 12, "outbound": 1, "ended": 13, "queued": 6, "transferred": 1,
        "dropped": 4, "errors": 1, "contained": 2}
    assert bank["containment"] == pytest.approx(2 / 12)           # c1 and c14 of 12 inbound
    assert bank["avg_duration"] == pytest.approx(703 / 13)        # 60+140+20+38+8+100+30+200+20+15+50+10+12
    skills = one(report, "overview", flow="skills_routing")
    # c12 answered in a queue; c13 still open (not ended: out of containment and durations)
    assert (skills["calls"], skills["ended"], skills["queued"], skills["contained"]) == (2, 1, 1, 0)
    assert skills["containment"] == 0.0 and skills["avg_duration"] == 100.0


def test_service_level_asa_abandons_and_waits_per_queue(report):
    q = one(report, "queues", queue="agent_queue")
    # waits: c2 answered 15, c4 abandoned 30, c5 abandoned 3 (short), c6 answered 40,
    # c8 overflow 120, c9 callback 15
    assert {k: q[k] for k in ("offered", "answered", "answered_in_sl", "abandoned", "short_abandoned",
                              "overflow", "callback", "closed", "waiting")} == {
        "offered": 6, "answered": 2, "answered_in_sl": 1, "abandoned": 1, "short_abandoned": 1,
        "overflow": 1, "callback": 1, "closed": 0, "waiting": 0}
    assert q["service_level"] == 0.25          # c2 / (c2 + c6 + c4 abandoned after 20 s + c8 overflow)
    assert q["sl_met"] == "not met"
    assert q["asa"] == 27.5                    # (15 + 40) / 2
    assert q["abandon_rate"] == 0.2            # c4 / (6 offered − 1 short abandon)
    assert q["avg_wait"] == pytest.approx(223 / 6) and q["longest_wait"] == 120
    b = one(report, "queues", queue="billing_queue")
    assert (b["offered"], b["waiting"], b["answered"], b["service_level"], b["sl_met"], b["asa"]) == \
        (1, 1, 1, 1.0, "met", 10)              # c12 answered after 10 s; c13 still waiting
    total = one(report, "queues", queue="(all)")
    assert total["service_level"] == 0.4 and total["asa"] == pytest.approx(65 / 3)
    assert total["abandon_rate"] == pytest.approx(1 / 6) and total["avg_wait"] == pytest.approx(233 / 7)


def test_service_level_follows_the_options(make_report):
    # within 40 s: c2 and c6 answered in time; c4 (30 s) is now neutral; base c2 c6 c8
    r = make_report(["queues"], sl_seconds=40, sl_target=0.6)
    q = one(r, "queues", queue="agent_queue")
    assert q["service_level"] == pytest.approx(2 / 3) and q["sl_met"] == "met"
    # short abandons up to 2 s: c5 (3 s) counts as an abandon, and not after 20 s: SL unchanged
    r = make_report(["queues"], short_abandon=2)
    q = one(r, "queues", queue="agent_queue")
    assert (q["abandoned"], q["short_abandoned"], q["abandon_rate"], q["service_level"]) == (2, 0, 2 / 6, 0.25)


def test_per_hour_buckets(make_report):
    r = make_report(["queues", "overview"], by="hour")
    q = one(r, "queues", bucket="2026-11-20 09:00", queue="agent_queue")
    # c4 abandoned after 30 s, c5 short abandon
    assert (q["offered"], q["answered"], q["abandoned"], q["short_abandoned"], q["service_level"],
            q["abandon_rate"]) == (2, 0, 1, 1, 0.0, 1.0)
    assert [x["bucket"] for x in rows(r, "queues")] == [
        "2026-11-20 08:00", "2026-11-20 09:00", "2026-11-20 10:00", "2026-11-20 12:00"]
    assert one(r, "overview", bucket="2026-11-20 10:00", flow="bank_service")["calls"] == 4   # c6 c7 c8 c9
    days = make_report(["overview"], by="day", since=None, until=None)
    assert [(x["bucket"], x["flow"], x["calls"]) for x in rows(days, "overview")] == [
        ("2026-11-19", "bank_service", 1), ("2026-11-20", "bank_service", 13), ("2026-11-20", "skills_routing", 2)]


def test_flow_and_queue_filters(make_report):
    r = make_report(flow="skills_routing")
    assert r.calls == 2 and [x["queue"] for x in rows(r, "queues")] == ["billing_queue"]
    r = make_report(["queues", "callbacks"], queue="billing_queue")
    assert [x["queue"] for x in rows(r, "queues")] == ["billing_queue"] and rows(r, "callbacks") == []


def test_agents(report):
    a1 = one(report, "agents", agent="PJSIP/agent-1001")
    # c2 (wait 15, talk 100) and c12 (wait 10, talk 60); CSAT 5 and 4; NPS 10 and 9
    assert (a1["answered"], a1["asa"], a1["avg_talk"], a1["csat_n"], a1["csat"], a1["nps"]) == \
        (2, 12.5, 80.0, 2, 1.0, 100.0)
    a2 = one(report, "agents", agent="PJSIP/agent-1002")
    assert (a2["answered"], a2["asa"], a2["avg_talk"], a2["csat"], a2["nps"]) == (1, 40.0, 55.0, 0.0, -100.0)


def test_callbacks_in_period(report):
    # c4 (lost, pending) and c9 (offer, done); the third callback was requested the day before
    assert rows(report, "callbacks") == [{"flow": "bank_service", "queue": "agent_queue", "requested": 2,
                                          "offer": 1, "lost": 1, "pending": 1, "dialing": 0, "done": 1,
                                          "failed": 0, "cancelled": 0}]


def test_dropoff_per_node(report):
    top = rows(report, "dropoff")[:3]
    assert [(r["node"], r["traffic"], r["drop_offs"], r["reasons"]) for r in top] == [
        ("main_menu", 10, 2, "caller_hangup 1, hangup_in_ivr 1"),      # c16 (no lost row), c3
        ("agent_queue", 6, 2, "abandoned_in_queue 2"),                  # c4, c5
        ("welcome", 13, 0, "")]
    assert top[0]["drop_share"] == 0.2 and top[1]["drop_share"] == pytest.approx(1 / 3)
    goodbye = one(report, "dropoff", flow="bank_service", node="goodbye")
    assert (goodbye["kind"], goodbye["traffic"], goodbye["drop_offs"]) == ("hangup", 4, 0)   # c14 finished


def test_repeat_callers_masked(report):
    # inbound, with a number: 0001 (c1 c2 c12), 0002, 0003 (c4 c5 c6), 0004 (c7, and c16 stored
    # unmasked), 0005..0008; c14 withheld, c11 outbound, c15 outside the period
    assert rows(report, "repeat") == [{"callers": 8, "repeat_callers": 3, "repeat_share": 3 / 8, "repeat_calls": 8}]
    assert rows(report, "repeat_top") == [
        {"caller": "+*********0001", "calls": 3, "first": "2026-11-20 08:00", "last": "2026-11-20 12:00",
         "flows": "bank_service, skills_routing"},
        {"caller": "+*********0003", "calls": 3, "first": "2026-11-20 09:05", "last": "2026-11-20 10:00",
         "flows": "bank_service"},
        {"caller": "+*********0004", "calls": 2, "first": "2026-11-20 10:15", "last": "2026-11-20 13:10",
         "flows": "bank_service"}]


def test_csat_and_nps(report):
    every = one(report, "surveys", scope="all")
    # CSAT 5, 2, 4 (c1's empty answer skipped); NPS 10, 6, 9 (c1's 11 is not an answer)
    assert (every["csat_n"], every["csat"], every["csat_avg"]) == (3, pytest.approx(2 / 3), pytest.approx(11 / 3))
    assert (every["nps_n"], every["promoters"], every["passives"], every["detractors"]) == (3, 2, 0, 1)
    assert every["nps"] == pytest.approx(100 / 3)
    bank = one(report, "surveys", scope="flow", name="bank_service")
    assert (bank["csat"], bank["csat_avg"], bank["nps"]) == (0.5, 3.5, 0.0)
    assert one(report, "surveys", scope="queue", name="billing_queue")["nps"] == 100.0
    assert one(report, "surveys", scope="agent", name="PJSIP/agent-1002")["csat"] == 0.0
    dist = {(r["kind"], r["value"]): r["answers"] for r in rows(report, "survey_distribution")}
    assert [dist[("csat", v)] for v in range(1, 6)] == [0, 1, 0, 1, 1]
    assert [dist[("nps", v)] for v in range(11)] == [0] * 6 + [1, 0, 0, 1, 1]


def test_empty_period_gives_empty_tables_and_a_note(make_report):
    r = make_report(since=0.0, until=3600.0)
    assert r.calls == 0 and r.notes == ("no calls between 1970-01-01 00:00 and 1970-01-01 01:00",)
    assert all(not t.rows for t in r.tables if t.name not in ("surveys", "survey_distribution", "repeat"))


def test_sections_and_groups(make_report):
    assert [t.name for t in make_report(["dropoff"]).tables] == ["dropoff"]
    assert len(make_report(["calls"]).tables) == len(make_report().tables)
    with pytest.raises(ReportError, match="unknown report section nope"):
        make_report(["nope"])


@pytest.mark.parametrize("bad", [dict(by="week"), dict(sl_target=1.5), dict(sl_seconds=-1),
                                 dict(since=10.0, until=5.0)])
def test_bad_options_are_refused(bad):
    with pytest.raises(ReportError):
        options(**bad)


def test_same_figures_on_postgresql(pg_url, store_url, make_report):
    from runtime.reports import formats
    assert formats.to_dict(make_report(url=pg_url)) == formats.to_dict(make_report())


def test_a_store_before_migration_0002_reports_what_it_has(tmp_path):
    import shutil
    import sqlite3

    from runtime.reports import build_report, open_source
    from runtime.storage import open_store
    from runtime.storage.migrate import MIGRATIONS_DIR

    only_0001 = tmp_path / "migrations"
    only_0001.mkdir()
    shutil.copy(MIGRATIONS_DIR / "0001_calls.sql", only_0001)
    path = tmp_path / "old.db"
    open_store(f"sqlite:///{path}", worker="t", migrations_dir=only_0001).close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO calls VALUES ('x', 'f', '1', '+*******1234', '1', 'inbound', NULL, 't', "
                   "10, 20, 'completed', 'bye', '')")
    with open_source(str(path)) as src:
        r = build_report(src, options(since=None, until=None))
    assert r.calls == 1 and one(r, "overview", flow="f")["containment"] == 1.0
    assert r.table("queues").rows == () and "no `queue_calls` table" in r.table("queues").notes[-1]
