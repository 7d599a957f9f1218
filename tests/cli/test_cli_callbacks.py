"""`flowc callbacks`: list the callback list (masked numbers, table/json/csv), mark entries done or
cancelled; exit codes 0 ok, 1 an entry that is not open, 2 no store or bad usage."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowlang.cli import app
from runtime.storage import open_store

T0 = 1_795_000_000.0
NUMBERS = ("+8613800138000", "+8613900000002", "+8613700137000")


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'calls.db'}"
    with open_store(url) as store:
        for i, number in enumerate(NUMBERS):
            store.call_started(f"c{i}", "bank_service", "3", number, "95588", "inbound", T0 + i, "zh-CN")
            store.add_callback(f"c{i}", "bank_service", "agent_queue" if i else None, number,
                               "offer" if i else "lost", i or None, T0 + 10 * i)
        store.flush()
    return url


def flowc(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env={"FLOWLANG_DB": "", **(env or {})})


def test_the_list_shows_masked_numbers_in_dialing_order(db: str) -> None:
    result = flowc("callbacks", "list", "--db", db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["id", "status", "source", "caller", "flow", "queue", "position", "requested",
                                "attempts", "done"]
    assert [line.split()[3] for line in lines[1:]] == ["+*********8000", "+*********0002", "+*********7000"]
    assert not any(n in result.output for n in NUMBERS)


def test_json_and_csv_carry_the_same_rows(db: str) -> None:
    rows = json.loads(flowc("callbacks", "list", "--db", db, "-f", "json").output)
    table = list(csv.DictReader(io.StringIO(flowc("callbacks", "list", "--db", db, "-f", "csv").output)))
    assert [(r["id"], r["source"], r["queue"], r["position"]) for r in rows] == \
        [(1, "lost", "", None), (2, "offer", "agent_queue", 1), (3, "offer", "agent_queue", 2)]
    assert [r["caller"] for r in table] == [r["caller"] for r in rows]
    assert "number" not in rows[0] and "13800138000" not in json.dumps(rows)


def test_done_and_cancel_finish_entries_and_an_unknown_id_exits_1(db: str) -> None:
    assert flowc("callbacks", "done", "1", "--db", db).exit_code == 0
    assert flowc("callbacks", "cancel", "2", "--db", db).exit_code == 0
    again = flowc("callbacks", "done", "1", "99", "--db", db)
    assert again.exit_code == 1 and "callback 99 is not open" in again.output
    open_ids = [r["id"] for r in json.loads(flowc("callbacks", "list", "--db", db, "-f", "json").output)]
    every = json.loads(flowc("callbacks", "list", "--db", db, "-f", "json", "--status", "all").output)
    assert open_ids == [3]
    assert [(r["id"], r["status"], bool(r["done"])) for r in every] == \
        [(1, "done", True), (2, "cancelled", True), (3, "pending", False)]
    assert [r["id"] for r in json.loads(flowc("callbacks", "list", "--db", db, "-f", "json",
                                              "--status", "cancelled").output)] == [2]


def test_the_store_comes_from_the_environment(db: str) -> None:
    result = flowc("callbacks", "list", "--limit", "1", env={"FLOWLANG_DB": db})
    assert result.exit_code == 0 and len(result.output.splitlines()) == 2


def test_a_missing_store_is_an_error_not_a_new_file(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    p = subprocess.run([sys.executable, "-m", "flowlang.cli", "callbacks", "list", "--db", f"sqlite:///{missing}"],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 2 and "no call store at" in p.stderr and "Traceback" not in p.stderr
    assert not missing.exists()
