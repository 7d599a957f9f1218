"""Speech: prompts rendered ahead of time (TTS), and callers heard in menus and collects (ASR).

    tts.py       render every prompt per language to the files Asterisk plays; cache; manifest.py
    engine.py    espeak-ng through pyttsx3's binding; voices.py: which voice reads which language
    asr.py       Vosk behind a small interface; grammar.py: the phrase list of each listening node
    rtp.py       ExternalMedia RTP (slin16) receiver; vad.py: where an utterance starts and ends
    listen.py    the driver side: ExternalMedia + bridge per call, barge-in, results to the engine
    player.py    local playback for `flowc call`; config.py: the [speech] table of flowlang.toml

See docs/speech.md.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

log = logging.getLogger("runtime.speech")


def grammar_problems(flows: Mapping[str, Any], model: Any) -> list[str]:
    """Phrases whose words the model does not know (they can never be recognised), per node."""
    from runtime.speech.grammar import flow_grammars
    out = []
    for name, flow in flows.items():
        for node, phrases in flow_grammars(flow).items():
            unknown = model.unknown_words(phrases) if phrases else []
            if unknown:
                out.append(f"flow {name}, node {node}: the speech model does not know "
                           f"{', '.join(repr(w) for w in unknown)}; those phrases cannot be recognised")
    return out


async def start_speech(server: Any, config: Any, *, model: Any = None) -> Any:
    """Listen to the calls of a FlowServer (see listen.SpeechInput). Loads the model from
    `config.model` (a SpeechConfig) unless given: an AsrError here, at start-up, when it is missing
    or broken. Returns None (and loads nothing) when no served flow listens for speech."""
    from runtime.speech.asr import load_model
    from runtime.speech.grammar import flow_grammars
    from runtime.speech.listen import SpeechInput
    flows = {name: rt.flow for name, rt in server.flows.items()}
    if not any(flow_grammars(f) for f in flows.values()):
        return None
    model = model or load_model(config.model)
    for problem in grammar_problems(flows, model):
        log.warning("%s", problem)
    speech = SpeechInput(lambda phrases: model.recognizer(phrases, min_confidence=config.min_confidence),
                         host=config.rtp_host)
    await speech.attach(server)
    return speech
