"""ACD settings from `[queues]` and simulated agents from `[simulator.agents]`: parsed, checked with
clear errors, and carried by `serving()` (flowc run / flowc call) to the QueueManager and simulator."""

from __future__ import annotations

import asyncio
import dataclasses
import tomllib
from pathlib import Path

import pytest

from runtime.acd import AcdSettings
from runtime.config import ConfigError, SimAgents, from_dict
from runtime.driver.local import Serving, agent_profile, serving
from runtime.simulator import run_script
from runtime.simulator.agents import AgentProfile, SimAgent
from tests.runtime.driver.rig import compile_text, runtime

pytestmark = pytest.mark.timeout(20)


def config(text: str):
    return from_dict(tomllib.loads(text), Path("."))


def test_queue_settings_come_from_the_queues_table():
    cfg = config("""
[queues]
no_answer_pause = 45
wrap_up = 12.5
retry_pause = 3
default_handle_time = 240
handle_samples = 20
last_agent_memory = 500
pause_on_no_answer = true
[queues.agents]
general = ["PJSIP/a1"]
""")
    assert cfg.acd == AcdSettings(no_answer_pause=45.0, pause_on_no_answer=True, wrap_up=12.5, retry_pause=3.0,
                                  default_handle_time=240.0, handle_samples=20, history_size=500)
    assert cfg.agents == {"general": ("PJSIP/a1",)}
    assert config("").acd == AcdSettings()  # defaults: 30 s pause, no wrap-up
    assert config('[queues]\nno_answer_pause = "until_unpaused"\n').acd.no_answer_pause is None


@pytest.mark.parametrize("text, message", [
    ("[queues]\nwrap_up = -5", r"\[queues\] wrap_up must be a number of seconds, 0 or more; not -5"),
    ('[queues]\nwrap_up = "10s"', r"wrap_up must be a number of seconds"),
    ("[queues]\nno_answer_pause = true", r'no_answer_pause must be .*or "until_unpaused"'),
    ("[queues]\nwrapup = 10", r"unknown key\(s\) wrapup \(known: agents, no_answer_pause"),
    ("[queues]\nhandle_samples = 0", r"handle_samples must be a whole number, 1 or more"),
    ("[queues]\ndefault_handle_time = 0", r"default_handle_time .* more than 0"),
    ('[queues]\npause_on_no_answer = "yes"', r"pause_on_no_answer must be true or false"),
    ("[simulator.agents]\nring = [5, 1]", r"ring must be \[low, high\] seconds"),
    ('[simulator.agents]\nhandle_dist = "normal"', r"handle_dist must be exponential, fixed or lognormal"),
    ("[simulator.agents]\nbusy = 1.5", r"busy must be a probability from 0 to 1"),
    ("[simulator.agents]\nbusy = 0.6\nno_answer = 0.6", r"no_answer \+ busy is more than 1"),
    ("[simulator.agents]\ntalk = 20", r"unknown key\(s\) talk"),
    ("[simulator.agents]\ncount = 0", r"count must be a whole number, 1 or more"),
])
def test_bad_values_are_clear_errors(text, message):
    with pytest.raises(ConfigError, match=message):
        config(text)


def test_simulated_agents_come_from_the_simulator_agents_table():
    cfg = config('[simulator.agents]\ncount = 4\nring = [1, 2]\nhandle = 90\nhandle_dist = "lognormal"\n'
                 'no_answer = 0.1\nbusy = 0.05\nseed = false\n')
    assert cfg.sim_agents == SimAgents(count=4, ring=(1.0, 2.0), handle=90.0, handle_dist="lognormal",
                                       no_answer=0.1, busy=0.05, seed=None)
    profile = agent_profile(cfg.sim_agents)
    assert profile == AgentProfile(ring=(1.0, 2.0), handle=90.0, handle_dist="lognormal", no_answer=0.1, busy=0.05)
    fixed = agent_profile(cfg.sim_agents, ring=0.5, talk=7.0)  # flowc call --talk 7
    assert (fixed.ring, fixed.handle, fixed.handle_dist) == ((0.5, 0.5), 7.0, "fixed")


QUEUED = """
    prompt hold {
      en-US "Please hold."
    }
    queue start {
      say hold
      max_wait 120s
      agent_timeout 30s
      overflow -> done
      after -> done
    }
    hangup done {
    }
    """


def test_serving_carries_the_settings_to_the_queue_manager_and_the_simulated_agents(tmp_path):
    cfg = config('[queues]\nwrap_up = 7\nno_answer_pause = 90\n'
                 '[simulator.agents]\ncount = 3\nring = [0.5, 0.5]\nhandle = 4\nhandle_dist = "fixed"\nseed = 5\n')
    cfg = dataclasses.replace(cfg, path=None)  # (from_dict names a flowlang.toml that is not there)
    flows = {"t": runtime(compile_text(tmp_path, QUEUED))}

    async def main():
        async with serving(Serving(flows, cfg, time_scale=0.02)) as (sim, server):
            parties = []  # serving()'s simulator keeps no ended call: watch them as they come
            sim.switch.call_listeners.append(parties.append)
            call = await sim.place_call(app=server.app, caller="+8613512345678", dialed="100")
            await run_script(call, [("expect", "bridge_enter"), ("wait_end",)])
            legs = [c for c in parties if c.direction == "outbound"]
            agents = [b for b in sim.switch.carrier.behaviours if isinstance(b, SimAgent)]
            return server.queues.acd.settings, legs, agents, call

    settings, legs, agents, call = asyncio.run(main())
    assert (settings.wrap_up, settings.no_answer_pause) == (7.0, 90.0)
    assert sorted(a.pattern for a in agents) == ["PJSIP/sim-agent-1", "PJSIP/sim-agent-2", "PJSIP/sim-agent-3"]
    assert {a.profile.handle_dist for a in agents} == {"fixed"} and sum(a.answered for a in agents) == 1
    assert len(legs) == 1
    answered, hung_up = legs[0].entries("answered"), legs[0].entries("hangup")
    assert answered and hung_up and hung_up[0][-1] - answered[0][-1] == pytest.approx(4.0, abs=0.5)  # fixed 4 s
