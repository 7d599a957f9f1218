"""flowc end to end through its real entry point: outputs and exit codes (0 ok, 1 errors, 2 usage/I-O)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BROKEN = 'flow x {\n  languages en-US\n  entry a\n}\n\nplay a {\n  say "hi"\n  -> nowhere\n}\n'


def flowc(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flowlang.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_validate_clean_example_exits_0() -> None:
    p = flowc("validate", "flows/bank_service.flow")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "no problems" in p.stdout


def test_validate_errors_exit_1_with_code_frame(tmp_path: Path) -> None:
    f = tmp_path / "x.flow"
    f.write_text(BROKEN, encoding="utf-8")
    p = flowc("validate", str(f))
    assert p.returncode == 1
    assert "FL101" in p.stdout and "8 |" in p.stdout and "hint:" in p.stdout
    assert "\x1b[" not in p.stdout  # no colour when not a TTY


def test_validate_named_library_file_is_checked_for_syntax_not_refused(tmp_path: Path) -> None:
    """`flowc validate flows/*.flow` names flows/common.flow (prompts only, no header): no FL111 for it."""
    p = flowc("validate", *sorted(str(f.relative_to(ROOT)) for f in (ROOT / "flows").glob("*.flow")))
    assert p.returncode == 0 and "common.flow" not in p.stdout, p.stdout + p.stderr
    (tmp_path / "lib.flow").write_text('prompt p {\n  en-US "hi"\n', encoding="utf-8")  # unclosed block
    (tmp_path / "nodes.flow").write_text('prompt p {\n  en-US "hi"\n}\n\nhangup bye {\n}\n', encoding="utf-8")
    p = flowc("validate", str(tmp_path / "lib.flow"), str(tmp_path / "nodes.flow"))
    assert p.returncode == 1
    assert "lib.flow:2:" in p.stdout and "FL004" in p.stdout  # a library's syntax is still checked
    assert "nodes.flow:1:1: error FL111" in p.stdout  # nodes without a header are not a library


def test_validate_missing_file_exits_2_without_traceback() -> None:
    p = flowc("validate", "no/such.flow")
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and "no such file" in p.stderr


def test_bad_config_exits_2(tmp_path: Path) -> None:
    (tmp_path / "flowlang.toml").write_text("[limits]\nmax_menu_options = 'many'\n", encoding="utf-8")
    (tmp_path / "x.flow").write_text(BROKEN, encoding="utf-8")
    p = flowc("validate", str(tmp_path / "x.flow"))
    assert p.returncode == 2 and "max_menu_options" in p.stderr and "Traceback" not in p.stderr


def test_json_and_sarif_formats(tmp_path: Path) -> None:
    f = tmp_path / "x.flow"
    f.write_text(BROKEN, encoding="utf-8")
    data = json.loads(flowc("validate", "--format", "json", str(f)).stdout)
    assert data["diagnostics"][0]["code"] == "FL101" and data["diagnostics"][0]["line"] == 8
    sarif = json.loads(flowc("validate", "-f", "sarif", str(f)).stdout)
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"][0]["ruleId"] == "FL101"


def test_compile_writes_ir_json(tmp_path: Path) -> None:
    out = tmp_path / "bank.json"
    p = flowc("compile", "flows/bank_service.flow", "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["ir_version"] == "1.0"


def test_compile_broken_exits_1(tmp_path: Path) -> None:
    f = tmp_path / "x.flow"
    f.write_text(BROKEN, encoding="utf-8")
    p = flowc("compile", str(f))
    assert p.returncode == 1 and "FL101" in p.stderr and p.stdout == ""


def test_unknown_option_is_usage_error() -> None:
    assert flowc("validate", "--no-such-option", "x").returncode == 2


def test_rules_lists_and_explains() -> None:
    p = flowc("rules")
    assert p.returncode == 0 and "FL101" in p.stdout
    p = flowc("rules", "FL101")
    assert p.returncode == 0 and "names.undefined_node" in p.stdout and "flowc: ignore FL101" in p.stdout
