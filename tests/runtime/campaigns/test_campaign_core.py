"""The scheduling core with an injected clock: DNC at dial time, windows per time zone, retries per
disposition, per-agent caps, one live call per contact, rate and concurrency caps, modes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from runtime.campaigns import AgentPool, CampaignCore, CampaignSettings, Contact, ContactState, DncList, RetryRule
from runtime.campaigns.windows import CallingWindows

UTC = ZoneInfo("UTC")
T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC).timestamp()  # 10:00 in Shanghai, 21:00 (24th) in New York
RETRIES = {"busy": RetryRule(60, 2), "no_answer": RetryRule(600, 1), "abandoned": RetryRule(30, 1)}


def contact(cid: str, *numbers: str, tz: str = "Asia/Shanghai") -> Contact:
    return Contact(cid, f"name {cid}", numbers or (f"+86138{abs(hash(cid)) % 10**8:08d}",), tz)


def core(contacts, *, mode="agentless", agents=None, dnc=None, **settings) -> CampaignCore:
    st = CampaignSettings("t", mode=mode, retries=settings.pop("retries", RETRIES), **settings)
    return CampaignCore(st, [ContactState(c) for c in contacts], agents=agents, dnc=dnc)


def test_a_number_added_to_the_dnc_list_after_import_is_not_dialed():
    dnc = DncList()
    c = core([contact("a", "+8613800000001", "+8613800000002"), contact("b", "+8613800000003")], dnc=dnc)
    dnc.add("+86 138 0000 0001")  # after the import, before dialing
    dnc.add("8613800000003")
    dials = c.plan(T0)
    assert [(d.contact_id, d.number) for d in dials] == [("a", "+8613800000002")]
    assert c.states["b"].status == "dnc" and c.states["b"].final
    assert c.counts["dnc"] == 1


def test_dnc_refreshes_from_its_source_while_running():
    blocked: list[str] = []
    dnc = DncList(source=lambda: blocked, refresh_every=5)
    c = core([contact("a", "+8613800000001"), contact("b", "+8613800000002")], dnc=dnc, max_concurrent=1)
    dnc.refresh(T0)
    assert [d.contact_id for d in c.plan(T0)] == ["a"]
    blocked.append("+8613800000002")  # e.g. `flowc campaign dnc add` from another process
    dnc.refresh(T0 + 1)  # too soon: not re-read yet
    assert not dnc.blocked("+8613800000002")
    dnc.refresh(T0 + 6)
    c.ended("a", "answered", T0 + 6)
    assert c.plan(T0 + 6) == [] and c.states["b"].status == "dnc"


def test_calling_windows_apply_in_each_contacts_own_time_zone():
    contacts = [contact("sh", tz="Asia/Shanghai"), contact("ny", tz="America/New_York"),
                contact("ldn", tz="Europe/London")]
    c = core(contacts, windows=(("09:00", "12:00"), ("14:00", "20:00")))
    assert [d.contact_id for d in c.plan(T0)] == ["sh"]  # 10:00 Shanghai; 21:00 New York; 02:00 London
    ny_open = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("America/New_York")).timestamp()
    ldn_open = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/London")).timestamp()
    assert c.states["ny"].next_at == ny_open and c.states["ldn"].next_at == ldn_open
    assert c.next_due() == ldn_open
    assert [d.contact_id for d in c.plan(ldn_open)] == ["ldn"]
    assert [d.contact_id for d in c.plan(ny_open)] == ["ny"]


def test_windows_follow_daylight_saving_time():
    w = CallingWindows((("09:00", "17:00"),))
    summer = datetime(2026, 7, 1, 13, 30, tzinfo=UTC).timestamp()  # 09:30 EDT (UTC-4)
    winter = datetime(2026, 12, 1, 13, 30, tzinfo=UTC).timestamp()  # 08:30 EST (UTC-5)
    assert w.is_open(summer, "America/New_York")
    assert not w.is_open(winter, "America/New_York")
    assert w.next_open(winter, "America/New_York") == winter + 1800
    lunch = CallingWindows((("09:00", "12:00"), ("14:00", "20:00")))
    noon = datetime(2026, 11, 25, 12, 30, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    assert lunch.next_open(noon, "Asia/Shanghai") == noon + 5400  # the afternoon window
    with pytest.raises(ValueError, match="ends before it starts"):
        CallingWindows((("18:00", "09:00"),))


def test_retries_follow_the_rule_of_each_disposition():
    c = core([contact("a", "+8613800000001", "+8613800000002")], max_attempts=4)
    d1 = c.plan(T0)[0]
    s = c.ended("a", "busy", T0 + 10)
    assert (s.status, s.next_at, s.counts) == ("pending", T0 + 70, {"busy": 1})
    assert c.plan(T0 + 69) == []  # not before the delay
    d2 = c.plan(T0 + 70)[0]
    assert d2.number == d1.number == "+8613800000001" and d2.attempt == 2  # busy: same number again
    s = c.ended("a", "no_answer", T0 + 100)
    assert s.next_at == T0 + 700 and s.next_number == 1  # no answer: the next number next time
    d3 = c.plan(T0 + 700)[0]
    assert d3.number == "+8613800000002"
    s = c.ended("a", "no_answer", T0 + 720)  # the rule allows one retry after no answer
    assert s.status == "exhausted" and s.last_disposition == "no_answer"
    assert c.finished()


def test_max_attempts_and_missing_rules_end_a_contact():
    c = core([contact("a"), contact("b"), contact("c")], max_attempts=1)
    c.plan(T0)
    assert c.ended("a", "busy", T0).status == "exhausted"  # max_attempts 1
    assert c.ended("b", "unreachable", T0).status == "exhausted"  # no rule for unreachable
    assert c.ended("c", "answered", T0).status == "done"
    assert c.counts["exhausted"] == 2 and c.counts["done"] == 1


def test_a_call_lost_in_a_crash_is_retried_after_the_unknown_delay():
    c = core([contact("a")], unknown_delay=300)
    c.plan(T0)
    s = c.ended("a", "unknown", T0)
    assert (s.status, s.next_at, s.counts) == ("pending", T0 + 300, {})


def test_a_contact_is_never_in_two_calls_at_once():
    c = core([contact("a"), contact("b")], retries={"busy": RetryRule(0, 5)})
    assert {d.contact_id for d in c.plan(T0)} == {"a", "b"}
    assert c.plan(T0) == [] and c.plan(T0 + 100) == []  # both are live: nothing to dial
    c.ended("a", "busy", T0 + 1)
    assert [d.contact_id for d in c.plan(T0 + 1)] == ["a"]
    with pytest.raises(KeyError):
        c.answered("zzz", T0)


def test_rate_and_concurrency_caps():
    contacts = [contact(f"c{i}") for i in range(20)]
    c = core(contacts, calls_per_second=2.0, max_concurrent=5)
    assert len(c.plan(T0)) == 1  # the bucket starts with one token
    assert len(c.plan(T0 + 1)) == 2
    assert len(c.plan(T0 + 2)) == 2  # 5 live now: the concurrency cap
    assert c.plan(T0 + 10) == []
    c.ended(next(iter(c.live)), "answered", T0 + 10)
    assert len(c.plan(T0 + 10)) == 1


def test_progressive_dials_one_call_per_free_agent_and_never_abandons():
    pool = AgentPool.numbered(2)
    c = core([contact(f"c{i}") for i in range(10)], mode="progressive", agents=pool)
    first = c.plan(T0)
    assert len(first) == 2 and c.plan(T0) == []
    assert c.answered(first[0].contact_id, T0 + 5) == "connect"
    assert pool.free(T0 + 5) == 1
    assert c.plan(T0 + 5) == []  # one agent free, one call ringing for it
    c.ended(first[1].contact_id, "no_answer", T0 + 30)
    assert len(c.plan(T0 + 30)) == 1


def test_preview_reserves_the_agent_before_dialing():
    pool = AgentPool(["ann"])
    c = core([contact("a"), contact("b")], mode="preview", agents=pool)
    (dial,) = c.plan(T0)
    assert dial.agent == "ann" and pool.free(T0) == 0
    assert c.answered("a", T0 + 8) == "connect"
    c.ended("a", "answered", T0 + 60)
    assert pool.free(T0 + 60) == 1 and c.plan(T0 + 60)[0].contact_id == "b"


def test_an_answered_call_with_no_free_agent_is_abandoned_and_retried_by_its_rule():
    pool = AgentPool(["ann"])
    c = core([contact("a"), contact("b")], mode="predictive", agents=pool)
    c.plan(T0)  # warm-up: progressive, one call
    c.live["b"] = type(c.live["a"])("b", "+1", 1, T0)  # a second call in flight (as predictive would)
    c.states["b"].status = "dialing"
    assert c.answered("a", T0 + 3) == "connect"
    assert c.answered("b", T0 + 4) == "abandon"
    s = c.ended("b", "answered", T0 + 6)
    assert (s.last_disposition, s.status, s.next_at) == ("abandoned", "pending", T0 + 36)
    assert c.pacer.abandon_rate == 0.5


def test_machines_are_a_disposition_of_their_own():
    c = core([contact("a")], retries={"machine": RetryRule(3600, 1)})
    c.plan(T0)
    assert c.answered("a", T0 + 10, machine=True) == "machine"
    assert c.ended("a", "answered", T0 + 14).last_disposition == "machine"


def test_per_agent_daily_caps():
    pool = AgentPool(["ann", "bob"], daily_cap=2, timezone="Asia/Shanghai")
    c = core([contact(f"c{i}") for i in range(10)], mode="progressive", agents=pool)
    t = T0
    for _ in range(2):
        dials = c.plan(t)
        assert len(dials) == 2
        for dial in dials:
            assert c.answered(dial.contact_id, t + 1) == "connect"
            c.ended(dial.contact_id, "answered", t + 2)
        t += 3
    assert pool.calls_today("ann") == 2 and pool.calls_today("bob") == 2
    assert pool.free(t) == 0 and pool.capped(t) == 2 and c.plan(t) == []
    tomorrow = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    assert pool.free(tomorrow) == 2 and len(c.plan(tomorrow)) == 2


def test_agent_modes_need_agents():
    with pytest.raises(ValueError, match="needs agents"):
        core([contact("a")], mode="predictive")
