"""`flowc report`: exit codes, error messages (never tracebacks), formats, --out, --charts,
--heatmap and [reports] settings, run in-process (typer's CliRunner) over the fixture store, plus
one real `flowc` process for the exit code and --help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowlang.cli import app
from tests.report_cc import fixture
from tests.report_cc.conftest import GOLDEN

ROOT = Path(__file__).resolve().parents[2]
DAY = ["--since", fixture.SINCE, "--until", fixture.UNTIL, "--tz", "UTC"]


def flowc(*args: str, cwd: Path | None = None):
    result = CliRunner().invoke(app, ["report", *args], env={"FLOWLANG_DB": ""}, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def db_args(url: str) -> list[str]:
    return ["--db", url, *DAY]


def test_human_report_exit_0(store_url):
    r = flowc(*db_args(store_url))
    assert r.exit_code == 0, r.output
    assert "service level: 80% answered within 20 s" in r.stdout
    assert "agent_queue" in r.stdout and "25.0 %  not met" in r.stdout


def test_json_to_file_equals_the_golden_report(store_url, tmp_path):
    out = tmp_path / "r.json"
    r = flowc(*db_args(store_url), "--format", "json", "--out", str(out))
    assert r.exit_code == 0 and f"wrote {out}" in r.stderr
    assert out.read_text(encoding="utf-8") == (GOLDEN / "report.json").read_text(encoding="utf-8")


def test_csv_folder_and_single_section_to_stdout(store_url, tmp_path):
    r = flowc(*db_args(store_url), "-f", "csv", "--out", f"{tmp_path}/csv/")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "csv" / "queues.csv").read_text() == (GOLDEN / "queues.csv").read_text()
    r = flowc("dropoff", *db_args(store_url), "-f", "csv")
    assert r.exit_code == 0 and r.stdout == (GOLDEN / "dropoff.csv").read_text()


def test_xlsx_needs_out(store_url, tmp_path):
    r = flowc(*db_args(store_url), "-f", "xlsx")
    assert r.exit_code == 2 and "--format xlsx needs --out FILE.xlsx" in r.stderr
    r = flowc(*db_args(store_url), "-f", "xlsx", "-o", str(tmp_path / "r.xlsx"))
    assert r.exit_code == 0 and (tmp_path / "r.xlsx").read_bytes()[:2] == b"PK"


def test_missing_store_is_exit_2(tmp_path):
    r = flowc("--db", str(tmp_path / "none.db"))
    assert r.exit_code == 2
    assert f"flowc: error: no call store at {tmp_path / 'none.db'}" in r.stderr
    assert not (tmp_path / "none.db").exists()          # a report never creates a store


def test_a_file_that_is_not_a_call_store_is_exit_2(tmp_path):
    (tmp_path / "notes.db").write_text("not a database at all, just some text to read" * 20)
    r = flowc("--db", str(tmp_path / "notes.db"))
    assert r.exit_code == 2 and "flowc: error: cannot read" in r.stderr


def test_unknown_flow_is_exit_2(store_url):
    r = flowc(*db_args(store_url), "--flow", "nope")
    assert r.exit_code == 2
    assert "unknown flow 'nope': the store has calls of bank_service, skills_routing" in r.stderr


def test_empty_period_is_exit_0_with_a_note(store_url):
    r = flowc("--db", store_url, "--since", "2020-01-01", "--until", "2020-01-02", "--tz", "UTC")
    assert r.exit_code == 0
    assert "no calls between 2020-01-01 00:00 and 2020-01-02 00:00" in r.stderr
    assert "0 call(s)" in r.stdout and "Queues" not in r.stdout
    r = flowc("--db", store_url, "--since", "2020-01-01", "--until", "2020-01-02", "-f", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["tables"]["queues"]["rows"] == []


@pytest.mark.parametrize("args, message", [
    (["--since", "last tuesday"], "--since 'last tuesday' is not a time"),
    (["--tz", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
    (["nope"], "unknown report section nope"),
    (["--sl-target", "150"], "service-level target must be between 0 and 100 %"),
    (["--since", "2026-11-21", "--until", "2026-11-20"], "--since must be before --until"),
    (["--db", "mysql://x/y"], "unknown database URL scheme 'mysql'"),
])
def test_usage_errors_are_exit_2(store_url, args, message):
    r = flowc("--db", store_url, *args)
    assert r.exit_code == 2 and message in r.stderr, r.output


def test_relative_times(store_url):
    r = flowc("--db", store_url, "--since", "30d", "-f", "json")
    assert r.exit_code == 0   # the fixture is in 2026-11: whatever today is, the command works
    assert json.loads(r.stdout)["period"]["since"] is not None


def test_reports_settings_from_flowlang_toml(store_url, tmp_path):
    cfg = tmp_path / "flowlang.toml"
    cfg.write_text(f'[runtime]\ndb = "{store_url}"\n\n[reports]\nservice_level_seconds = 40\n'
                   'service_level_target = 60\ntimezone = "UTC"\n')
    r = flowc("queues", "--config", str(cfg), "--since", fixture.SINCE, "--until", fixture.UNTIL, "-f", "json")
    assert r.exit_code == 0, r.output
    q = json.loads(r.stdout)["tables"]["queues"]["rows"][0]
    assert (q["queue"], q["service_level"], q["sl_met"]) == ("agent_queue", 0.6667, "met")   # c2 c6 / c2 c6 c8
    r = flowc("queues", "--config", str(cfg), *DAY, "--sl-seconds", "20", "-f", "json")   # options win
    assert json.loads(r.stdout)["tables"]["queues"]["rows"][0]["service_level"] == 0.25
    cfg.write_text("[reports]\nservice_level_secs = 40\n")
    r = flowc("--config", str(cfg), "--db", store_url)
    assert r.exit_code == 2 and "unknown [reports] key 'service_level_secs'" in r.stderr


def test_heatmap_svg_with_annotations(store_url, tmp_path):
    pytest.importorskip("graphviz")
    out = tmp_path / "heat.svg"
    r = flowc(*db_args(store_url), "--heatmap", str(ROOT / "flows" / "bank_service.flow"), "--out", str(out))
    assert r.exit_code == 0, r.output
    svg = out.read_text(encoding="utf-8").replace("&#45;", "-")
    assert "10 calls · 2 drop-offs (20.0%)" in svg and "6 calls · 2 drop-offs (33.3%)" in svg
    assert r.stdout == ""                               # the diagram is the output


def test_heatmap_errors(store_url, tmp_path):
    broken = tmp_path / "broken.flow"
    broken.write_text("flow broken {\n  entry nowhere\n}\n")
    r = flowc(*db_args(store_url), "--heatmap", str(broken), "--out", str(tmp_path / "h.svg"))
    assert r.exit_code == 1 and "error" in r.stderr
    r = flowc(*db_args(store_url), "--heatmap", str(ROOT / "flows" / "bank_service.flow"), "--out",
              str(tmp_path / "h.txt"))
    assert r.exit_code == 2 and "written as .svg, .png or .dot" in r.stderr


def test_charts_option_writes_png_and_svg(store_url, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from runtime.reports import charts
    monkeypatch.setattr(charts, "CHARTS", ("dropoff",))   # every chart: test_report_cc_exports.py
    r = flowc(*db_args(store_url), "-f", "json", "-o", str(tmp_path / "r.json"), "--charts", str(tmp_path / "c"))
    assert r.exit_code == 0, r.output
    assert "wrote 2 chart files" in r.stderr and (tmp_path / "c" / "dropoff.svg").exists()
    assert (tmp_path / "c" / "dropoff.png").read_bytes()[:4] == b"\x89PNG"


def test_help_teaches_with_examples():
    r = flowc("--help")
    assert r.exit_code == 0 and "Examples:" in r.stdout
    for example in ("--heatmap flows/bank_service.flow --out", "--by day", "-f xlsx --out", "--charts"):
        assert example in r.stdout


def test_real_process_exit_code(tmp_path):
    done = subprocess.run([sys.executable, "-m", "flowlang.cli", "report", "--db", str(tmp_path / "x.db")],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("flowc: error: no call store at")
    assert "Traceback" not in done.stderr
