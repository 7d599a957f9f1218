"""How many calls to place now: one call per free agent (progressive) or more (predictive).

    pacer = Pacer("predictive", max_abandon_rate=0.03)
    n = pacer.calls_to_place(free=3, busy=17, in_flight=5)
    pacer.attempt_ended(human=False)               # every finished attempt: did a person answer?
    pacer.answered(abandoned=False, ring=12.0)     # every person who answered: connected or not
    pacer.handled(seconds=150.0)                   # an agent's time per call (talk + wrap-up)

Predictive pacing: the agents available by the time a new call is answered are the free ones plus
the busy ones expected to finish within a ring time (busy × ring ÷ handling time, scaled by a
feedback gain). With a person answering each call with the measured probability p, the number of
people X who answer n calls in flight is Binomial(n, p); the pacer keeps the largest n for which
the expected overflow E[(X − available)+] ÷ E[X] — the expected share of answered calls that find
no agent — stays under `target` (70 % of the cap). The gain follows the abandon rate over the last
`window` answered calls: above the target it shrinks, below it grows. Two guards keep the campaign
under its cap: during warm-up (the first `warmup` answered calls) and whenever the campaign's
cumulative abandon rate reaches 80 % of the cap, pacing falls back to progressive (in-flight calls
≤ free agents), which abandons nobody.
"""

from __future__ import annotations

from collections import deque
from functools import lru_cache

ANSWER_PRIOR, PRIOR_WEIGHT = 0.3, 20.0  # until measured: 30 % of calls reach a person
SMOOTHING = 0.02  # weight of each answered call in the smoothed abandon rate (~50 calls of memory)
GAIN_STEP = 0.1  # gain change per answered call, per unit of (target − smoothed abandon rate)


class Pacer:
    """The dial-ratio controller; pure (no clock, no I/O): the core feeds it measurements."""

    def __init__(self, mode: str, max_abandon_rate: float = 0.03, *, window: int = 200,
                 warmup: int = 30, gain: float = 0.3, max_gain: float = 1.5) -> None:
        self.mode, self.cap = mode, max_abandon_rate
        self.target = 0.7 * max_abandon_rate
        self.outcomes: deque[int] = deque(maxlen=window * 5)  # 1: a person answered
        self.recent: deque[int] = deque(maxlen=window)  # per answered call, 1: abandoned
        self.warmup, self.gain, self.max_gain = warmup, gain, max_gain
        self.total_answered = self.total_abandoned = 0
        self.smoothed = self.target  # abandon rate, exponentially smoothed over answered calls
        self.ring = 15.0  # mean seconds from dial to a person's answer (EMA)
        self.handle = 180.0  # mean seconds an agent talks per call (EMA)

    # ---- measurements ------------------------------------------------------------------
    def attempt_ended(self, human: bool) -> None:
        """One attempt is over: whether a person answered."""
        self.outcomes.append(1 if human else 0)

    def answered(self, abandoned: bool, ring: float | None = None) -> None:
        """A person answered after `ring` seconds and was connected (or abandoned: no agent)."""
        self.total_answered += 1
        self.total_abandoned += abandoned
        self.recent.append(1 if abandoned else 0)
        if ring is not None:
            self.ring += 0.05 * (ring - self.ring)
        self.smoothed += SMOOTHING * ((1.0 if abandoned else 0.0) - self.smoothed)
        if self.mode == "predictive" and self.total_answered > self.warmup:
            step = GAIN_STEP * (self.target - self.smoothed)
            self.gain = min(self.max_gain, max(0.0, self.gain + step))

    def handled(self, seconds: float) -> None:
        """An agent's talk time on one call (wrap-up excluded: the pool knows when it ends)."""
        self.handle += 0.05 * (max(1.0, seconds) - self.handle)

    # ---- figures ---------------------------------------------------------------------
    @property
    def answer_rate(self) -> float:
        """The share of attempts a person answers (with a prior, so early estimates are sane)."""
        return (sum(self.outcomes) + ANSWER_PRIOR * PRIOR_WEIGHT) / (len(self.outcomes) + PRIOR_WEIGHT)

    @property
    def abandon_rate(self) -> float:
        return self.total_abandoned / self.total_answered if self.total_answered else 0.0

    def guarded(self) -> bool:
        """True while predictive pacing must behave progressively (warm-up, or near the cap)."""
        return self.total_answered < self.warmup or self.abandon_rate >= 0.9 * self.cap

    # ---- the decision ----------------------------------------------------------------
    def calls_to_place(self, free: int, busy: int, in_flight: int, ready_soon: int = 0) -> int:
        """New calls to dial now (never negative); the core caps it by rate and concurrency.

        free: agents free now; busy: agents on a call; in_flight: calls ringing; ready_soon: agents
        in wrap-up who will be free within a ring time (their time is known, so not scaled by gain).
        """
        if self.mode in ("progressive", "preview") or (self.mode == "predictive" and self.guarded()):
            return max(0, free - in_flight)
        if self.mode != "predictive":
            raise ValueError(f"no pacing for mode {self.mode!r}")
        soon = busy * min(1.0, self.ring / max(self.handle, 1.0))
        available = free + ready_soon + soon
        most = max_in_flight(round(available, 1), round(max(self.answer_rate, 0.02), 3), self.target)
        # the gain scales the over-dial beyond one call per free agent (0: progressive)
        want = free + self.gain * max(0.0, most - free)
        return max(0, int(want) - in_flight)


@lru_cache(maxsize=4096)
def max_in_flight(available: float, p: float, target: float, limit: int = 1000) -> int:
    """The most calls in flight for which E[(X − available)+] / E[X] ≤ target, X ~ Binomial(n, p)."""
    if available <= 0:
        return 0
    p = min(max(p, 0.02), 0.99)
    n = max(0, int(available))  # as many calls as agents never overflows
    while n < limit and _overflow_share(n + 1, p, available) <= target:
        n += 1
    return n


def _overflow_share(n: int, p: float, available: float) -> float:
    """E[(X − available)+] / E[X] for X ~ Binomial(n, p)."""
    pmf, q, over = (1 - p) ** n, 1 - p, 0.0
    for k in range(n + 1):
        if k > available:
            over += (k - available) * pmf
        if k < n:
            pmf *= (n - k) / (k + 1) * p / q
    return over / (n * p)

