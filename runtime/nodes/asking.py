"""Prompt, wait, re-ask: the input cycle shared by menu, collect, language and survey.

Phases: "prompt" (the question is playing; keys count only with barge-in), "wait" (a timer runs
for the answer). A failure (noinput, nomatch, invalid) takes the node's edge for that event if
it has one; else the event's prompts and the question play again, until `retries` re-asks are
used up, and then `exhausted` (an edge, or the node's own fallback) — never an endless wait.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from runtime.nodes.base import Ctx


@dataclass(frozen=True)
class Ask:
    """How one node asks: its prompts, barge-in, timeout, retries and per-event lead prompts."""

    prompts: tuple[str, ...]
    bargein: bool
    timeout: float
    retries: int
    leads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    edges: bool = True  # honour noinput/nomatch/invalid/exhausted edges


def ask(ctx: Ctx, spec: Ask, lead: tuple[str, ...] = ()) -> None:
    """Play (lead +) the question; with nothing to play, start waiting at once."""
    if ctx.play(lead + spec.prompts, spec.bargein):
        ctx.scratch(phase="prompt")
    else:
        wait(ctx, spec.timeout)


def wait(ctx: Ctx, seconds: float) -> None:
    ctx.scratch(phase="wait")
    ctx.start_timer(seconds)


def accepting(ctx: Ctx, spec: Ask) -> bool:
    """Whether a key or phrase counts now: while waiting, or during the question with barge-in."""
    return ctx.sget("phase") == "wait" or (ctx.sget("phase") == "prompt" and spec.bargein)


def interrupt(ctx: Ctx) -> None:
    """The caller answered: stop the question and the answer timer."""
    ctx.stop_playback()
    ctx.cancel_timer()
    ctx.scratch(phase="wait")


def failure(ctx: Ctx, spec: Ask, event: str, exhausted: Callable[[Ctx], None] | None = None) -> None:
    """Count a failed attempt: its edge, else re-ask with its prompts, else exhausted."""
    if spec.edges and ctx.edge(event) is not None:
        ctx.log(event)
        ctx.follow(event)
        return
    attempts = ctx.sget("attempts") + 1
    ctx.log(event, attempt=attempts)
    if attempts > spec.retries:
        if exhausted is not None:
            exhausted(ctx)
        elif spec.edges and ctx.edge("exhausted") is not None:
            ctx.follow("exhausted")
        else:
            ctx.fail(f"no valid input after {attempts} attempts and no `exhausted` exit")
        return
    interrupt(ctx)
    ctx.scratch(attempts=attempts, buffer="")
    ask(ctx, spec, spec.leads.get(event, ()))


def phrase_score(text: str, phrases: tuple[str, ...]) -> int:
    """2: the text is a phrase (ignoring case and spaces); 1: it contains one (as a substring for
    CJK phrases, as whole words otherwise); 0: no match."""
    said = " ".join(text.casefold().split())
    best = 0
    for p in phrases:
        want = " ".join(p.casefold().split())
        if not want:
            continue
        if said == want:
            return 2
        cjk = any(ord(ch) > 0x2E80 for ch in want)
        if (want in said) if cjk else (f" {want} " in f" {said} "):
            best = 1
    return best


def best_match(text: str, options: list[tuple[tuple[str, ...], object]]) -> object | None:
    """The option whose phrases match `text` best (exact before contained; first on ties)."""
    found, score = None, 0
    for phrases, value in options:
        s = phrase_score(text, phrases)
        if s > score:
            found, score = value, s
    return found
