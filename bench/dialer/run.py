"""Dialer benchmark: predictive against progressive pacing, same contacts and carrier, virtual time.

    python bench/dialer/run.py [--contacts 10000 --agents 40 --shift 3 --seeds 7,8,9]

Both modes run through the runtime's own scheduling core (runtime/campaigns/core.py, the code the
ARI dialer uses) in the discrete-event simulation (runtime/campaigns/simulate.py). The far ends are
the simulator's statistical carrier (runtime.simulator.carrier.CarrierMix): per call, 22 % a person
answers, 10 % an answering machine (detected 3.5 s after answering), 10 % busy, 46 % no answer (the
dialer gives up after 30 s), 12 % unreachable; ring times uniform over 5–30 s. Talk time is
lognormal with mean 100 s (σ 0.6), plus 20 s wrap-up: about two minutes per handled contact.
Retries: busy after 10 min (2×), no answer after 30 min (2×), machine after 2 h (1×), abandoned
after 30 min (1×); at most 5 attempts. Each mode works one agent shift (`--shift` hours) of a list
large enough not to run dry, so the figures measure the pacing, not the list's end.

Reported per mode: agent occupancy (talk + wrap-up ÷ shift), contacts handled (people connected to
an agent) per agent-hour, abandon rate (people who answered and found no agent ÷ people who
answered), and the predictive ÷ progressive ratio. Exit 1 when, for any seed, the ratio is below
--target-ratio (1.5) or the predictive abandon rate is above the cap (3 %); exit 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from runtime.campaigns import CampaignSettings, Contact, RetryRule  # noqa: E402
from runtime.campaigns.simulate import SimParams, simulate  # noqa: E402
from runtime.simulator.carrier import CarrierMix  # noqa: E402

MIX = CarrierMix(answer=0.22, machine=0.10, busy=0.10, noanswer=0.46, unreachable=0.12,
                 ring=(5.0, 30.0), busy_ring=(2.0, 8.0))
RETRIES = {"busy": RetryRule(600, 2), "no_answer": RetryRule(1800, 2), "machine": RetryRule(7200, 1),
           "abandoned": RetryRule(1800, 1)}
ZONES = ("Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong")


def contacts(n: int) -> list[Contact]:
    """n contacts, a third with a second number, spread over three time zones."""
    return [Contact(f"c{i:05d}", "", (f"+86138{i:08d}",) + ((f"+86139{i:08d}",) if i % 3 == 0 else ()),
                    ZONES[i % 3]) for i in range(n)]


def run_mode(mode: str, people: list[Contact], args: argparse.Namespace, seed: int) -> dict:
    settings = CampaignSettings("bench", mode=mode, max_abandon_rate=args.cap, retries=RETRIES, max_attempts=5,
                                windows=(("08:00", "21:00"),), ring_timeout=30.0)
    params = SimParams(agents=args.agents, talk_mean=args.talk, wrap_up=args.wrap, seed=seed, mix=MIX,
                       shift_hours=args.shift, start=args.start)
    started = time.perf_counter()
    figures = simulate(settings, people, params).figures()
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=40)
    parser.add_argument("--shift", type=float, default=3.0, help="hours of one agent shift")
    parser.add_argument("--talk", type=float, default=100.0, help="mean talk seconds (lognormal)")
    parser.add_argument("--wrap", type=float, default=20.0, help="wrap-up seconds after each call")
    parser.add_argument("--cap", type=float, default=0.03, help="abandon cap (fraction)")
    parser.add_argument("--seeds", default="7,8,9")
    parser.add_argument("--target-ratio", type=float, default=1.5)
    parser.add_argument("--start", type=float, default=1_795_572_000.0, help="epoch start (09:00 Shanghai)")
    try:
        args = parser.parse_args(argv)
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except (SystemExit, ValueError):
        return 2
    if args.contacts < 1 or args.agents < 1 or args.shift <= 0 or not seeds:
        print("bench/dialer: --contacts, --agents, --shift and --seeds must be positive", file=sys.stderr)
        return 2
    people = contacts(args.contacts)
    print(f"{args.contacts} contacts, {args.agents} agents, {args.shift:g} h shift, talk {args.talk:g} s + "
          f"wrap {args.wrap:g} s, abandon cap {100 * args.cap:g} %\n")
    print("| seed | mode | dialed | handled | abandoned | abandon rate | occupancy | handled / agent-hour | run s |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    ok, ratios = True, []
    for seed in seeds:
        rows = {mode: run_mode(mode, people, args, seed) for mode in ("progressive", "predictive")}
        for mode, f in rows.items():
            print(f"| {seed} | {mode} | {f['dialed']} | {f['handled']} | {f['abandoned']} | "
                  f"{100 * f['abandon_rate']:.2f}% | {100 * f['occupancy']:.1f}% | "
                  f"{f['handled_per_agent_hour']:.2f} | {f['seconds']} |")
        ratio = rows["predictive"]["handled_per_agent_hour"] / rows["progressive"]["handled_per_agent_hour"]
        ratios.append(ratio)
        ok &= ratio >= args.target_ratio and rows["predictive"]["abandon_rate"] <= args.cap
    print()
    print("predictive ÷ progressive, contacts handled per agent-hour: "
          + ", ".join(f"seed {s}: {r:.2f}×" for s, r in zip(seeds, ratios))
          + f" (target ≥ {args.target_ratio:g}×, abandon ≤ {100 * args.cap:g} %): " + ("met" if ok else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
