"""`[queues.agents]`: the old table form and the `[[queues.agents]]` form with skill levels."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from runtime.acd import AgentPool
from runtime.config import ConfigError, from_dict
from runtime.queues import agents_from_config


def config(text: str):
    return from_dict(tomllib.loads(text), Path("."))


def test_the_old_form_lists_endpoints_per_queue_or_skill():
    cfg = config('[queues.agents]\ngeneral = ["PJSIP/a1", "PJSIP/a2"]\nbilling = ["PJSIP/a2"]\n')
    pool = AgentPool(agents_from_config(cfg.agents))
    assert sorted(pool.eligible("general", ())) == ["PJSIP/a1", "PJSIP/a2"]
    assert sorted(pool.eligible("vip", (("billing", 4),))) == ["PJSIP/a2"]  # listed under the skill: any level


def test_the_array_form_gives_agents_skills_with_levels():
    cfg = config('''
[[queues.agents]]
endpoint = "PJSIP/1001"
skills = {billing = 3, mandarin = 5}

[[queues.agents]]
endpoint = "PJSIP/1002"
skills = {billing = 1}
queues = ["general"]
''')
    pool = AgentPool(agents_from_config(cfg.agents))
    assert pool.agents["PJSIP/1001"].skills == {"billing": 3, "mandarin": 5}
    assert pool.eligible("q", (("billing", 2),)) == {"PJSIP/1001"}
    assert pool.eligible("q", (("billing", 1),)) == {"PJSIP/1001", "PJSIP/1002"}
    assert pool.eligible("general", ()) == {"PJSIP/1002"}
    assert pool.eligible("q", (("billing", 1), ("mandarin", 5))) == {"PJSIP/1001"}


@pytest.mark.parametrize(("text", "message"), [
    ('[[queues.agents]]\nendpoint = "PJSIP/1"\nskills = {billing = 7}\n', "level from 1 to 5, not 7"),
    ('[[queues.agents]]\nendpoint = "PJSIP/1"\nskill = {billing = 2}\n', "unknown key(s) skill"),
    ('[[queues.agents]]\nendpoint = "PJSIP/1"\n', "neither skills nor queues"),
    ('[[queues.agents]]\nskills = {billing = 2}\n', "endpoint must be a string"),
    ('[queues]\nagents = 3\n', "must be a table or an array"),
])
def test_mistakes_are_clear_messages(text, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        config(text)
