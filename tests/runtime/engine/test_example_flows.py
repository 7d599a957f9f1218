"""The other example flows: what their authors rely on from the engine."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from flowlang import api
from runtime import commands as c
from runtime import events as e
from runtime.machine import Runtime
from runtime.prompts import display
from runtime.resources import Settings, load_resources
from tests.runtime.engine.conftest import Caller

FLOWS = Path(__file__).resolve().parents[3] / "flows"
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=timezone(timedelta(hours=8))).timestamp()
ALLOW = ("api.galaxybank.example", "api.starsea.example")


def runtime(name: str, **kw) -> Runtime:
    flow = api.compile_or_raise(FLOWS / f"{name}.flow")
    return Runtime(flow, load_resources(flow, http_allowlist=ALLOW, settings=Settings(strict=True), **kw))


@pytest.fixture(scope="module")
def survey_rt():
    return runtime("csat_survey")


def test_csat_survey_unhappy_caller_gets_a_follow_up(survey_rt):
    call = Caller(survey_rt, wall=NOON)
    call.played()                         # intro (no barge-in)
    call.press("2")                       # resolved? no
    call.say("非常不满意")                 # a phrase of the CSAT question
    call.press("10")                      # NPS 10: 1 then 0
    assert (call.var("resolved"), call.var("csat"), call.var("nps")) == ("no", 1, 10)
    assert call.state.node == "sorry"
    call.played()
    call.played()
    assert call.cmds[-1] == c.EndCall("completed", "thanks", "survey_complete")


def test_csat_survey_silence_keeps_defaults_and_thanks(survey_rt):
    call = Caller(survey_rt, wall=NOON)
    call.played()
    while call.state.node == "ask":
        call.played()
        call.timeout()
    # skipped questions keep their declared defaults, so `csat >= 1` still evaluates
    assert (call.var("resolved"), call.var("csat"), call.var("nps")) == ("", 0, None)
    assert call.state.node == "thanks"


@pytest.fixture(scope="module")
def care_rt():
    return runtime("skills_routing", calls_today={"8613512345678": 4})


def _to_lookup(call):
    call.played()                         # welcome
    call.press("1")                       # Mandarin
    lookup = call.cmds[-2]
    assert isinstance(lookup, c.Lookup) and lookup.params == {"msisdn": call.state.call.caller}
    return lookup


def test_skills_routing_crm_tier_sets_the_vip_priority(care_rt):
    call = Caller(care_rt, caller="+8613811112222", wall=NOON)
    lookup = _to_lookup(call)
    call.send(e.SqlResult(call.at(), lookup.request_id, [{"tier": "Diamond", "plan": "x"}]))
    assert call.var("tier") == "diamond" and call.state.node == "vip_queue"
    call.played()
    assert call.cmds[0].priority == 30 and call.cmds[0].strategy == "skill_level"


def test_skills_routing_enterprise_list_when_the_crm_is_down(care_rt):
    call = Caller(care_rt, caller="+86 21 500 000 001", wall=NOON)
    lookup = _to_lookup(call)
    call.send(e.SqlResult(call.at(), lookup.request_id, None, "connection refused"))
    assert call.var("tier") == "platinum" and call.state.node == "vip_queue"


def test_skills_routing_repeat_caller_goes_back_to_the_last_agent(care_rt):
    call = Caller(care_rt, wall=NOON)     # 4 calls today (resources.calls_today)
    lookup = _to_lookup(call)
    call.send(e.SqlResult(call.at(), lookup.request_id, []))
    assert call.state.node == "repeat_queue"


def test_calls_today_from_the_call_event_wins(care_rt):
    call = Caller(care_rt, wall=NOON, calls_today={"+86 135 1234 5678": 0})
    lookup = _to_lookup(call)
    call.send(e.SqlResult(call.at(), lookup.request_id, []))
    assert call.state.node == "main_menu"  # not a repeat caller according to this call's snapshot


def test_skills_routing_known_language_skips_the_question(care_rt):
    call = Caller(care_rt, wall=NOON, language="en")
    call.played()
    assert call.state.language == "en-US" and isinstance(call.cmds[-2], c.Lookup)


def test_renewal_campaign_outbound_call(care_rt):
    rt = runtime("renewal_campaign")
    call = Caller(rt, wall=NOON, direction="outbound", contact={"id": "RN-2026-0001", "name": "张伟"})
    assert not any(isinstance(x, c.Answer) for x in call.all)
    call.played()
    assert display(call.cmds[-1].items[0]) == "请问您是张伟吗？是请按1，不是请按2。"
    call.press("1")
    fetch = call.cmds[-2]
    assert fetch.url == "https://api.starsea.example/v1/renewals/RN-2026-0001/offer"
    call.http(200, {"plan_name": "星海畅享199", "contract_end": "2026-12-31", "new_fee": 169,
                    "monthly_discount": 30})
    assert display(call.cmds[-1].items[0]).startswith("您的星海畅享199套餐合约将于2026年12月31日到期。"
                                                     "现在续约两年，月费可优惠三十元，每月只需一百六十九元。")
    call.press("3")                       # opt out
    opt_out = call.cmds[-2]
    assert opt_out.method == "POST" and opt_out.body == "opt_out"
    call.http(204)                        # no body, and no `into`: still ok
    call.played()
    assert call.cmds[-1] == c.EndCall("completed", "opted_out", "opt_out")
