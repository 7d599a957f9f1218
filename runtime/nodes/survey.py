"""Survey: questions answered by key or voice (CSAT 1-5, NPS 0-10, yes/no), stored one by one.

CSAT and NPS answers are numbers; yes/no answers are "yes"/"no" (true/false when the variable is
declared bool). NPS "10" is `1` then `0` within `Settings.nps_window`; a lone `1` counts as 1
when the window closes. A question with no valid answer after its retries is skipped: its
variable keeps its declared default (null if it has none), so a survey never keeps a caller.
Each answer is logged (`survey_answer`: question, type, value, via dtmf|speech); the driver stores
it in `survey_answers` with the call (runtime/driver/contact.py).
"""

from __future__ import annotations

import re
from typing import Any

from flowlang import ir
from runtime.nodes.asking import Ask, accepting, ask, best_match, failure, interrupt, wait
from runtime.nodes.base import Behaviour, Ctx

RANGES = {"csat": (1, 5), "nps": (0, 10)}
_EN_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten".split())}
_ZH_NUMBERS = {ch: i for i, ch in enumerate("零一二三四五六七八九十")} | {"两": 2}
_NO = ("不", "否", "没", "no", "nope", "not")
_YES = ("是", "对", "好", "满意", "yes", "yeah", "yep", "sure")


def spoken_answer(q: ir.Question, text: str) -> Any:
    """The answer a recognised text gives to `q`, or None."""
    if q.phrases:
        value = best_match(text, [((p,), v) for p, v in q.phrases])
        if value is not None:
            return coerce(q, value)
    said = text.casefold()
    if q.type == "yesno":
        words = set(re.findall(r"[a-z]+", said))
        for options, answer in ((_NO, False), (_YES, True)):
            if any((w in words) if w.isascii() else (w in said) for w in options):
                return answer
        return None
    m = re.search(r"\d+", said)
    if m:
        return coerce(q, int(m.group(0)))
    for w in re.findall(r"[a-z]+", said):
        if w in _EN_NUMBERS:
            return coerce(q, _EN_NUMBERS[w])
    if "十" in said:
        return coerce(q, 10)
    for ch in said:
        if ch in _ZH_NUMBERS:
            return coerce(q, _ZH_NUMBERS[ch])
    return None


def coerce(q: ir.Question, value: Any) -> Any:
    """An answer in the question's type (int in range, or bool), or None."""
    if q.type == "yesno":
        if isinstance(value, bool):
            return value
        text = str(value).casefold()
        return True if text in ("yes", "true", "1", "是") else False if text in ("no", "false", "2", "否") else None
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    lo, hi = RANGES.get(q.type, (0, 10))
    return n if lo <= n <= hi and not isinstance(value, bool) else None


class Survey(Behaviour):
    """Ask each question in turn; store each answer in its variable; then continue."""

    @staticmethod
    def spec(ctx: Ctx, q: ir.Question) -> Ask:
        return Ask(q.prompts, True, ctx.flow.defaults.timeout, q.retries, edges=False)

    def enter(self, ctx: Ctx, node: ir.SurveyNode) -> None:
        ctx.update(typeahead="")
        self._ask(ctx, node, 0)

    def _ask(self, ctx: Ctx, node: ir.SurveyNode, index: int) -> None:
        ctx.stop_playback()
        ctx.cancel_timer()
        if index >= len(node.questions):
            if ctx.edge("next") is not None:
                ctx.follow("next")
            else:
                ctx.end("completed", "survey finished")
            return
        ctx.scratch(index=index, attempts=0, buffer="", phase="")
        ask(ctx, self.spec(ctx, node.questions[index]))

    def _question(self, ctx: Ctx, node: ir.SurveyNode) -> ir.Question:
        return node.questions[ctx.sget("index")]

    def played(self, ctx: Ctx, node: ir.SurveyNode) -> None:
        wait(ctx, ctx.flow.defaults.timeout)

    def timeout(self, ctx: Ctx, node: ir.SurveyNode) -> None:
        q = self._question(ctx, node)
        if q.type == "nps" and ctx.sget("buffer") == "1":
            self._answer(ctx, node, 1)
        else:
            self._fail(ctx, node, "noinput")

    def dtmf(self, ctx: Ctx, node: ir.SurveyNode, digit: str) -> None:
        q = self._question(ctx, node)
        if not accepting(ctx, self.spec(ctx, q)):
            return
        interrupt(ctx)
        if q.type == "nps":
            self._nps_key(ctx, node, digit)
            return
        value = coerce(q, digit) if digit.isdigit() else None
        if q.type == "yesno" and digit not in "12":
            value = None
        self._answer(ctx, node, value) if value is not None else self._fail(ctx, node, "nomatch")

    def _nps_key(self, ctx: Ctx, node: ir.SurveyNode, digit: str) -> None:
        if ctx.sget("buffer") == "1":
            ctx.scratch(buffer="")
            self._answer(ctx, node, 10) if digit == "0" else self._fail(ctx, node, "nomatch")
        elif digit == "1":
            ctx.scratch(buffer="1")
            ctx.start_timer(ctx.res.settings.nps_window)
        elif digit in "023456789":
            self._answer(ctx, node, int(digit))
        else:
            self._fail(ctx, node, "nomatch")

    def speech(self, ctx: Ctx, node: ir.SurveyNode, text: str, confidence: float) -> None:
        q = self._question(ctx, node)
        if not accepting(ctx, self.spec(ctx, q)):
            return
        interrupt(ctx)
        value = spoken_answer(q, text) if confidence >= ctx.res.settings.min_confidence else None
        self._answer(ctx, node, value, "speech") if value is not None else self._fail(ctx, node, "nomatch")

    def _answer(self, ctx: Ctx, node: ir.SurveyNode, value: Any, via: str = "dtmf") -> None:
        """Store the answer; the log (`via`: dtmf or speech) becomes a survey_answers row."""
        q = self._question(ctx, node)
        if q.type == "yesno" and ctx.rt.var_type(q.var) != "bool":
            value = "yes" if value else "no"
        ctx.assign(q.var, value)
        ctx.log("survey_answer", question=q.name, type=q.type, value=value, via=via)
        self._ask(ctx, node, ctx.sget("index") + 1)

    def _fail(self, ctx: Ctx, node: ir.SurveyNode, event: str) -> None:
        ctx.scratch(buffer="")
        failure(ctx, self.spec(ctx, self._question(ctx, node)), event, exhausted=lambda cx: self._skip(cx, node))

    def _skip(self, ctx: Ctx, node: ir.SurveyNode) -> None:
        q = self._question(ctx, node)
        if q.var not in ctx.st.frames[-1].vars:
            ctx.assign(q.var, None)
        ctx.log("survey_skipped", question=q.name)
        self._ask(ctx, node, ctx.sget("index") + 1)
