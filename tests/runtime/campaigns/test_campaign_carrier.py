"""The simulator's statistical carrier for campaigns: outcome probabilities, ring times, seeding."""

from __future__ import annotations

from collections import Counter

import pytest

from runtime.simulator.carrier import CarrierMix, EndpointBehaviour


def test_outcomes_follow_the_probabilities_and_ring_ranges():
    mix = CarrierMix(answer=0.3, machine=0.1, busy=0.1, noanswer=0.4, unreachable=0.1,
                     ring=(5.0, 30.0), busy_ring=(2.0, 8.0), talk=120.0, seed=1)
    draws = [mix.draw() for _ in range(20_000)]
    shares = {k: v / len(draws) for k, v in Counter(o for o, _, _ in draws).items()}
    for outcome, p in {"answer": 0.3, "machine": 0.1, "busy": 0.1, "noanswer": 0.4, "unreachable": 0.1}.items():
        assert abs(shares[outcome] - p) < 0.015, (outcome, shares[outcome])
    assert all(2.0 <= r <= 8.0 for o, r, _ in draws if o == "busy")
    assert all(5.0 <= r <= 30.0 for o, r, _ in draws if o != "busy")
    talks = [t for o, _, t in draws if o == "answer"]
    assert all(t is not None for t in talks) and abs(sum(talks) / len(talks) - 120.0) < 5.0
    assert all(t is None for o, _, t in draws if o != "answer")


def test_a_seed_repeats_the_same_calls():
    assert [CarrierMix(seed=3).draw() for _ in range(1)] == [CarrierMix(seed=3).draw()]
    a, b = CarrierMix(seed=3), CarrierMix(seed=3)
    assert [a.draw() for _ in range(50)] == [b.draw() for _ in range(50)]


def test_an_endpoint_behaviour_with_a_mix_draws_a_concrete_behaviour_per_call():
    behaviour = EndpointBehaviour("PJSIP/*", mix=CarrierMix(answer=0, machine=1, busy=0, noanswer=0, unreachable=0,
                                                            seed=2))
    drawn = behaviour.drawn()
    assert drawn.outcome == "machine" and drawn.mix is None and 5.0 <= drawn.ring_seconds <= 30.0
    assert EndpointBehaviour("x").drawn().outcome == "answer"


def test_bad_probabilities_are_refused():
    with pytest.raises(ValueError, match="probabilities"):
        CarrierMix(answer=0, machine=0, busy=0, noanswer=0, unreachable=0)
