"""flowlang.toml loading (validate/config.py) and policy + inline suppressions (validate/run.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowlang import api
from flowlang.diagnostics import Diagnostic, Severity
from flowlang.source import SourceFile, Span
from flowlang.validate.config import Config, ConfigError, config_from_dict, find_config, load_config
from flowlang.validate.registry import RULES, Rule
from flowlang.validate.run import apply_policy, parse_suppressions, run_rules

FLOW = """flow t {
  languages en-US
  entry wait
}

queue wait {
  skills general: 1
}
"""  # FL401 (no max_wait, no overflow) on line 6


def codes_at(result) -> list[tuple[str, int]]:
    return [(d.code, d.span.line) for d in result.diagnostics]


# ---------------------------------------------------------------- loading
def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path / "flowlang.toml") == Config()
    assert load_config(None) == Config()


def test_full_file(tmp_path: Path) -> None:
    toml = tmp_path / "flowlang.toml"
    toml.write_text("""
[rules]
FL401 = "error"
FL402 = "Info"
FL407 = "Off"

[limits]
max_menu_options = 7
max_time_to_agent = 90
max_abandon_rate = 0.02
calling_hours = ["09:00", "20:00"]

[http]
allow = ["api.example.com", "*.partner.example"]

[transfer]
allow = ["PJSIP/*"]

[sql]
dsns = ["crm"]
""", encoding="utf-8")
    cfg = load_config(toml)
    assert cfg.severities == {"FL401": Severity.ERROR, "FL402": Severity.INFO, "FL407": None}
    assert (cfg.max_menu_options, cfg.max_time_to_agent, cfg.max_abandon_rate) == (7, 90.0, 0.02)
    assert isinstance(cfg.max_time_to_agent, float) and isinstance(cfg.max_menu_options, int)
    assert cfg.calling_hours == ("09:00", "20:00")
    assert cfg.http_allowlist == ("api.example.com", "*.partner.example")
    assert cfg.transfer_allowlist == ("PJSIP/*",) and cfg.dsns == ("crm",)
    assert cfg.max_menu_depth == Config().max_menu_depth  # untouched limits keep their defaults
    assert cfg.path == str(toml)


def test_severity_of_falls_back_to_the_default() -> None:
    cfg = config_from_dict({"rules": {"FL401": "off", "FL402": "error"}})
    assert cfg.severity_of("FL401", Severity.WARNING) is None
    assert cfg.severity_of("FL402", Severity.WARNING) is Severity.ERROR
    assert cfg.severity_of("FL403", Severity.WARNING) is Severity.WARNING


@pytest.mark.parametrize("data, fragment", [
    ({"rules": {"FL401": "fatal"}}, "[rules] FL401: unknown severity 'fatal'"),
    ({"rules": {"FL401": 2}}, "[rules] FL401 must be a string"),
    ({"limits": {"max_menu_options": "nine"}}, "[limits] max_menu_options must be a number"),
    ({"limits": {"max_retries": True}}, "[limits] max_retries must be a number"),
    ({"limits": {"max_menus": 3}}, "unknown limit 'max_menus'"),
    ({"limits": {"calling_hours": ["08:00"]}}, "calling_hours must be"),
    ({"http": {"allow": "api.example.com"}}, "[http] allow must be a list of strings"),
    ({"transfer": {"allow": [1]}}, "[transfer] allow must be a list of strings"),
    ({"sql": {"dsns": [None]}}, "[sql] dsns must be a list of strings"),
])
def test_bad_values_raise_config_error_naming_the_file_and_key(data: dict, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_dict(data, "proj/flowlang.toml")
    assert str(info.value).startswith("proj/flowlang.toml: ")
    assert fragment in str(info.value)


def test_unknown_limit_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="known: .*max_menu_options.*calling_hours"):
        config_from_dict({"limits": {"typo": 1}})


def test_bad_toml_is_a_config_error_with_the_path_and_line(tmp_path: Path) -> None:
    toml = tmp_path / "flowlang.toml"
    toml.write_text('[rules]\nFL401 = "error"\nFL402 error\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(toml)
    message = str(info.value)
    assert message.startswith(f"{toml}: ") and "line 3" in message


def test_undecodable_toml_is_a_config_error(tmp_path: Path) -> None:
    toml = tmp_path / "flowlang.toml"
    toml.write_bytes(b"[rules]\nFL401 = \"\xff\"\n")
    with pytest.raises(ConfigError, match=str(toml).replace("\\", "\\\\")):
        load_config(toml)


def test_find_config_walks_up_and_api_uses_it(tmp_path: Path) -> None:
    (tmp_path / "flowlang.toml").write_text('[rules]\nFL401 = "error"\n', encoding="utf-8")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    flow = sub / "main.flow"
    flow.write_text(FLOW, encoding="utf-8")
    assert find_config(sub) == tmp_path / "flowlang.toml"
    [d] = [d for d in api.validate(flow).diagnostics if d.code == "FL401"]
    assert d.severity is Severity.ERROR


def test_a_broken_project_config_surfaces_as_config_error(tmp_path: Path) -> None:
    (tmp_path / "flowlang.toml").write_text("[limits]\nmax_retries = 'many'\n", encoding="utf-8")
    flow = tmp_path / "main.flow"
    flow.write_text(FLOW, encoding="utf-8")
    with pytest.raises(ConfigError, match="max_retries must be a number"):
        api.validate(flow)


# ---------------------------------------------------------------- policy
def _validate(text: str, config: Config | None = None):
    return api.validate(SourceFile("<memory>/t.flow", text), config or Config())


def test_severity_override_and_off_apply_to_findings() -> None:
    assert codes_at(_validate(FLOW)) == [("FL401", 6)]
    [d] = _validate(FLOW, config_from_dict({"rules": {"FL401": "info"}})).diagnostics
    assert d.severity is Severity.INFO
    assert _validate(FLOW, config_from_dict({"rules": {"FL401": "off"}})).diagnostics == []


def test_off_rules_are_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def probe(flow, graph, config):
        calls.append(flow.name)
        return iter(())

    monkeypatch.setitem(RULES, "FL998", Rule("FL998", "test.probe", Severity.WARNING, "probe", "none", check=probe))
    flow = _validate(FLOW).flow
    calls.clear()
    run_rules(flow, config_from_dict({"rules": {"FL998": "off"}}))
    assert calls == []
    run_rules(flow, Config())
    assert calls == ["t"]


def test_a_crashing_rule_becomes_fl901_and_the_others_still_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(flow, graph, config):
        raise KeyError("x")

    monkeypatch.setitem(RULES, "FL998", Rule("FL998", "test.boom", Severity.WARNING, "boom", "none", check=boom))
    found = run_rules(_validate(FLOW).flow, Config())
    assert {d.code for d in found} >= {"FL901", "FL401"}
    [crash] = [d for d in found if d.code == "FL901"]
    assert "FL998" in crash.message and "KeyError" in crash.message


# ---------------------------------------------------------------- suppressions
def _with_comment(comment: str, trailing: bool) -> str:
    lines = FLOW.splitlines()
    if trailing:
        lines[5] += "  " + comment
    else:
        lines.insert(5, comment)
    return "\n".join(lines) + "\n"


def test_suppression_with_a_reason_on_its_own_line_silences_the_next_line() -> None:
    result = _validate(_with_comment("# flowc: ignore FL401 -- night line, agents always there", False))
    assert codes_at(result) == []


def test_trailing_suppression_silences_its_own_line() -> None:
    assert codes_at(_validate(_with_comment("# flowc: ignore FL401 -- reviewed", True))) == []


def test_suppression_without_a_reason_is_fl007_and_silences_nothing() -> None:
    result = _validate(_with_comment("# flowc: ignore FL401", False))
    assert codes_at(result) == [("FL007", 6), ("FL401", 7)]
    [d] = [d for d in result.diagnostics if d.code == "FL007"]
    assert d.severity is Severity.ERROR and "FL401" in d.message
    assert codes_at(_validate(_with_comment("# flowc: ignore FL401 --   ", False)))[0] == ("FL007", 6)


def test_suppression_is_specific_to_code_and_line() -> None:
    other_code = _validate(_with_comment("# flowc: ignore FL402 -- wrong code", False))
    assert codes_at(other_code) == [("FL401", 7)]
    too_far = FLOW.replace("queue wait {", "# flowc: ignore FL401 -- too far away\n\nqueue wait {")
    assert codes_at(_validate(too_far)) == [("FL401", 8)]
    several = _validate(_with_comment("# flowc: ignore FL402, FL401 -- both reviewed", False))
    assert codes_at(several) == []


def test_suppression_applies_in_the_file_it_is_written_in(tmp_path: Path) -> None:
    shared = tmp_path / "shared.flow"
    main = tmp_path / "main.flow"
    # main.flow line 1 targets main.flow line 2; the finding is at shared.flow line 2.
    main.write_text("# flowc: ignore FL403 -- hours of main.flow only\n" + FLOW + 'import "shared.flow"\n',
                    encoding="utf-8")
    shared.write_text("# shared\nhours h {\n  mon 09:00-10:00\n}\n", encoding="utf-8")
    found = [(Path(d.span.file).name, d.code, d.span.line) for d in api.validate(main, Config()).diagnostics]
    assert ("shared.flow", "FL403", 2) in found
    shared.write_text("# flowc: ignore FL403 -- UTC on purpose\nhours h {\n  mon 09:00-10:00\n}\n",
                      encoding="utf-8")
    assert [c for c, _ in codes_at(api.validate(main, Config()))] == ["FL401"]


def test_apply_policy_unit() -> None:
    span = Span("f.flow", 3, 1, 3, 5)
    diags = [Diagnostic("FL401", Severity.WARNING, "a", span), Diagnostic("FL402", Severity.WARNING, "b", span)]
    sups, problems = parse_suppressions([])
    assert (sups, problems) == ([], [])
    out = apply_policy(diags, config_from_dict({"rules": {"FL402": "error"}}), sups)
    assert [(d.code, d.severity) for d in out] == [("FL401", Severity.WARNING), ("FL402", Severity.ERROR)]
