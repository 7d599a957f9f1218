"""Erlang C against closed forms, textbook values and the direct summation formula."""

from __future__ import annotations

import math

import pytest

from runtime.acd.erlang import average_wait, erlang_b, erlang_c, service_level


def summation_c(c: int, a: float) -> float:
    """P(wait) by the textbook sum: (A^c/c! · c/(c−A)) / (Σ_{k<c} A^k/k! + A^c/c! · c/(c−A))."""
    top = a ** c / math.factorial(c) * c / (c - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)


def test_one_agent_waits_with_probability_rho_and_its_asa_is_the_mm1_one():
    rho, h = 0.75, 120.0
    assert erlang_c(1, rho) == pytest.approx(rho)
    assert average_wait(1, rho, h) == pytest.approx(rho * h / (1 - rho))  # ρ/(μ−λ)
    assert service_level(1, rho, h, 30) == pytest.approx(1 - rho * math.exp(-(1 - rho) * 30 / h))


def test_two_agents_closed_form():
    for rho in (0.2, 0.5, 0.9):
        assert erlang_c(2, 2 * rho) == pytest.approx(2 * rho ** 2 / (1 + rho))


@pytest.mark.parametrize(("c", "a", "expected"), [
    (10, 8.0, 0.4092),   # the classic 10 agents / 8 erlangs example: 40.9 % wait
    (2, 1.0, 1 / 3),
])
def test_textbook_values(c, a, expected):
    assert erlang_c(c, a) == pytest.approx(expected, abs=5e-5)


def test_erlang_b_textbook_value():
    assert erlang_b(10, 5.0) == pytest.approx(0.01838, abs=5e-5)  # 10 trunks, 5 erlangs


@pytest.mark.parametrize(("c", "a"), [(3, 2.5), (10, 8.5), (25, 20.0), (50, 45.0)])
def test_the_recursion_matches_the_summation_formula(c, a):
    assert erlang_c(c, a) == pytest.approx(summation_c(c, a), rel=1e-9)


def test_service_level_call_centre_example():
    # 10 agents, 8 erlangs, 180 s calls, 20 s target: 1 − 0.4092·e^(−2·20/180) = 67.2 %
    assert service_level(10, 8.0, 180, 20) == pytest.approx(0.6724, abs=5e-4)
    assert average_wait(10, 8.0, 180) == pytest.approx(0.4092 * 180 / 2, rel=1e-3)


def test_an_overloaded_queue_has_no_steady_state():
    with pytest.raises(ValueError, match="needs more than 10 agents"):
        erlang_c(10, 10.0)
    assert erlang_c(5, 0.0) == 0.0
