"""Config lint through the CLI: `flowc compile --emit asterisk` output for every shipped flow passes
`flowc check-asterisk` (exit 0), and each kind of unsafe setting (FL601 plain ARI password, FL602
`allowed_origins = *`, FL603 HTTP off loopback without TLS) makes it exit 1 and name the code.
The rule-by-rule samples are in tests/codegen/test_codegen_lint.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLOWS = sorted(p for p in (ROOT / "flows").glob("*.flow") if p.stem != "common")
SAMPLES = ROOT / "tests" / "codegen" / "samples"

pytestmark = pytest.mark.timeout(60)


def flowc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flowlang", *args], capture_output=True, text=True, timeout=60)


def test_emitted_config_of_every_shipped_flow_passes_the_lint(tmp_path):
    done = flowc("compile", *map(str, FLOWS), "--emit", "asterisk", "-o", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    names = {p.name for p in tmp_path.iterdir()}
    assert {f"{f.stem}-{kind}.conf" for f in FLOWS for kind in ("ari", "http")} <= names, names
    lint = flowc("check-asterisk", str(tmp_path))
    assert lint.returncode == 0 and f"in {len(names)} files" in lint.stdout, lint.stdout + lint.stderr


def test_flow_prefixed_files_are_linted_too(tmp_path):
    """`<flow>-ari.conf` (several flows compiled at once) is checked like ari.conf, not skipped."""
    (tmp_path / "bank_service-ari.conf").write_text(
        (SAMPLES / "FL601-fail" / "ari.conf").read_text(encoding="utf-8"), encoding="utf-8")
    done = flowc("check-asterisk", str(tmp_path))
    assert done.returncode == 1 and "FL601" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize("sample, code", [("FL601-fail", "FL601"), ("FL602-fail", "FL602"),
                                          ("FL603-fail", "FL603")])
def test_unsafe_settings_fail_the_lint(sample, code):
    done = flowc("check-asterisk", str(SAMPLES / sample))
    assert done.returncode == 1 and code in done.stdout, done.stdout + done.stderr
