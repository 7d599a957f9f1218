"""A short M/M/c run of bench/acd's simulation (the runtime's ACD core on virtual time) against
Erlang C, with a loose tolerance; the benchmark runs the long version (docs/performance.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.acd.run import verdict
from bench.acd.sim import AgentSpec, Scenario, mmc_agents, simulate
from runtime.acd.erlang import average_wait, erlang_c, service_level

ROOT = Path(__file__).resolve().parents[3]


def test_a_short_mmc_run_agrees_with_erlang_c():
    agents, erlangs, handle = 4, 3.0, 60.0
    r = simulate(Scenario(mmc_agents(agents), rate=erlangs / handle, handle=handle, calls=12_000, warmup=500, seed=5))
    assert len(r.waits) == 11_500
    assert r.p_wait == pytest.approx(erlang_c(agents, erlangs), abs=0.05)
    assert r.service_level(10) == pytest.approx(service_level(agents, erlangs, handle, 10), abs=0.05)
    assert r.asa == pytest.approx(average_wait(agents, erlangs, handle), rel=0.25)
    assert sum(r.busy.values()) / r.span == pytest.approx(erlangs, rel=0.1)  # carried load


def test_the_same_seed_gives_the_same_run():
    sc = Scenario(mmc_agents(3), rate=2 / 60, handle=60, calls=3_000, warmup=100, seed=9)
    assert simulate(sc).waits == simulate(sc).waits


def test_vip_callers_wait_less_and_skill_level_favours_experts():
    agents = (AgentSpec("x", (("b", 5),)), AgentSpec("y", (("b", 1),)), AgentSpec("z", (("b", 1),)))
    base = dict(rate=2.4 / 60, handle=60, calls=6_000, warmup=200, seed=3, skills=(("b", 1),), vip_share=0.2)
    skill = simulate(Scenario(agents, strategy="skill_level", **base))
    rr = simulate(Scenario(agents, strategy="round_robin", **base))
    vip = [w for w, v in zip(skill.waits, skill.vip) if v]
    rest = [w for w, v in zip(skill.waits, skill.vip) if not v]
    assert sum(vip) / len(vip) < sum(rest) / len(rest) / 2
    assert skill.served_by.count("x") > rr.served_by.count("x")


def test_the_verdict_uses_the_tolerances_and_the_confidence_interval():
    row = {"sl": 0.70, "sl_th": 0.68, "asa": 40.0, "asa_th": 39.0, "asa_hw": 1.0}
    assert verdict(row, 3.0, 0.05) == (True, "±5%")
    assert verdict({**row, "sl": 0.64}, 3.0, 0.05)[0] is False  # 4 points off
    assert verdict({**row, "asa": 42.0}, 3.0, 0.05)[0] is False  # 7.7 % off, CI ±2.6 %
    wide = {**row, "asa": 44.0, "asa_hw": 6.0}  # too imprecise for ±5 %: judged by the CI
    assert verdict(wide, 3.0, 0.05) == (True, "in CI")
    assert verdict({**wide, "asa": 46.0}, 3.0, 0.05)[0] is False


def test_the_benchmark_command_rejects_bad_loads_with_exit_2():
    out = subprocess.run([sys.executable, str(ROOT / "bench/acd/run.py"), "erlang", "--loads", "0.5,1.2"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "between 0 and 1" in out.stderr
