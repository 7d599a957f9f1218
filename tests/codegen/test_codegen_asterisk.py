"""`emit_asterisk`: golden config per flow, a dialplan with a fallback, safe values, lint-clean output."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import jinja2
import pytest

from flowlang.codegen import asterisk
from flowlang.codegen.asterisk import (CodegenError, PLACEHOLDER_HASH, conf_escape, dialplan_escape,
                                       emit_asterisk)
from flowlang.codegen.confparse import parse_conf
from flowlang.codegen.lint import check_asterisk_config

GOLDEN = Path(__file__).parent / "golden"
HASH = "$6$Jd93kfQ1$6r1mMqWl0nq1ZyRr3Y8cN4XxM2o0pV1lT7bE9sJk3uQ5wH8aC2dF6gL1hK4jN7mP0qR3sT6uV9wX2yZ5aB8cD1"
CASES = {"bank_service": {"app": "flowlang", "did": "95555"}, "subflow": {"app": "members"}}


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_matches_golden(name, flow, golden_file):
    files = emit_asterisk(flow(name), **CASES[name])
    assert sorted(files) == ["ari.conf", "extensions.conf", "http.conf"]
    for fname, text in files.items():
        golden_file(GOLDEN / name / fname, text)


@pytest.mark.parametrize("kwargs", [
    {}, {"did": "+861095555"}, {"did": "_95XXX"}, {"password_hash": HASH},
    {"tls_bind": "0.0.0.0:8089"}, {"bind": "::1", "port": 8089, "allowed_origins": ["https://ivr.example.com"]},
])
def test_generated_config_passes_the_linter(kwargs, flow):
    files = emit_asterisk(flow("bank_service"), app="flowlang", **kwargs)
    assert check_asterisk_config(files) == []


def _steps(extensions: str) -> list[str]:
    return [line.strip() for line in extensions.splitlines() if line.startswith(("exten", " same"))]


def test_dialplan_hands_the_call_to_stasis_and_falls_back(flow):
    ext = emit_asterisk(flow("bank_service"), app="ivr", did="95555")["extensions.conf"]
    conf = parse_conf("extensions.conf", ext)
    assert [s.name for s in conf.sections] == ["flowlang-bank_service"]
    steps = _steps(ext)
    assert steps[0].startswith("exten => 95555,1,")
    assert steps[1] == "same => n,Stasis(ivr,bank_service)"
    assert steps[2] == 'same => n,GotoIf($["${STASISSTATUS}" = "FAILED"]?fallback)'
    assert steps[3] == "same => n,Hangup()"
    fallback = steps.index(next(s for s in steps if "(fallback)" in s))
    assert steps[fallback:][-3:] == ["same => n,Answer()", "same => n,Playback(ss-noservice)", "same => n,Hangup()"]
    assert not any("Answer()" in s for s in steps[:fallback])  # ARI answers, not the dialplan


def test_without_a_did_any_number_matches(flow):
    ext = emit_asterisk(flow("subflow"), app="members")["extensions.conf"]
    assert _steps(ext)[0].startswith("exten => _X.,1,")


def test_ari_conf_has_a_crypt_user_and_a_placeholder_that_is_not_a_secret(flow):
    ari = parse_conf("ari.conf", emit_asterisk(flow("subflow"), app="members", ari_user="runtime")["ari.conf"])
    assert ari.section("general").value("enabled") == "yes"
    assert ari.section("general").value("allowed_origins") == "http://127.0.0.1:8088"
    user = ari.section("runtime")
    assert user.value("type") == "user" and user.value("password_format") == "crypt"
    assert user.value("password") == PLACEHOLDER_HASH
    # The placeholder is not a crypt hash of anything: SHA-512 crypt output has 86 hash characters.
    assert len(PLACEHOLDER_HASH.split("$")[3]) != 86
    text = emit_asterisk(flow("subflow"), app="members", password_hash=HASH)["ari.conf"]
    assert f"password = {HASH}\n" in text and "PLACEHOLDER" not in text and "mkpasswd" not in text


def test_http_conf_stays_on_loopback_with_tls_for_remote_runtimes(flow):
    http = emit_asterisk(flow("subflow"), app="members")["http.conf"]
    general = parse_conf("http.conf", http).section("general")
    assert general.value("bindaddr") == "127.0.0.1" and general.get("tlsenable") is None
    assert ";tlsenable = yes" in http  # documented, commented out
    tls = parse_conf("http.conf", emit_asterisk(flow("subflow"), app="m", tls_bind="192.0.2.5:8089")["http.conf"])
    g = tls.section("general")
    assert g.value("tlsenable") == "yes" and g.value("tlsbindaddr") == "192.0.2.5:8089"
    assert g.value("bindaddr") == "127.0.0.1"


@pytest.mark.parametrize("kwargs, message", [
    ({"did": "95555,1,Dial(PJSIP/evil)"}, "did"),
    ({"did": "955\n55"}, "did"),
    ({"did": ""}, "did"),
    ({"app": "flow lang"}, "app"),
    ({"app": "a)b"}, "app"),
    ({"app": "x;y"}, "app"),
    ({"context": "ctx]\n[evil"}, "context"),
    ({"ari_user": "general"}, "ari user"),
    ({"ari_user": "bad user"}, "ari user"),
    ({"password_hash": "plaintext"}, "password hash"),
    ({"password_hash": HASH + "\npassword_format = plain"}, "password hash"),
    ({"password_hash": HASH + ";x"}, "password hash"),
    ({"bind": "0.0.0.0"}, "not a loopback"),
    ({"bind": "example.com"}, "not an IP"),
    ({"port": 0}, "port"),
    ({"allowed_origins": ["*"]}, "never"),
    ({"allowed_origins": ["http://a.example\nenabled=no"]}, "origin"),
    ({"fallback_sound": "../../etc/passwd"}, "sound"),
    ({"fallback_sound": "ss-noservice)"}, "sound"),
    ({"tls_bind": "0.0.0.0"}, "address:port"),
])
def test_unsafe_values_are_refused_with_a_clear_error(kwargs, message, flow):
    args = {"app": "flowlang", **kwargs}
    with pytest.raises(CodegenError, match=re.escape(message)):
        emit_asterisk(flow("bank_service"), **args)


def test_flow_names_that_would_break_the_dialplan_are_refused(flow):
    f = flow("subflow")
    with pytest.raises(CodegenError, match="flow name"):
        emit_asterisk(dataclasses.replace(f, name="bad,name"), app="members")
    cjk = dataclasses.replace(f, name="会员热线")
    with pytest.raises(CodegenError, match="pass context="):
        emit_asterisk(cjk, app="members")
    ext = emit_asterisk(cjk, app="members", context="members-line")["extensions.conf"]
    assert "Stasis(members,会员热线)" in ext


def test_titles_cannot_escape_their_comment(flow):
    f = dataclasses.replace(flow("subflow"), title="x\n[evil]\nexten => _X.,1,Dial(PJSIP/premium)")
    files = emit_asterisk(f, app="members")
    conf = parse_conf("extensions.conf", files["extensions.conf"])
    assert [s.name for s in conf.sections] == ["flowlang-member_line"]
    assert "Dial(" not in "".join(o.value for s in conf.sections for o in s.options)


def test_escape_filters():
    assert dialplan_escape("a,b;c(d)${e}[f]\"g'|&\n") == r"a\,b\;c\(d\)\$\{e\}\[f\]\"g\'\|\& "
    assert conf_escape("a;b\nc") == r"a\;b c"
    env = asterisk._environment()
    assert env.undefined is jinja2.StrictUndefined and env.trim_blocks
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("ari.conf.j2").render(o=object())
