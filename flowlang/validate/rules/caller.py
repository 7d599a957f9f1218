"""FL3xx: caller experience (menus, retries, languages, the way to a human, time to an agent)."""

from __future__ import annotations

from collections import deque
from typing import Iterator

import networkx as nx

from flowlang import ir
from flowlang.analysis.graph import FlowGraph
from flowlang.diagnostics import Diagnostic, Severity
from flowlang.source import Span
from flowlang.validate.config import Config
from flowlang.validate.registry import rule
from flowlang.validate.rules._util import (CJK, Key, agent_times, by_position, prompt_seconds, is_human, is_inline,
                                           is_interactive, listing, names, node_prompts, prompt_languages,
                                           view)

CHOICE_NODES = (ir.MenuNode, ir.LanguageNode)


def _choice_spans(flow: ir.Flow, n: ir.Node) -> list[Span]:
    """The source span of each of a menu's choices (a language node's choices have only the node's)."""
    edges: dict[str, list[ir.Edge]] = {}
    for e in flow.out_edges(n.id):
        edges.setdefault(e.event, []).append(e)
    seen: dict[str, int] = {}
    out = []
    for c in n.choices:
        i = seen[c.event] = seen.get(c.event, -1) + 1
        same = edges.get(c.event, [])
        out.append(same[i].origin if i < len(same) else n.origin)
    return out


def _choice_target(flow: ir.Flow, n: ir.Node, c: ir.Choice) -> str | None:
    if isinstance(n, ir.LanguageNode):
        return c.language
    return next((e.target for e in flow.out_edges(n.id) if e.event == c.event), None)


# ---------------------------------------------------------------- FL301
@rule("FL301", "caller.menu_without_reprompt", Severity.WARNING,
      hint="add `noinput say sorry_no_input` and `nomatch say sorry_invalid` (or `noinput ->`/`nomatch ->`)")
def menu_without_reprompt(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A menu that says nothing (and goes nowhere special) when the caller is silent or presses a wrong key.

    Menus with `retries 0` are not checked: they do not reprompt (see FL310).

    Anti-pattern: after silence or a wrong key the caller hears the same long prompt again, with no
    hint of what went wrong.
    Best practice: `noinput say sorry_no_input` and `nomatch say sorry_invalid`: a short apology
    before the menu repeats.
    """
    for n in flow.nodes:
        if not isinstance(n, ir.MenuNode) or n.retries == 0:
            continue
        events = {e.event for e in flow.out_edges(n.id)}
        missing = [ev for ev, said in (("noinput", n.noinput_prompts), ("nomatch", n.nomatch_prompts))
                   if not said and ev not in events]
        if missing:
            what = " or ".join(f"`{m}`" for m in missing)
            yield menu_without_reprompt.rule.diag(
                f"menu `{n.id}` has no {what} handling: the caller hears the same prompt again with no "
                "word of what went wrong", n.origin)


# ---------------------------------------------------------------- FL302
@rule("FL302", "caller.too_many_options", Severity.WARNING,
      hint="split the menu in two (e.g. accounts / cards), keeping the most used options first")
def too_many_options(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A menu (or language menu) offering more options than `max_menu_options` (default 9).

    Distinct keys count once each; a speech-only choice counts as one option.

    Anti-pattern: "for A press 1, … for K press 9, for L press 0": callers forget the first options
    before the prompt ends and press 0.
    Best practice: at most 4-5 options per menu, grouped into submenus.
    """
    for n in flow.nodes:
        if not isinstance(n, CHOICE_NODES):
            continue
        keys = list(dict.fromkeys(c.key for c in n.choices if c.key))
        count = len(keys) + sum(1 for c in n.choices if not c.key)
        if count > config.max_menu_options:
            extra = _choice_spans(flow, n)[config.max_menu_options] if len(n.choices) > config.max_menu_options \
                else n.origin
            yield too_many_options.rule.diag(
                f"{n.kind} `{n.id}` offers {count} options (limit {config.max_menu_options}): callers forget the "
                "first ones before the prompt ends", n.origin, related=(("the first option over the limit", extra),))


# ---------------------------------------------------------------- FL303
def menu_depths(flow: ir.Flow) -> tuple[list[int], list[int]]:
    """For each node of the view (by number): menus on the path with the fewest menus from a root,
    and the predecessor on that path (-1 for a root, and depth -1 for none) — a 0-1 breadth-first search."""
    fv = view(flow)
    keys, succ = fv.keys, fv.isucc
    cost = [int(isinstance(fv.node(k), ir.MenuNode)) for k in keys]
    depth, parent = [-1] * len(keys), [-1] * len(keys)
    todo = deque(fv.num[r] for r in fv.roots)
    for r in todo:
        depth[r] = cost[r]
    while todo:
        u = todo.popleft()
        du = depth[u]
        for v in succ[u]:
            d = du + cost[v]
            if depth[v] < 0 or d < depth[v]:
                depth[v], parent[v] = d, u
                (todo.append if cost[v] else todo.appendleft)(v)
    return depth, parent


@rule("FL303", "caller.menu_too_deep", Severity.WARNING,
      hint="flatten the tree: offer frequent tasks in the main menu, or let callers say what they need")
def menu_too_deep(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A menu that takes more than `max_menu_depth` menus in a row to reach (default 4).

    Depth is the number of menus on the path from the entry with the fewest menus. Only the first
    menu past the limit on each such path is reported (the deeper ones are behind it).

    Anti-pattern: main menu → accounts → cards → credit cards → statements → …: callers give up
    or press 0 at every level.
    Best practice: three or four levels at most; shortcuts by speech for frequent tasks.
    """
    depth, parent = menu_depths(flow)
    fv = view(flow)
    keys = fv.keys
    done: set[str] = set()
    limit = config.max_menu_depth
    for i, d in enumerate(depth):
        k = keys[i]
        if d != limit + 1 or k[1] in done or not isinstance(fv.node(k), ir.MenuNode):
            continue
        done.add(k[1])
        chain, cur = [], i
        while cur >= 0:
            if isinstance(fv.node(keys[cur]), ir.MenuNode):
                chain.append(keys[cur][1])
            cur = parent[cur]
        yield menu_too_deep.rule.diag(f"menu `{k[1]}` is {d} menus deep (limit {limit}): {names(reversed(chain))}",
                                      fv.node(k).origin)


# ---------------------------------------------------------------- FL304
@rule("FL304", "caller.no_path_to_human", Severity.WARNING,
      hint="offer `key 0 -> agent_queue` in each menu, and send `exhausted ->` to an agent")
def no_path_to_human(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """Callers can get stuck in automation: from some menu or input, no path leads to a human.

    Reported once per flow, at the entry node, naming up to three menus/collects (reached before
    any agent) from which no queue or human transfer can be reached. A flow whose campaigns all run
    in `agentless` mode and that has no human at all is not reported. For other flows that have no
    agents on purpose (post-call surveys, notifications), turn the rule off in flowlang.toml
    (`[rules] FL304 = "off"`) or put `# flowc: ignore FL304 -- survey only` above the entry node.

    Anti-pattern: a menu tree where "0" works only in the main menu, and the submenus end in a
    goodbye when the caller fails.
    Best practice: every menu offers a way to an agent (and failing the menu leads there too).
    """
    fv = view(flow)
    if not fv.roots:
        return
    entry = flow.node(fv.roots[0][1])
    humans = fv.humans
    if not humans:
        if flow.campaigns and all(c.mode == "agentless" for c in flow.campaigns) \
                and not any(is_human(n) for n in flow.nodes):
            return
        yield no_path_to_human.rule.diag("callers can never reach a human: no queue or human transfer is "
                                         "reachable in this flow", entry.origin)
        return
    can = fv.reach_mask(humans)
    before = _before_agent(fv)
    nodes = fv.nodes
    stuck = by_position({nodes[i] for i, b in enumerate(before) if b and not can[i] and is_interactive(nodes[i])})
    if not can[fv.num[fv.roots[0]]]:
        yield no_path_to_human.rule.diag(f"from the entry `{entry.id}`, no path leads to a queue or a human "
                                         "transfer", entry.origin)
    elif stuck:
        yield no_path_to_human.rule.diag(
            f"callers at {listing(n.id for n in stuck)} have no way left to reach a human: no path from there "
            "leads to a queue or a human transfer", entry.origin,
            related=tuple(("no way to a human from here", n.origin) for n in stuck[:3]))


def _before_agent(fv) -> list[bool]:
    """By node number: reachable without having talked to an agent (a queue's `after ->` is not followed)."""
    keys, num, succ, nodes = fv.keys, fv.num, fv.isucc, fv.nodes
    seen = [False] * len(keys)
    todo = [num[r] for r in fv.roots]
    for r in todo:
        seen[r] = True
    while todo:
        u = todo.pop()
        if is_human(nodes[u]):
            nxt = [num[v] for v, event, _ in fv.out[keys[u]] if event in ("overflow", "callback", "failed")]
        else:
            nxt = succ[u]
        for v in nxt:
            if not seen[v]:
                seen[v] = True
                todo.append(v)
    return seen


# ---------------------------------------------------------------- FL305
@rule("FL305", "caller.prompt_missing_language", Severity.WARNING,
      hint="give the prompt a text (or audio) in every language of the flow")
def prompt_missing_language(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A prompt played by a reachable node has no text or audio in one of the flow's languages.

    Audio declared without a language (`audio "file.wav"`) covers every language. Inline text
    (`say "..."`) exists only in the flow's default language, so in a flow with several languages
    it is reported too.

    Anti-pattern: `prompt closed { zh-CN "现在是非工作时间。" }` in a zh-CN, en-US flow: English
    callers hear Chinese (or nothing).
    Best practice: every prompt has a text or recording per declared language.
    """
    users: dict[str, ir.Node] = {}
    for n in by_position(flow.node(i) for i in view(flow).reachable_ids):
        for pid in node_prompts(n):
            users.setdefault(pid, n)
    for pid, n in users.items():
        p = flow.prompt(pid)
        have = prompt_languages(p)
        missing = [lang for lang in flow.languages if lang not in have]
        if "*" in have or not missing:
            continue
        if is_inline(pid):
            text = p.texts[0].text if p.texts else ""
            short = text if len(text) <= 30 else text[:29] + "…"
            yield prompt_missing_language.rule.diag(
                f'inline text "{short}" exists only in {flow.languages[0]}: {", ".join(missing)} callers hear it '
                "as it is", p.origin,
                hint=f'declare a prompt with a text per language (`prompt NAME {{ {flow.languages[0]} "…" }}`) '
                     "and `say NAME`")
        else:
            yield prompt_missing_language.rule.diag(
                f"prompt `{pid}` has no {', '.join(missing)} text or audio, and `{n.id}` plays it", p.origin,
                related=(("played here", n.origin),))


# ---------------------------------------------------------------- FL306, FL307
@rule("FL306", "caller.duplicate_key", Severity.ERROR,
      hint="give each choice its own key")
def duplicate_key(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """Two choices of one menu (or language menu) use the same DTMF key.

    Anti-pattern: `key 1 -> balance` and `key 1 -> transactions`: the second can never be chosen,
    and the prompt promises something the menu does not do.
    Best practice: one key per choice, announced in the prompt in key order.
    """
    for n in flow.nodes:
        if not isinstance(n, CHOICE_NODES):
            continue
        first: dict[str, Span] = {}
        for c, span in zip(n.choices, _choice_spans(flow, n)):
            if c.key is None:
                continue
            if c.key in first:
                yield duplicate_key.rule.diag(f"key {c.key} is used twice in {n.kind} `{n.id}`: this choice can "
                                              "never be picked", span, related=(("first used here", first[c.key]),))
            else:
                first[c.key] = span


def _norm(phrase: str) -> str:
    return " ".join(phrase.lower().split())


def _part_of(a: str, b: str) -> bool:
    """True when phrase `a` occurs inside phrase `b` (as characters in CJK text, else as whole words)."""
    if CJK.search(a) or CJK.search(b):
        return a in b
    return f" {a} " in f" {b} "


@rule("FL307", "caller.overlapping_phrase", Severity.WARNING,
      hint="make each spoken phrase distinct, e.g. `lost card` and `card services`, not `lost card` and `card`")
def overlapping_phrase(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """Two choices of one menu share a spoken phrase, or one's phrase is part of the other's.

    Phrases are compared case-insensitively with spaces normalised; "part of" means whole words in
    alphabetic text and characters in Chinese/Japanese/Korean text. Choices that go to the same
    target are not compared.

    Anti-pattern: `speech "card" -> cards_menu` and `speech "lost card" -> lost_card`: a caller who
    says "lost card" may be matched to either, depending on the recogniser.
    Best practice: phrases that differ in a whole word, and no phrase inside another.
    """
    for n in flow.nodes:
        if not isinstance(n, CHOICE_NODES):
            continue
        items = [(_norm(ph), c, span) for c, span in zip(n.choices, _choice_spans(flow, n)) for ph in c.phrases]
        for j, (b, cb, span) in enumerate(items):
            for a, ca, first in items[:j]:
                if ca is cb or _choice_target(flow, n, ca) == _choice_target(flow, n, cb):
                    continue
                if a == b:
                    msg = f'"{b}" is a phrase of two choices of `{n.id}`'
                elif _part_of(a, b) or _part_of(b, a):
                    short, long_ = (a, b) if len(a) < len(b) else (b, a)
                    msg = f'"{short}" is part of "{long_}" in `{n.id}`: a caller who says "{long_}" may get either choice'
                else:
                    continue
                yield overlapping_phrase.rule.diag(msg, span, related=(("the other choice", first),))
                break


# ---------------------------------------------------------------- FL308
@rule("FL308", "caller.slow_to_agent", Severity.WARNING,
      hint="shorten the prompts on the way, ask for less before the agent, or offer `key 0` to an agent "
           "earlier")
def slow_to_agent(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """The worst-case time for a caller to reach a queue or human transfer is above `max_time_to_agent`.

    Along every simple path from the entry to each queue / human transfer, the estimate adds the
    prompts played, one attempt (prompt plus the whole timeout, plus 0.5 s a digit) at each menu or
    collect left by a choice, every retry at each one left by `exhausted ->`, fetch and lookup
    timeouts, and the human node's own prompts. Prompt durations are estimated from the text
    (zh-CN ~4.5 characters/s, en-US ~2.7 words/s) until measured durations are supplied
    (`_util.prompt_seconds`). Each menu counts once per path; loops are searched for their longest
    simple path. `flowc render` shows the same figures (`_util.worst_time_to_agent`).

    Anti-pattern: a 40-second welcome, a language menu, a main menu and a submenu with long
    prompts, then account number and PIN entry, before "0" is offered: over three minutes in the IVR.
    Best practice: keep prompts short, put the agent option early, and ask only what the agent needs.
    """
    limit = config.max_time_to_agent
    measured = config.prompt_durations
    seconds = (lambda p, lang: prompt_seconds(p, lang, measured)) if measured else prompt_seconds
    for nid, t in sorted(agent_times(flow, seconds).items()):
        if t.seconds <= limit:
            continue
        bound = "" if t.exact else " (a large loop was bounded, not searched)"
        yield slow_to_agent.rule.diag(
            f"callers can take about {t.seconds:.0f} s ({t.lang}) to reach `{nid}`, over the limit of {limit:g} s"
            f"{bound}: {names(t.path)}", flow.node(nid).origin)


# ---------------------------------------------------------------- FL309 - FL311
@rule("FL309", "caller.too_many_retries", Severity.WARNING,
      hint="use 2-3 retries, then send the caller to an agent with `exhausted ->`")
def too_many_retries(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A menu, collect or language menu retries more often than `max_retries` (default 5).

    Anti-pattern: `retries 10`: a caller who cannot answer hears the same prompt over and over.
    Best practice: two or three retries, then help (an agent) or a polite goodbye.
    """
    for n in flow.nodes:
        if isinstance(n, (ir.MenuNode, ir.CollectNode, ir.LanguageNode)) and n.retries > config.max_retries:
            yield too_many_retries.rule.diag(f"{n.kind} `{n.id}` retries {n.retries} times (limit "
                                             f"{config.max_retries}): callers get stuck listening", n.origin)


@rule("FL310", "caller.no_retry", Severity.WARNING,
      hint="allow `retries 2`, or send `exhausted ->` to an agent or back to a menu")
def no_retry(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A menu or collect with `retries 0` whose one failure ends the call.

    Reported when there is no `noinput ->`/`nomatch ->` (`invalid ->`) arrow and everything after
    `exhausted ->` ends the call without another menu, input or human. (A missing `exhausted ->` is
    FL205.)

    Anti-pattern: `retries 0` and `exhausted -> goodbye`: a caller who misses a key once is hung up on.
    Best practice: a retry or two, and an agent as the fallback.
    """
    for n in flow.nodes:
        if not isinstance(n, (ir.MenuNode, ir.CollectNode)) or n.retries != 0:
            continue
        edges = flow.out_edges(n.id)
        if {e.event for e in edges} & {"noinput", "nomatch", "invalid"}:
            continue
        for e in edges:
            if e.event != "exhausted":
                continue
            after = nx.descendants(graph.g, e.target) | {e.target}
            if not any(is_interactive(flow.node(k)) or is_human(flow.node(k)) for k in after):
                yield no_retry.rule.diag(f"{n.kind} `{n.id}` has `retries 0` and its `exhausted ->` ends the call: "
                                         "one missed or mistyped key drops the caller", e.origin)


@rule("FL311", "caller.single_choice_menu", Severity.INFO,
      hint="use a `play` node with `-> next_node`, or add the choices the caller needs")
def single_choice_menu(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A menu with a single key choice and no spoken phrase, where silence is not an option.

    Not reported when staying silent is the other choice: `retries 0` with an `exhausted ->` to
    somewhere else ("press 1 for your balance, or stay on the line for an agent").

    Anti-pattern: "press 1 to continue": the caller waits, presses, or times out, for no decision.
    Best practice: just continue (`play` then `->`), or offer a real choice (e.g. 1 to continue,
    0 for an agent).
    """
    for n in flow.nodes:
        if not isinstance(n, ir.MenuNode) or len(n.choices) != 1 or n.choices[0].phrases:
            continue
        targets = {e.event: e.target for e in flow.out_edges(n.id)}
        chosen, silent = targets.get(n.choices[0].event), targets.get("exhausted")
        if n.retries > 0 or silent is None or silent == chosen:
            yield single_choice_menu.rule.diag(f"menu `{n.id}` has a single choice: the caller must press a key "
                                               "to go on, with nothing to decide", n.origin)
