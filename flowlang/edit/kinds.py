"""The editor's catalogue of node kinds: what the palette offers and what the property panel edits.

Events are the `label ->` arrows a kind accepts (compile/nodes.py checks the same lists); choices,
conditions and cases add their own events (`key:1`, `speech:1`, `if:0`, `case:0`). Settings are
the `name value` statements the kind reads, each with an example value for the panel's hint.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Kind:
    """One node kind as the editor shows it."""

    kind: str
    summary: str
    events: tuple[str, ...] = ("next",)
    settings: tuple[tuple[str, str], ...] = ()  # (name, example value)
    say_events: tuple[str, ...] = ()  # `noinput say ...` prompts this kind plays before asking again
    choices: bool = False  # key / speech choices
    conditions: str = ""  # "if" (branch) or "case" (switch): ordered conditional arrows


_PROMPTING = (("timeout", "5s"), ("retries", "3"), ("bargein", "on"))

KINDS: tuple[Kind, ...] = (
    Kind("play", "Play prompts, then continue", settings=(("bargein", "off"),)),
    Kind("menu", "Ask the caller to press a key or say a phrase",
         ("noinput", "nomatch", "exhausted"), _PROMPTING, ("noinput", "nomatch"), choices=True),
    Kind("collect", "Read digits (or speech) into a variable",
         ("next", "noinput", "invalid", "exhausted"),
         (("digits", "4..8"), ("terminator", '"#"'), ("timeout", "10s"), ("inter_digit_timeout", "4s"),
          ("validate", "luhn(input)"), ("into", "account"), ("secure", "on"), ("retries", "3"),
          ("mode", "digits"), ("bargein", "on")), ("noinput", "invalid")),
    Kind("set", "Give variables new values (one `name = value` line each)"),
    Kind("branch", "Go where the first true condition says", ("else",), conditions="if"),
    Kind("switch", "Compare one value with several cases", ("default",), (("on", "want"),),
         conditions="case"),
    Kind("goto", "Jump to another node"),
    Kind("call", "Run a subflow, continue by its outcome", ("next",),
         (("subflow", "verify_pin"), ("outputs", "attempts: pin_attempts"))),
    Kind("return", "End a subflow with an outcome", (), (("outcome", "ok"),)),
    Kind("language", "Choose the caller's language", ("next",),
         (("detect", "caller.language"), ("timeout", "4s"), ("retries", "1")), choices=True),
    Kind("fetch", "Call a web service (HTTP)", ("ok", "error"),
         (("method", '"GET"'), ("url", '"https://api.example.com/v1/{account}"'), ("headers", 'Accept: "application/json"'),
          ("body", "account"), ("timeout", "3s"), ("into", "reply"), ("allow_private", "off"))),
    Kind("lookup", "Look a value up in a database", ("ok", "empty", "error"),
         (("dsn", "crm"), ("query", '"select tier from customers where phone = :phone"'),
          ("params", "phone: caller.number"), ("into", "row"), ("timeout", "3s"))),
    Kind("record", "Record a message (voicemail)", ("next",),
         (("max_length", "2m"), ("max_silence", "5s"), ("beep", "on"), ("terminator", '"#"'),
          ("into", "voicemail_file"))),
    Kind("transfer", "Transfer the call to a number or endpoint", ("failed",),
         (("to", '"PJSIP/desk"'), ("human", "on"), ("timeout", "30s"))),
    Kind("hangup", "End the call", (), (("reason", "normal"),)),
    Kind("queue", "Wait for an agent (ACD queue)", ("overflow", "callback", "after"),
         (("skills", "general: 1"), ("priority", "5"), ("strategy", "longest_idle"),
          ("announce", "position, wait"), ("announce_every", "30s"), ("max_wait", "5m"),
          ("music", '"default"'), ("callback_after", "2m"), ("agent_timeout", "15s"))),
    Kind("survey", "Ask survey questions (CSAT, NPS, yes/no)", ("next",)),
)
BY_KIND: dict[str, Kind] = {k.kind: k for k in KINDS}
QUESTION_SETTINGS = (("type", "csat"), ("phrases", '满意: "5", satisfied: "5"'), ("into", "satisfaction"),
                     ("retries", "1"))
FLOW_SETTINGS = (("title", '"Customer service"'), ("version", '"1.0"'), ("languages", "zh-CN, en-US"),
                 ("entry", "welcome"), ("timeout", "5s"), ("retries", "3"))


def catalogue() -> dict:
    """The catalogue as JSON-able data for the front end."""
    return {
        "kinds": [asdict(k) for k in KINDS],
        "question_settings": [list(s) for s in QUESTION_SETTINGS],
        "flow_settings": [list(s) for s in FLOW_SETTINGS],
    }
