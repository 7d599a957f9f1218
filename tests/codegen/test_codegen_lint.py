"""`check_asterisk_config`: a failing and a passing sample per FL6xx code, and the config reader.

A sample is a folder `samples/<CODE>-fail*/` or `samples/<CODE>-pass*/` of Asterisk config files.
In a failing sample, each line where the code must be reported ends with `; expect: <CODE>`.
A passing sample must produce no diagnostic of its code (other codes may appear).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flowlang.codegen import codes
from flowlang.codegen.confparse import parse_conf
from flowlang.codegen.lint import check_asterisk_config, is_loopback
from flowlang.diagnostics import Severity
from flowlang.registry import RULES

SAMPLES = Path(__file__).parent / "samples"
CODES = ("FL601", "FL602", "FL603", "FL604")
EXPECT = re.compile(r";\s*expect:\s*(FL\d{3})")


def _samples(kind: str) -> list[Path]:
    return sorted(d for d in SAMPLES.iterdir() if d.is_dir() and d.name.split("-")[1] == kind)


def _lint(folder: Path):
    files = {str(p.relative_to(SAMPLES)): p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.conf"))}
    return check_asterisk_config(files)


def _expected(folder: Path, code: str) -> set[tuple[str, int]]:
    out = set()
    for p in sorted(folder.glob("*.conf")):
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if any(m.group(1) == code for m in EXPECT.finditer(line)):
                out.add((p.name, i))
    return out


@pytest.mark.parametrize("code", CODES)
def test_every_code_has_failing_and_passing_samples(code):
    names = [d.name for d in SAMPLES.iterdir() if d.is_dir()]
    assert any(n.startswith(f"{code}-fail") for n in names), f"add samples/{code}-fail/"
    assert any(n.startswith(f"{code}-pass") for n in names), f"add samples/{code}-pass/"


@pytest.mark.parametrize("folder", _samples("fail"), ids=lambda p: p.name)
def test_failing_sample_reports_the_code_where_marked(folder):
    code = folder.name.split("-")[0]
    want = _expected(folder, code)
    assert want, f"{folder.name} marks no line with `; expect: {code}`"
    diags = _lint(folder)
    got = {(Path(d.span.file).name, d.span.line) for d in diags if d.code == code}
    assert got == want, "\n".join(f"{d.span}: {d.code} {d.message}" for d in diags)
    for d in diags:
        assert d.message and d.hint and d.rule.startswith("deployment."), d


@pytest.mark.parametrize("folder", _samples("pass"), ids=lambda p: p.name)
def test_passing_sample_is_clean_of_the_code(folder):
    code = folder.name.split("-")[0]
    bad = [f"{d.span}: {d.code} {d.message}" for d in _lint(folder) if d.code == code]
    assert not bad, "\n".join(bad)


def test_codes_are_registered_with_metadata():
    for code in CODES:
        r = RULES[code]
        assert r.name.startswith("deployment.") and r.summary and r.hint and r.doc
        assert r.severity is Severity.ERROR
    assert codes.PLAINTEXT_PASSWORD.code == "FL601" and codes.WEAK_PASSWORD.code == "FL604"


def test_unset_origins_with_a_public_listener_is_a_warning():
    diags = _lint(SAMPLES / "FL602-fail-unset")
    assert [d.severity for d in diags if d.code == "FL602"] == [Severity.WARNING]
    star = _lint(SAMPLES / "FL602-fail")
    assert [d.severity for d in star if d.code == "FL602"] == [Severity.ERROR]


def test_messages_say_what_is_wrong():
    diags = _lint(SAMPLES / "FL604-fail")
    msgs = {d.span.line: d.message for d in diags if d.code == "FL604"}
    assert "common default password" in msgs[7] and "its own name" in msgs[11]
    assert "shorter than 12" in msgs[15] and "4 distinct" in msgs[19] and "no password" in msgs[21]
    tls = _lint(SAMPLES / "FL603-fail-tls")
    assert "still serves it on bindaddr" in tls[0].message


def test_files_are_recognised_by_base_name_and_others_ignored():
    text = "[general]\nenabled = yes\nbindaddr = 0.0.0.0\n"
    assert [d.code for d in check_asterisk_config({"/etc/asterisk/http.conf": text})] == ["FL603"]
    assert check_asterisk_config({"/etc/asterisk/pjsip.conf": text}) == []
    assert check_asterisk_config({}) == []


def test_config_reader_handles_comments_escapes_and_arrows():
    text = ("; header\n[general](+)  ; a comment\nkey = a\\;b ; c\n;-- block\nhidden = 1\n--;\n"
            "exten => 1,1,NoOp()\n#include other.conf\n[second]\nkey=1\nkey=2\n")
    conf = parse_conf("x.conf", text)
    general = conf.section("general")
    assert general.value("key") == "a;b" and general.get("hidden") is None
    assert general.value("exten") == "1,1,NoOp()"
    assert general.span.line == 2 and general.get("key").span.line == 3
    assert conf.section("second").value("key") == "2"  # the last setting wins, as in Asterisk


@pytest.mark.parametrize("addr, loop", [
    ("127.0.0.1", True), ("127.0.0.1:8088", True), ("[::1]:8088", True), ("::1", True),
    ("localhost", True), ("0.0.0.0", False), ("::", False), ("192.0.2.1:8088", False),
    ("pbx.example.com", False),
])
def test_loopback_detection(addr, loop):
    assert is_loopback(addr) is loop
