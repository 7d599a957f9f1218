"""The example flows are clean, and each broken variant reports the code it was written for.

(i)  Every `flows/**/*.flow` with a `flow` header validates with **no** diagnostic at all (errors,
     warnings and infos), under the project settings in `flows/flowlang.toml`. Infos may be
     silenced inline with a reason (`# flowc: ignore FL509 -- ...`), never wholesale.
(ii) Every `tests/flows/broken/*.flow` starts with `# expect: FL###` and must report that code.
     A variant whose rule is not registered yet is marked xfail(strict=True): it turns red (XPASS)
     if it passes before its rule exists, and it stops being xfail the moment the rule is
     registered, so a rule that misses a mistake it should catch fails the suite.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flowlang import api
from flowlang.validate.registry import RULES
from flowlang.validate.run import load_rules

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "flows"
BROKEN = Path(__file__).parent / "broken"
EXPECT = re.compile(r"^#\s*expect:\s*(FL\d{3})\s*$")

load_rules()  # register every validator rule before parametrizing (xfail marks depend on it)

EXAMPLES = sorted(api.discover([FLOWS]))


def _show(result: api.ValidationResult) -> str:
    return "\n".join(f"{d.span.file}:{d.span.line}:{d.span.col}: {d.severity.label} {d.code} {d.message}"
                     for d in result.diagnostics) or "(no diagnostics)"


def test_the_four_examples_are_discovered() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"bank_service.flow", "skills_routing.flow", "renewal_campaign.flow", "csat_survey.flow"} <= names
    assert "common.flow" not in names  # a library without a header is checked through its importers


def test_examples_use_the_project_settings() -> None:
    config = api.config_for(FLOWS / "bank_service.flow")
    assert Path(config.path).resolve() == (FLOWS / "flowlang.toml").resolve()
    assert "api.galaxybank.example" in config.http_allowlist
    assert "crm" in config.dsns


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_validates_with_no_diagnostics(path: Path) -> None:
    result = api.validate(path)
    assert result.flow is not None, _show(result)
    assert result.diagnostics == [], _show(result)


def _flow(name: str):
    result = api.compile(FLOWS / f"{name}.flow")
    assert result.flow is not None, _show(result)  # type: ignore[arg-type]
    return result.flow


def _kinds(flow) -> set[str]:
    return {n.kind for n in flow.nodes}


def test_bank_service_shows_what_it_is_for() -> None:
    """Menus two deep, luhn, fetch, a PIN subflow with outcomes, hours with the 2026/27 holidays."""
    flow = _flow("bank_service")
    assert {"language", "menu", "collect", "call", "fetch", "switch", "queue", "record", "survey",
            "transfer", "return"} <= _kinds(flow)
    (sub,) = flow.subflows
    assert sub.name == "verify_pin" and sub.params and sub.outputs
    assert {n.outcome for n in flow.nodes if n.kind == "return"} == {"ok", "failed", "locked"}
    assert any(n.kind == "collect" and n.secure for n in flow.nodes)
    assert any(n.kind == "collect" and "luhn" in str(n.validate) for n in flow.nodes)
    (hours,) = flow.hours
    assert {h.start[:4] for h in hours.holidays} == {"2026", "2027"} and len(hours.holidays) == 14
    assert {e.event for e in flow.edges if e.source == "agent_queue"} >= {"overflow", "after"}
    assert "common.flow" in " ".join(flow.files)


def test_skills_routing_uses_every_strategy() -> None:
    flow = _flow("skills_routing")
    queues = [n for n in flow.nodes if n.kind == "queue"]
    assert {q.strategy for q in queues} == {"longest_idle", "round_robin", "fewest_calls", "skill_level",
                                            "last_agent"}
    assert any(q.callback_after for q in queues) and all(q.max_wait for q in queues)
    assert "lookup" in _kinds(flow) and "switch" in _kinds(flow)
    assert "calls_today" in str([n for n in flow.nodes if n.kind == "branch"])


def test_renewal_campaign_is_complete() -> None:
    flow = _flow("renewal_campaign")
    (c,) = flow.campaigns
    assert c.mode == "predictive" and c.max_abandon_rate == 0.03 and c.dnc and c.queue and c.caller_id
    assert all(r.max for r in c.retries) and c.max_attempts
    assert all("08:00" <= start and end <= "21:00" for start, end in c.windows)
    assert (FLOWS / c.contacts).is_file(), c.contacts
    header = (FLOWS / c.contacts).read_text(encoding="utf-8").splitlines()[0].split(",")
    assert sum(col.startswith("phone") for col in header) >= 2 and c.timezone_field in header


def test_csat_survey_asks_all_three_question_types() -> None:
    flow = _flow("csat_survey")
    (survey,) = [n for n in flow.nodes if n.kind == "survey"]
    assert {q.type for q in survey.questions} == {"csat", "nps", "yesno"}
    assert all(q.var and not q.var.startswith("survey.") for q in survey.questions)


@pytest.mark.parametrize("path", sorted(FLOWS.glob("**/*.flow")), ids=lambda p: p.name)
def test_example_is_in_canonical_format(path: Path) -> None:
    """The examples are the house style: `flowc fmt` leaves them unchanged."""
    from flowlang.fmt import format_source
    from flowlang.source import SourceFile

    text = path.read_text(encoding="utf-8")
    out, _ = format_source(SourceFile(str(path), text))
    assert out == text, f"run `flowc fmt {path.relative_to(ROOT)}`"


def _expected_code(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = EXPECT.match(first)
    assert m, f"{path.name} must start with `# expect: FL###`"
    return m.group(1)


def _broken_cases() -> list:
    cases = []
    for path in sorted(BROKEN.glob("*.flow")):
        code = _expected_code(path)
        marks = () if code in RULES else (
            pytest.mark.xfail(strict=True, reason=f"rule not yet registered ({code})"),)
        cases.append(pytest.param(path, code, id=f"{path.stem}-{code}", marks=marks))
    return cases


BROKEN_CASES = _broken_cases()


def test_there_are_broken_variants_for_every_family() -> None:
    families = {p.values[1][2] for p in BROKEN_CASES}
    assert families >= {"0", "1", "2", "3", "4", "5"}, f"families covered: {sorted(families)}"


@pytest.mark.parametrize("path, code", BROKEN_CASES)
def test_broken_variant_reports_its_code(path: Path, code: str) -> None:
    result = api.validate(path)
    codes = {d.code for d in result.diagnostics}
    assert not {c for c in codes if c.startswith("FL9")}, _show(result)  # no rule crashed
    assert code in codes, f"{path.name} should report {code}\n" + _show(result)
    mine = [d for d in result.diagnostics if d.code == code]
    assert all(Path(d.span.file).name == path.name and d.span.line >= 1 for d in mine), _show(result)
