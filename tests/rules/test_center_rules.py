"""FL4xx contact-center rules: messages, exact positions, and the limits flowlang.toml can change."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowlang import api
from flowlang.diagnostics import Diagnostic, Severity
from flowlang.source import SourceFile
from flowlang.validate.config import Config, config_from_dict

ROOT = Path(__file__).resolve().parents[2]
HEADER = "flow t {\n  languages zh-CN\n  entry start\n}\n\nhangup start {\n}\n\n"
QUEUE = "queue agents {\n  skills sales: 1\n  max_wait 2m\n  overflow -> start\n}\n\nlist dnc from \"dnc.txt\"\n\n"


def check(body: str, code: str, config: Config | None = None, name: str = "<memory>/t.flow") -> list[Diagnostic]:
    result = api.validate(SourceFile(name, HEADER + body), config or Config())
    return [d for d in result.diagnostics if d.code == code]


def line_of(body: str, needle: str) -> int:
    return (HEADER + body).splitlines().index(needle) + 1


def campaign(*settings: str, mode: str = "progressive") -> str:
    lines = ["contacts \"c.csv\"", f"mode {mode}", *settings]
    return QUEUE + "campaign c {\n" + "".join(f"  {s}\n" for s in lines) + "}\n"


GOOD = ("queue agents", "window 09:00-20:00", "retry busy, delay: 30m, max: 3", "max_attempts 5", "dnc dnc")


# ---------------------------------------------------------------- FL401
@pytest.mark.parametrize("settings, fragment", [
    ("", "neither `max_wait` nor `overflow ->`"),
    ("  max_wait 5m\n", "no `overflow ->`"),
    ("  overflow -> start\n", "no `max_wait`"),
])
def test_fl401_names_what_is_missing_at_the_queue_line(settings: str, fragment: str) -> None:
    body = "queue q {\n  skills general: 1\n" + settings + "}\n"
    [d] = check(body, "FL401")
    assert fragment in d.message
    assert (d.span.line, d.span.col) == (line_of(body, "queue q {"), 1)
    assert d.severity is Severity.WARNING


def test_fl401_bounded_queue_is_clean() -> None:
    assert check(QUEUE, "FL401") == []


# ---------------------------------------------------------------- FL402
def test_fl402_reports_day_and_both_ranges_once_per_pair() -> None:
    body = 'hours h {\n  timezone "Asia/Shanghai"\n  mon-fri 09:00-18:00\n  thu, fri 17:00-20:00\n}\n'
    [d] = check(body, "FL402")
    assert d.message == "hours 'h': on thu, fri, 09:00-18:00 overlaps 17:00-20:00"
    assert d.span.line == line_of(body, "hours h {")


def test_fl402_duplicate_range_is_listed_twice() -> None:
    body = 'hours h {\n  timezone "Asia/Shanghai"\n  mon 09:00-12:00\n  mon 09:00-12:00\n}\n'
    [d] = check(body, "FL402")
    assert "09:00-12:00 is listed twice" in d.message


def test_fl402_ranges_that_touch_or_sit_in_different_blocks_do_not_overlap() -> None:
    body = ('hours a {\n  timezone "Asia/Shanghai"\n  mon 09:00-12:00, 12:00-18:00\n}\n'
            'hours b {\n  timezone "Asia/Shanghai"\n  mon 10:00-11:00\n}\n')
    assert check(body, "FL402") == []


# ---------------------------------------------------------------- FL403
def test_fl403_explicit_utc_in_a_file_is_fine_but_missing_zone_is_not(tmp_path: Path) -> None:
    flow = tmp_path / "main.flow"
    flow.write_text(HEADER + 'hours utc {\n  timezone "UTC"\n  mon 09:00-12:00\n}\n'
                    'hours local {\n  # timezone to be decided\n  mon 09:00-12:00\n}\n', encoding="utf-8")
    found = [d for d in api.validate(flow, Config()).diagnostics if d.code == "FL403"]
    assert [(d.span.line, "no `timezone` line" in d.message) for d in found] == [(13, True)]


def test_fl403_points_into_the_imported_file(tmp_path: Path) -> None:
    (tmp_path / "shared.flow").write_text("# shared\nhours h {\n  mon-fri 09:00-18:00\n}\n", encoding="utf-8")
    main = tmp_path / "main.flow"
    main.write_text(HEADER + 'import "shared.flow"\n', encoding="utf-8")
    [d] = [d for d in api.validate(main, Config()).diagnostics if d.code == "FL403"]
    assert (Path(d.span.file).name, d.span.line, d.span.col) == ("shared.flow", 2, 1)


def test_fl403_never_open_and_reversed_holiday_have_their_own_hints() -> None:
    body = 'hours h {\n  timezone "Asia/Shanghai"\n  sat closed\n  holiday 2026-10-07..2026-10-01\n}\n'
    found = check(body, "FL403")
    assert sorted(d.message for d in found) == [
        "hours 'h' have no opening range: `open(h)` is never true",
        "hours 'h': holiday 2026-10-07..2026-10-01 ends before it starts"]
    assert len({d.hint for d in found}) == 2


# ---------------------------------------------------------------- FL404
def test_fl404_uses_the_configured_cap() -> None:
    strict = config_from_dict({"limits": {"max_abandon_rate": 0.01}})
    body = campaign(*GOOD, mode="predictive")  # the default cap of a campaign is 3 %
    assert check(body, "FL404") == []
    [d] = check(body, "FL404", strict)
    assert d.message == "campaign 'c' allows 3 % abandoned calls; the cap is 1 %"
    assert d.span.line == line_of(body, "campaign c {")


@pytest.mark.parametrize("mode, reported", [("predictive", True), ("progressive", True), ("preview", False),
                                            ("agentless", False)])
def test_fl404_applies_to_modes_that_can_abandon(mode: str, reported: bool) -> None:
    settings = GOOD + ("max_abandon 5",) + (("entry start",) if mode == "agentless" else ())
    assert bool(check(campaign(*settings, mode=mode), "FL404")) is reported


# ---------------------------------------------------------------- FL405
def test_fl405_window_boundaries_are_inclusive_and_configurable() -> None:
    body = campaign(*[s for s in GOOD if not s.startswith("window")], "window 08:00-21:00")
    assert check(body, "FL405") == []
    narrow = config_from_dict({"limits": {"calling_hours": ["09:00", "20:00"]}})
    [d] = check(body, "FL405", narrow)
    assert "outside the legal calling hours 09:00-20:00" in d.message


def test_fl405_invalid_and_missing_windows() -> None:
    body = campaign(*[s for s in GOOD if not s.startswith("window")], "window 25:00-26:00")
    [d] = check(body, "FL405")
    assert "25:00-26:00 is not a window within one day" in d.message
    [d] = check(campaign(*[s for s in GOOD if not s.startswith("window")]), "FL405")
    assert "no calling `window`" in d.message


# ---------------------------------------------------------------- FL406 / FL407
def test_fl406_one_finding_per_unbounded_retry_and_for_max_attempts() -> None:
    body = campaign("queue agents", "window 09:00-20:00", "dnc dnc", "retry busy, delay: 30m",
                    "retry no_answer, delay: 2h", "retry machine, delay: 1d, max: 1")
    messages = sorted(d.message for d in check(body, "FL406"))
    assert messages == ["campaign 'c' has no `max_attempts`: a contact may be dialed without limit",
                        "campaign 'c': `retry busy` has no `max:`",
                        "campaign 'c': `retry no_answer` has no `max:`"]


def test_fl407_dnc_list() -> None:
    assert check(campaign(*GOOD), "FL407") == []
    [d] = check(campaign(*[s for s in GOOD if s != "dnc dnc"]), "FL407")
    assert d.span.line == line_of(campaign(*[s for s in GOOD if s != "dnc dnc"]), "campaign c {")


# ---------------------------------------------------------------- FL408
def test_fl408_preview_needs_agents_too() -> None:
    [d] = check(campaign(*[s for s in GOOD if s != "queue agents"], mode="preview"), "FL408")
    assert d.message == "preview campaign 'c' has no `queue`: no agent takes the answered calls"


def test_fl408_entry_that_reaches_a_human_transfer_is_enough() -> None:
    body = 'transfer desk {\n  to "PJSIP/sales"\n}\n' + campaign(
        *[s for s in GOOD if s != "queue agents"], "entry desk")
    assert check(body, "FL408") == []


# ---------------------------------------------------------------- policy and the example
def test_configured_severity_and_off() -> None:
    body = "queue q {\n  skills general: 1\n}\n"
    [d] = check(body, "FL401", config_from_dict({"rules": {"FL401": "error"}}))
    assert d.severity is Severity.ERROR
    assert check(body, "FL401", config_from_dict({"rules": {"FL401": "off"}})) == []


def test_bank_service_has_no_contact_center_findings() -> None:
    result = api.validate(ROOT / "flows" / "bank_service.flow")
    assert result.flow is not None
    assert [f"{d.span}: {d.code} {d.message}" for d in result.diagnostics if d.code.startswith("FL4")] == []
