"""The abandon message: what a person hears when they answer and no agent is free.

    problem = check_abandon_prompt(flow, "abandon_message")   # None, or a clear message
    uris = abandon_media(flow, "abandon_message", "zh-CN")    # ["sound:flowlang/renewal_campaign/abandon_message.zh-CN.1"]
    uris = abandon_media(flow, "sound:custom/sorry", "en-US") # ["sound:custom/sorry"]

Regulators (UK Ofcom, US FTC Telemarketing Sales Rule) require a short recorded message within 2 s
of answer on an abandoned call: who called and a number to call back. The campaign setting
`abandon_prompt` names a prompt the flow declares (rendered like any prompt by `flowc prompts
build`: its text per language, or its recorded `audio`) or a media URI `sound:NAME`. When unset,
a prompt named `abandon_message` in the flow is used. The message is static: no variables (it
plays before the flow runs, so nothing would fill them).
"""

from __future__ import annotations

from flowlang import ir
from runtime.commands import PromptItem, Segment
from runtime.media import media_uris
from runtime.prompts import pick_audio, pick_text

DEFAULT_PROMPT = "abandon_message"


def abandon_prompt_name(flow: ir.Flow, configured: str | None) -> str | None:
    """The configured prompt (or URI), else the flow's `abandon_message` prompt, else None."""
    if configured:
        return configured
    return DEFAULT_PROMPT if any(p.id == DEFAULT_PROMPT for p in flow.prompts) else None


def check_abandon_prompt(flow: ir.Flow, spec: str | None) -> str | None:
    """A message saying why `spec` cannot be the abandon message, or None when it can."""
    if not spec or spec.startswith("sound:"):
        return None if not spec or len(spec) > len("sound:") else "abandon message 'sound:' names no file"
    try:
        prompt = flow.prompt(spec)
    except KeyError:
        known = ", ".join(sorted(p.id for p in flow.prompts)) or "none"
        return (f"abandon message {spec!r} is not a prompt of flow {flow.name!r} (prompts: {known}); "
                "declare it in the flow, or give a media URI such as sound:custom/abandon")
    if any("var" in part for text in prompt.texts for part in text.parts):
        return (f"abandon message {spec!r} uses variables; it plays before the flow runs, so it must "
                "be plain text (who is calling, a number to call back) or recorded audio")
    if not prompt.texts and not prompt.audio:
        return f"abandon message {spec!r} has no text and no audio"
    return None


def abandon_media(flow: ir.Flow, spec: str | None, lang: str | None) -> list[str]:
    """The media URIs to play (empty: no message); `lang` the contact's language, else the flow's."""
    if not spec:
        return []
    if spec.startswith("sound:"):
        return [spec]
    prompt = flow.prompt(spec)
    default = flow.languages[0] if flow.languages else "en-US"
    lang = lang if lang in flow.languages else default
    text = pick_text(prompt, lang, default)
    words = "".join(part.get("text", "") for part in (text.parts if text else ()) if "var" not in part)
    segments = (Segment("text", words),) if words else ()
    item = PromptItem(spec, text.lang if text and text.lang != "*" else lang, segments, pick_audio(prompt, lang))
    return media_uris(flow, item)
