"""`flowc test` through its real entry point: the example flows' caller tests, exit codes, outputs."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.calltest.conftest import MINI, ROOT


def flowc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flowlang.cli", "test", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_the_example_flows_pass_with_90_percent_edge_coverage(tmp_path: Path) -> None:
    junit_file = tmp_path / "calltests.xml"
    t0 = time.perf_counter()
    p = flowc("flows/tests/", "--min-coverage", "90", "--junit", str(junit_file), "--format", "json")
    took = time.perf_counter() - t0
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    data = json.loads(p.stdout)
    assert data["summary"]["ok"] and data["summary"]["failed"] == 0 and data["summary"]["passed"] >= 50
    flows = {cv["flow"]: cv for cv in data["coverage"]}
    assert set(flows) == {"bank_service", "csat_survey", "renewal_campaign", "skills_routing"}
    for cv in flows.values():
        edges = cv["edges"]
        assert edges["covered"] / edges["total"] >= 0.9, cv
    root = ET.fromstring(junit_file.read_bytes())
    assert root.get("failures") == "0" and int(root.get("tests")) == data["summary"]["passed"] + 4
    assert took < 60, f"flowc test flows/tests took {took:.1f} s"


def _mini_test(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "mini.calltest"
    path.write_text(f"flow {MINI}\nat 2026-11-25 10:00\n{body}", encoding="utf-8")
    return path


def test_a_failing_test_exits_1_with_its_place(tmp_path: Path) -> None:
    path = _mini_test(tmp_path, 'test "wrong"\n  expect prompt menu_prompt\n  press 2\n  expect prompt sorry within 5s\n')
    p = flowc(str(path))
    assert p.returncode == 1, p.stdout + p.stderr
    assert "FAIL  wrong" in p.stdout and f"{path}:6:3: expect prompt sorry" in p.stdout
    assert "expected prompt sorry" in p.stdout and "FAILED: 0 passed, 1 failed" in p.stdout


def test_coverage_below_the_minimum_exits_1(tmp_path: Path) -> None:
    path = _mini_test(tmp_path, 'test "closed"\n  at 2026-11-25 20:00\n  expect hangup closed\n')
    p = flowc(str(path), "--min-coverage", "50")
    assert p.returncode == 1 and "BELOW the minimum of 50%" in p.stdout and "PASS  closed" in p.stdout
    assert flowc(str(path), "--min-coverage", "5").returncode == 0


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    bad = _mini_test(tmp_path, 'test "x"\n  press 12x\n  expect prompt nowhere\n')
    p = flowc(str(bad))
    assert p.returncode == 2 and f"{bad}:4:11: error: 'x' is not a phone key" in p.stderr
    unknown = _mini_test(tmp_path, 'test "x"\n  expect prompt menu_promt\n')
    p = flowc(str(unknown))
    assert p.returncode == 2 and f"{unknown}:4:3: error: the flow has no prompt 'menu_promt'" in p.stderr
    missing = tmp_path / "missing.calltest"
    missing.write_text('flow nowhere.flow\ntest "x"\n  hang up\n', encoding="utf-8")
    p = flowc(str(missing))
    assert p.returncode == 2 and f"{missing}:1:6: error: no such flow file" in p.stderr
    p = flowc("no/such/folder")
    assert p.returncode == 2 and "no such file or folder" in p.stderr and "Traceback" not in p.stderr
