"""The ACD core without I/O: strategies, priorities, skills, no answer, overflow, callbacks, estimates."""

from __future__ import annotations

import pytest

from runtime.acd import (Acd, AcdSettings, Agent, AgentPool, Announce, Caller, OfferCallback, Overflow, Ring,
                         StopRinging)
from runtime.acd.model import BUSY, IDLE, PAUSED, RINGING, WRAP_UP


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def make(*agents: Agent, **settings) -> tuple[Acd, Clock]:
    clock = Clock()
    return Acd(AgentPool(agents), clock, AcdSettings(**settings)), clock


def caller(call_id: str, queue: str = "q", skills=(("billing", 1),), **kw) -> Caller:
    return Caller(call_id, queue, tuple(skills), **kw)


def rings(actions) -> list[tuple[str, str]]:
    return [(a.call_id, a.endpoint) for a in actions if isinstance(a, Ring)]


def serve(acd: Acd, clock: Clock, call_id: str, talk: float, **kw) -> str:
    """One call through the queue: enter, ring, answer, talk; returns the agent."""
    acd.enter(caller(call_id, **kw))
    [(_, agent)] = rings(acd.poll())
    acd.answered(call_id)
    clock.t += talk
    acd.finished(call_id)
    acd.poll()
    return agent


# ---------------------------------------------------------------- strategies
def test_longest_idle_picks_the_agent_free_the_longest():
    acd, clock = make(Agent("a", {"billing": 1}), Agent("b", {"billing": 1}), Agent("c", {"billing": 1}))
    assert serve(acd, clock, "1", 10) == "a"   # all idle since 0: configuration order
    assert serve(acd, clock, "2", 10) == "b"   # a has been idle only since 10
    clock.t += 5
    assert serve(acd, clock, "3", 1) == "c"


def test_round_robin_goes_around_in_configuration_order():
    acd, clock = make(*(Agent(x, {"billing": 1}) for x in "abc"))
    picked = [serve(acd, clock, str(i), 1, strategy="round_robin") for i in range(5)]
    assert picked == ["a", "b", "c", "a", "b"]


def test_round_robin_skips_busy_agents_and_keeps_its_turn():
    acd, clock = make(*(Agent(x, {"billing": 1}) for x in "abc"))
    acd.enter(caller("1", strategy="round_robin"))
    assert rings(acd.poll()) == [("1", "a")]
    acd.answered("1")
    assert serve(acd, clock, "2", 1, strategy="round_robin") == "b"
    assert serve(acd, clock, "3", 1, strategy="round_robin") == "c"
    assert serve(acd, clock, "4", 1, strategy="round_robin") == "b"  # a is still talking


def test_fewest_calls_picks_the_agent_with_the_fewest_calls_today():
    acd, clock = make(Agent("a", {"billing": 1}), Agent("b", {"billing": 1}))
    acd.pool.agents["a"].calls_today = 3
    acd.pool.agents["b"].calls_today = 1
    assert serve(acd, clock, "1", 1, strategy="fewest_calls") == "b"
    assert serve(acd, clock, "2", 1, strategy="fewest_calls") == "b"  # 2 < 3
    assert acd.pool.agents["b"].calls_today == 3


def test_skill_level_picks_the_highest_level_among_eligible_agents():
    acd, clock = make(Agent("novice", {"billing": 1}), Agent("expert", {"billing": 5}), Agent("mid", {"billing": 3}))
    assert serve(acd, clock, "1", 1, strategy="skill_level", skills=(("billing", 2),)) == "expert"
    acd.pool.pause("expert", now=clock.t)
    assert serve(acd, clock, "2", 1, strategy="skill_level", skills=(("billing", 2),)) == "mid"


def test_last_agent_prefers_the_agent_who_served_the_caller_before():
    acd, clock = make(Agent("a", {"billing": 1}), Agent("b", {"billing": 1}))
    assert serve(acd, clock, "1", 5, key="***5678") == "a"
    assert serve(acd, clock, "2", 5, key="***1111") == "b"
    clock.t += 1
    # longest idle would pick a now; the caller of ***1111 goes back to b
    assert serve(acd, clock, "3", 5, key="***1111", strategy="last_agent") == "b"
    acd.enter(caller("4", key="***5678", strategy="last_agent"))
    acd.pool.pause("a", now=clock.t)  # the previous agent is away: anyone else
    assert rings(acd.poll()) == [("4", "b")]


# ---------------------------------------------------------------- line order and skills
def test_vip_first_then_arrival_order():
    acd, clock = make(Agent("a", {"billing": 1}))
    acd.enter(caller("busy"))
    acd.poll()
    acd.answered("busy")
    positions = [acd.enter(caller("early")), acd.enter(caller("late")), acd.enter(caller("vip", priority=10))]
    assert positions == [1, 2, 1]  # the VIP goes ahead of both
    assert [acd.position(c) for c in ("vip", "early", "late")] == [1, 2, 3]
    served = []
    for _ in range(3):
        acd.finished(next(c for c, x in acd.callers.items() if x.state == "connected"))
        [(call_id, _)] = rings(acd.poll())
        acd.answered(call_id)
        served.append(call_id)
    assert served == ["vip", "early", "late"]


def test_only_agents_with_every_skill_at_the_level_asked_are_offered():
    acd, _ = make(Agent("en", {"billing": 5}), Agent("zh-low", {"billing": 2, "mandarin": 2}),
                  Agent("zh", {"billing": 3, "mandarin": 4}))
    acd.enter(caller("1", skills=(("billing", 3), ("mandarin", 3))))
    assert rings(acd.poll()) == [("1", "zh")]
    acd.enter(caller("2", skills=(("billing", 3), ("mandarin", 3))))
    assert rings(acd.poll()) == []  # zh is ringing; the others lack a skill or a level
    assert acd.has_agents("q", (("french", 1),)) is False


def test_a_caller_who_needs_a_busy_agent_does_not_hold_up_the_line():
    acd, _ = make(Agent("zh", {"mandarin": 3}), Agent("en", {"english": 3}))
    acd.enter(caller("zh1", skills=(("mandarin", 1),)))
    acd.poll()
    acd.answered("zh1")
    acd.enter(caller("zh2", skills=(("mandarin", 1),)))
    acd.enter(caller("en1", skills=(("english", 1),)))
    assert rings(acd.poll()) == [("en1", "en")]


def test_legacy_groups_serve_a_queue_by_id_or_skill_name_at_any_level():
    agent = Agent("old", groups=frozenset({"general"}))
    assert agent.serves("general", ()) and agent.serves("other", (("general", 5),))
    assert not agent.serves("other", (("billing", 1),))


# ---------------------------------------------------------------- no answer, overflow, callback
def test_no_answer_pauses_the_agent_and_offers_the_call_to_the_next_keeping_its_place():
    acd, clock = make(Agent("a", {"billing": 1}), Agent("b", {"billing": 1}), no_answer_pause=60)
    acd.enter(caller("1", agent_timeout=15))
    acd.enter(caller("2", agent_timeout=15))
    assert rings(acd.poll()) == [("1", "a"), ("2", "b")]
    acd.answered("2")
    clock.t = 15
    assert acd.next_deadline() == 15
    actions = acd.poll()
    assert actions == [StopRinging("1", "a")]  # b is talking, a is paused: nobody to ring
    assert acd.pool.agents["a"].state == PAUSED and acd.position("1") == 1
    clock.t = 20
    acd.finished("2")
    assert rings(acd.poll()) == [("1", "b")]
    acd.answered("1")
    clock.t = 75
    assert acd.pool.next_due() == 75 and (acd.poll(), acd.pool.agents["a"].state) == ([], IDLE)


def test_a_failed_dial_is_declined_like_a_no_answer():
    acd, clock = make(Agent("a", {"billing": 1}), Agent("b", {"billing": 1}))
    acd.enter(caller("1"))
    acd.poll()
    assert acd.declined("1") == "a"
    assert rings(acd.poll()) == [("1", "b")]
    assert acd.pool.agents["a"].state == PAUSED and acd.pool.agents["a"].until == 30.0


def test_without_pausing_all_tried_agents_are_tried_again_after_the_retry_pause():
    acd, clock = make(Agent("a", {"billing": 1}), pause_on_no_answer=False, retry_pause=2.0)
    acd.enter(caller("1"))
    acd.poll()
    acd.declined("1")
    assert rings(acd.poll()) == [] and acd.pool.agents["a"].state == IDLE
    clock.t = 2.0
    assert rings(acd.poll()) == [("1", "a")]


def test_max_wait_gives_an_overflow_verdict_and_frees_a_ringing_agent():
    acd, clock = make(Agent("a", {"billing": 1}))
    acd.enter(caller("1", max_wait=60, agent_timeout=100))
    acd.poll()
    clock.t = 60
    assert acd.poll() == [Overflow("1", 60.0, "a")]
    assert "1" not in acd.callers and acd.pool.agents["a"].state == IDLE


def test_the_callback_offer_comes_once_and_accepting_keeps_the_place():
    acd, clock = make(Agent("a", {"billing": 1}))
    acd.enter(caller("talking"))
    acd.poll()
    acd.answered("talking")
    acd.enter(caller("1"))
    acd.enter(caller("2", callback_after=90))
    acd.enter(caller("3"))
    clock.t = 90
    assert acd.poll() == [OfferCallback("2", 2)]
    clock.t = 200
    assert acd.poll() == []
    assert acd.accept_callback("2") == 2
    assert [acd.position(c) for c in ("1", "3")] == [1, 2]


def test_announcements_repeat_with_place_and_estimated_wait():
    acd, clock = make(Agent("a", {"billing": 1}), Agent("b", {"billing": 1}), default_handle_time=120)
    for i in (1, 2):
        acd.enter(caller(f"t{i}"))
        acd.poll()
        acd.answered(f"t{i}")
    acd.enter(caller("w1"))
    acd.enter(caller("w2", announce_every=30))
    clock.t = 30
    assert acd.poll() == [Announce("w2", 2, 2 * 120 / 2)]
    clock.t = 60
    assert [type(a) for a in acd.poll()] == [Announce]


# ---------------------------------------------------------------- estimates, pool
def test_estimated_wait_uses_recent_handling_times_and_working_agents():
    acd, clock = make(Agent("a", {"billing": 1}), Agent("b", {"billing": 1}), Agent("c", {"billing": 1}))
    assert serve(acd, clock, "x", 100) and serve(acd, clock, "y", 200)
    assert acd.average_handle_time() == 150
    for i in range(3):
        acd.enter(caller(f"t{i}"))
        acd.poll()
        acd.answered(f"t{i}")
    acd.enter(caller("w1"))
    acd.enter(caller("w2"))
    assert acd.estimated_wait("w1") == 150 / 3 and acd.estimated_wait("w2") == 2 * 150 / 3
    busy = acd.callers["t0"].agent
    acd.pool.pause(busy, now=clock.t)  # busy: paused after the call; still working for the estimate
    assert acd.estimated_wait("w2") == 2 * 150 / 3
    clock.t += 150  # (t0 talks 150 s: the average stays 150)
    acd.finished("t0")
    acd.poll()
    assert acd.pool.agents[busy].state == PAUSED and acd.estimated_wait("w1") == 150 / 2


def test_an_agent_reserved_for_an_outbound_call_is_not_offered_inbound_calls():
    acd, clock = make(Agent("a", {"billing": 1}), Agent("b", {"billing": 1}))
    pool = acd.pool
    assert pool.reserve("a", "campaign-1", purpose="outbound", now=0.0)
    assert not pool.reserve("a", "campaign-2", purpose="outbound", now=0.0)
    acd.enter(caller("1"))
    acd.enter(caller("2"))
    assert rings(acd.poll()) == [("1", "b")]
    woke = []
    pool.watchers.append(woke.append)
    pool.release("a", now=5.0)
    assert [a.endpoint for a in woke] == ["a"] and rings(acd.poll()) == [("2", "a")]


def test_wrap_up_keeps_the_agent_from_the_next_call_for_a_while():
    acd, clock = make(Agent("a", {"billing": 1}), wrap_up=10)
    serve(acd, clock, "1", 5)
    assert acd.pool.agents["a"].state == WRAP_UP
    acd.enter(caller("2"))
    assert rings(acd.poll()) == []
    clock.t = 15
    assert rings(acd.poll()) == [("2", "a")]


def test_pause_and_unpause_by_api():
    acd, clock = make(Agent("a", {"billing": 1}))
    acd.pool.pause("a", now=0.0)  # until unpaused
    acd.enter(caller("1"))
    assert rings(acd.poll()) == [] and acd.pool.next_due() is None
    acd.pool.unpause("a", now=3.0)
    assert rings(acd.poll()) == [("1", "a")] and acd.pool.agents["a"].state == RINGING
    acd.answered("1")
    assert acd.pool.agents["a"].state == BUSY


def test_mistakes_are_reported_clearly():
    acd, _ = make(Agent("a", {"billing": 1}))
    with pytest.raises(ValueError, match="unknown strategy 'fastest'"):
        acd.enter(caller("1", strategy="fastest"))
    acd.enter(caller("2"))
    with pytest.raises(ValueError, match="already in a queue"):
        acd.enter(caller("2"))
    with pytest.raises(ValueError, match="not ringing"):
        acd.answered("2")


def test_a_paused_agent_back_from_its_pause_may_take_the_same_caller():
    acd, clock = make(Agent("a", {"billing": 1}), no_answer_pause=10)
    acd.enter(caller("1", agent_timeout=15))
    acd.poll()
    clock.t = 15
    assert acd.poll() == [StopRinging("1", "a")]
    clock.t = 25
    assert rings(acd.poll()) == [("1", "a")]
