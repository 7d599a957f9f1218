"""Recognition grammars: the phrase list of each node that listens for speech.

A menu's grammar is every phrase of its choices; a language menu's likewise; a collect in speech
mode uses its `phrases` (none: free recognition); a survey uses its questions' phrases. The same
function serves `flowc prompts build` (written to the manifest) and the runtime (the recogniser is
constrained to exactly this list).
"""

from __future__ import annotations

import re
import unicodedata

from flowlang import ir

_PUNCT = re.compile(r"[^\w\s']+", re.UNICODE)


def normalize(phrase: str) -> str:
    """A phrase as recognisers write words: lower case, no punctuation, single spaces, NFC."""
    text = unicodedata.normalize("NFC", phrase).casefold()
    return " ".join(_PUNCT.sub(" ", text).split())


def node_phrases(node: ir.Node) -> tuple[str, ...] | None:
    """The node's phrases (normalized, unique, in order); () = free speech; None = not listening."""
    if isinstance(node, (ir.MenuNode, ir.LanguageNode)):
        raw = [p for ch in node.choices for p in ch.phrases]
        if not raw:
            return None
    elif isinstance(node, ir.CollectNode):
        if node.mode != "speech":
            return None
        raw = list(node.phrases)
    elif isinstance(node, ir.SurveyNode):
        raw = [p for q in node.questions for p, _ in q.phrases]
        if not raw:
            return None
    else:
        return None
    return tuple(dict.fromkeys(n for n in map(normalize, raw) if n))


def flow_grammars(flow: ir.Flow) -> dict[str, list[str]]:
    """node id -> grammar, for every node of the flow that listens for speech."""
    out: dict[str, list[str]] = {}
    for node in flow.nodes:
        phrases = node_phrases(node)
        if phrases is not None:
            out[node.id] = list(phrases)
    return out
