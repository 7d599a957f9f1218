"""Menu, collect and language: the nodes that ask the caller and wait for keys or speech."""

from __future__ import annotations

from flowlang import ir
from runtime.expr import EvalError
from runtime.nodes.asking import Ask, accepting, ask, best_match, failure, interrupt, wait
from runtime.nodes.base import Behaviour, Ctx, secure_text
from runtime.state import scope_digest

DIGITS = "0123456789"



def ask_or_take_typeahead(ctx: Ctx, behaviour, node) -> None:
    """A key pressed during an earlier barge-in prompt answers at once; otherwise ask."""
    keys = ctx.take_typeahead(1)
    if keys:
        ctx.scratch(phase="wait")
        behaviour._key(ctx, node, keys)
    else:
        ask(ctx, behaviour.spec(node))

class Menu(Behaviour):
    """Prompt; a key or phrase picks a choice; noinput/nomatch re-ask; then `exhausted`."""

    @staticmethod
    def spec(node: ir.MenuNode) -> Ask:
        return Ask(node.prompts, node.bargein, node.timeout, node.retries,
                   {"noinput": node.noinput_prompts, "nomatch": node.nomatch_prompts})

    def enter(self, ctx: Ctx, node: ir.MenuNode) -> None:
        ask_or_take_typeahead(ctx, self, node)

    def played(self, ctx: Ctx, node: ir.MenuNode) -> None:
        wait(ctx, node.timeout)

    def timeout(self, ctx: Ctx, node: ir.MenuNode) -> None:
        failure(ctx, self.spec(node), "noinput")

    def dtmf(self, ctx: Ctx, node: ir.MenuNode, digit: str) -> None:
        if accepting(ctx, self.spec(node)):
            interrupt(ctx)
            self._key(ctx, node, digit)

    def speech(self, ctx: Ctx, node: ir.MenuNode, text: str, confidence: float) -> None:
        spec = self.spec(node)
        if not accepting(ctx, spec):
            return
        interrupt(ctx)
        choice = None
        if confidence >= ctx.res.settings.min_confidence:
            choice = best_match(text, [(ch.phrases, ch) for ch in node.choices])
        self._pick(ctx, node, choice, text)

    def _key(self, ctx: Ctx, node: ir.MenuNode, digit: str) -> None:
        self._pick(ctx, node, next((ch for ch in node.choices if ch.key == digit), None), digit)

    def _pick(self, ctx: Ctx, node: ir.MenuNode, choice: ir.Choice | None, said: str) -> None:
        if choice is None:
            failure(ctx, self.spec(node), "nomatch")
            return
        ctx.set_input(said, False)
        ctx.log("choice", choice=choice.event)
        ctx.follow(choice.event)


class Collect(Behaviour):
    """Read digits (or speech) with length limits, a terminator and a validation expression.

    Secure mode: the value reaches the variable, but every log, repr and describe() masks it."""

    @staticmethod
    def spec(node: ir.CollectNode) -> Ask:
        return Ask(node.prompts, node.bargein, node.timeout, node.retries,
                   {"noinput": node.noinput_prompts, "invalid": node.invalid_prompts})

    def enter(self, ctx: Ctx, node: ir.CollectNode) -> None:
        ctx.scratch(secure=node.secure)
        keys = ctx.take_typeahead()
        if not keys:
            ask(ctx, self.spec(node))
            return
        ctx.scratch(phase="wait")
        for k in keys:
            if ctx.pending is not None or ctx.get("ended") or ctx.sget("phase") != "wait":
                break
            self._key(ctx, node, k)

    def played(self, ctx: Ctx, node: ir.CollectNode) -> None:
        wait(ctx, node.timeout)

    def timeout(self, ctx: Ctx, node: ir.CollectNode) -> None:
        if ctx.sget("buffer"):
            self._finish(ctx, node, ctx.sget("buffer"))
        else:
            failure(ctx, self.spec(node), "noinput")

    def dtmf(self, ctx: Ctx, node: ir.CollectNode, digit: str) -> None:
        if accepting(ctx, self.spec(node)):
            interrupt(ctx)
            self._key(ctx, node, digit)

    def speech(self, ctx: Ctx, node: ir.CollectNode, text: str, confidence: float) -> None:
        spec = self.spec(node)
        if node.mode != "speech" or not accepting(ctx, spec):
            return
        interrupt(ctx)
        value = text.strip() if confidence >= ctx.res.settings.min_confidence else ""
        if value and node.phrases:
            value = best_match(value, [((p,), p) for p in node.phrases]) or ""
        if not value:
            failure(ctx, spec, "invalid")
            return
        self._finish(ctx, node, value, spoken=True)

    def _key(self, ctx: Ctx, node: ir.CollectNode, key: str) -> None:
        if key == node.terminator:
            self._finish(ctx, node, ctx.sget("buffer"))
            return
        if key not in DIGITS:  # other keys are ignored, but they show the caller is there
            ctx.start_timer(node.inter_digit_timeout if ctx.sget("buffer") else node.timeout)
            return
        buf = ctx.sget("buffer") + key
        ctx.scratch(buffer=buf)
        if len(buf) >= node.max_length:
            self._finish(ctx, node, buf)
        else:
            ctx.start_timer(node.inter_digit_timeout)

    def _finish(self, ctx: Ctx, node: ir.CollectNode, value: str, spoken: bool = False) -> None:
        ctx.cancel_timer()
        ctx.scratch(buffer="")
        spec = self.spec(node)
        if not spoken and not node.min_length <= len(value) <= node.max_length:
            ctx.log("invalid_length", length=len(value))
            failure(ctx, spec, "invalid")
            return
        if node.secure and not self._secure_try(ctx, node):
            return
        ctx.set_input(value, node.secure)
        if node.validate is not None:
            ev = ctx.evaluator()
            try:
                ok = ev.truth(node.validate, "validate")
            except EvalError as e:
                ctx.log("validate_error", problem=ctx.eval_problem("validate", e, ev.tainted or node.secure))
                ok = False
            if not ok:
                failure(ctx, spec, "invalid")
                return
        if node.var:
            ctx.assign(node.var, value, node.secure)
        ctx.log("collected", length=len(value), value=secure_text(value, node.secure))
        ctx.follow("next")


    @staticmethod
    def _secure_try(ctx: Ctx, node: ir.CollectNode) -> bool:
        """Count one secure value (a PIN attempt); past the per-call cap the value is refused
        unseen and the node takes `exhausted` (else the call ends with an error)."""
        tries = ctx.st.secure_tries.get(node.id, 0) + 1
        cap = ctx.res.settings.max_secure_attempts
        frame = ctx.st.frames[-1]
        others = [(name, frame.vars[name]) for name in frame.secrets if name != node.var and name in frame.vars]
        scope = scope_digest(others) if others else None  # the account this entry belongs to, if any
        if scope is not None and scope in ctx.st.locked_scopes:
            ctx.log("secure_locked_out")  # too many failed entries for this account, from any caller
            tries = cap + 1
        if tries > cap:
            ctx.log("secure_attempts_exceeded", limit=cap)
            if ctx.edge("exhausted") is not None:
                ctx.follow("exhausted")
            else:
                ctx.fail(f"more than {cap} secure entries in one call")
            return False
        scopes = ctx.st.secure_scopes if scope is None else ctx.st.secure_scopes.set(node.id, scope)
        ctx.update(secure_tries=ctx.st.secure_tries.set(node.id, tries), secure_scopes=scopes)
        return True


def pick_language(languages: tuple[str, ...], value) -> str | None:
    """The flow language `value` names: exactly (any case, `_` or `-`), or as the only one with
    that primary subtag ("en" -> "en-US")."""
    if not isinstance(value, str) or not value.strip():
        return None
    want = value.strip().replace("_", "-").casefold()
    for lang in languages:
        if lang.casefold() == want:
            return lang
    prefixed = [lang for lang in languages if lang.casefold().startswith(want.split("-")[0] + "-")]
    return prefixed[0] if len(prefixed) == 1 else None


class Language(Behaviour):
    """Detect the language from caller data, else offer a menu (its prompts, like the language
    menu of bank_service.flow, carry every language themselves); when the caller does not
    choose, keep the current language and continue (never a dead end)."""

    @staticmethod
    def spec(node: ir.LanguageNode) -> Ask:
        return Ask(node.prompts, True, node.timeout, node.retries, edges=False)

    def enter(self, ctx: Ctx, node: ir.LanguageNode) -> None:
        if node.detect is not None:
            ev = ctx.evaluator()
            try:
                lang = pick_language(ctx.flow.languages, ev.eval(node.detect))
            except EvalError as e:
                ctx.log("language_detect", problem=ctx.eval_problem("detect", e, ev.tainted))
                lang = None
            if lang is not None:
                self._choose(ctx, lang)
                return
        if not node.choices:
            ctx.follow("next")
            return
        ask_or_take_typeahead(ctx, self, node)

    def played(self, ctx: Ctx, node: ir.LanguageNode) -> None:
        wait(ctx, node.timeout)

    def timeout(self, ctx: Ctx, node: ir.LanguageNode) -> None:
        failure(ctx, self.spec(node), "noinput", exhausted=self._keep)

    def dtmf(self, ctx: Ctx, node: ir.LanguageNode, digit: str) -> None:
        if accepting(ctx, self.spec(node)):
            interrupt(ctx)
            self._key(ctx, node, digit)

    def speech(self, ctx: Ctx, node: ir.LanguageNode, text: str, confidence: float) -> None:
        if not accepting(ctx, self.spec(node)):
            return
        interrupt(ctx)
        choice = None
        if confidence >= ctx.res.settings.min_confidence:
            choice = best_match(text, [(ch.phrases, ch) for ch in node.choices])
        self._picked(ctx, node, choice)

    def _key(self, ctx: Ctx, node: ir.LanguageNode, digit: str) -> None:
        self._picked(ctx, node, next((ch for ch in node.choices if ch.key == digit), None))

    def _picked(self, ctx: Ctx, node: ir.LanguageNode, choice: ir.Choice | None) -> None:
        if choice is None or choice.language not in ctx.flow.languages:
            failure(ctx, self.spec(node), "nomatch", exhausted=self._keep)
        else:
            self._choose(ctx, choice.language)

    @staticmethod
    def _choose(ctx: Ctx, lang: str) -> None:
        ctx.set_language(lang)
        ctx.follow("next")

    @staticmethod
    def _keep(ctx: Ctx) -> None:
        ctx.log("language_kept", lang=ctx.st.language)
        ctx.follow("next")
