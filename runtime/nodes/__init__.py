"""Node behaviours, one per IR node kind, dispatched by table (BEHAVIOURS)."""

from __future__ import annotations

from flowlang import ir
from runtime.nodes.base import Behaviour, Ctx
from runtime.nodes.basic import Branch, Goto, Hangup, Play, Set, Switch
from runtime.nodes.contact import Queue, Transfer
from runtime.nodes.input import Collect, Language, Menu
from runtime.nodes.io import Fetch, Lookup, Record
from runtime.nodes.subflow import Call, Return
from runtime.nodes.survey import Survey

BEHAVIOURS: dict[str, Behaviour] = {
    "play": Play(), "menu": Menu(), "collect": Collect(), "set": Set(), "branch": Branch(),
    "switch": Switch(), "goto": Goto(), "call": Call(), "return": Return(), "language": Language(),
    "fetch": Fetch(), "lookup": Lookup(), "record": Record(), "transfer": Transfer(), "hangup": Hangup(),
    "queue": Queue(), "survey": Survey(),
}

_missing = set(ir.NODE_TYPES) ^ set(BEHAVIOURS)
if _missing:  # fail loudly at import, not in the middle of a call
    raise ImportError(f"node kinds without a behaviour (or unknown): {sorted(_missing)}")

__all__ = ["BEHAVIOURS", "Behaviour", "Ctx"]
