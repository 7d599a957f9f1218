"""The compiled flow (IR): frozen dataclasses with a versioned JSON form.

This module is the contract between the compiler, the runtime and the editor. It imports only
`source` and the standard library, so a server that runs flows needs nothing else from flowlang.
Change the shape only with an IR_VERSION bump (and the JSON Schema in flowlang/schema/).
"""

from __future__ import annotations

import collections.abc
import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from flowlang.source import NO_SPAN, Span

IR_VERSION = "1.0"

Expr = Mapping[str, Any]  # a typed expression tree; see docs/architecture.md "Expressions"


class IRError(ValueError):
    """A JSON document that is not a valid IR of this version."""


# ---------------------------------------------------------------- small parts
@dataclass(frozen=True)
class Choice:
    """A menu or language choice: a DTMF key and/or spoken phrases; `event` labels its edge."""

    event: str
    key: str | None = None
    phrases: tuple[str, ...] = ()
    language: str | None = None  # language nodes only


@dataclass(frozen=True)
class Assignment:
    """`var = expr`."""

    var: str
    expr: Expr


@dataclass(frozen=True)
class Skill:
    """A required agent skill with its minimum level (1-5)."""

    name: str
    level: int = 1


@dataclass(frozen=True)
class Question:
    """A survey question: csat (1-5), nps (0-10) or yesno; the answer is stored in `var`."""

    name: str
    type: str
    prompts: tuple[str, ...]
    var: str
    retries: int = 2
    phrases: tuple[tuple[str, str], ...] = ()  # (spoken phrase, answer value)


# ---------------------------------------------------------------- nodes
@dataclass(frozen=True)
class Node:
    """Base of every IR node: a stable id and the .flow span it came from."""

    id: str
    origin: Span = field(default=NO_SPAN, compare=False)
    kind: ClassVar[str] = ""
    terminal: ClassVar[bool] = False  # the call leaves the flow here (hang-up, transfer)
    events: ClassVar[tuple[str, ...]] = ("next",)  # the edge events this kind may have


@dataclass(frozen=True)
class PlayNode(Node):
    """Play one or more prompts, then continue."""

    prompts: tuple[str, ...] = ()
    bargein: bool = False
    kind: ClassVar[str] = "play"


@dataclass(frozen=True)
class MenuNode(Node):
    """Prompt, then wait for a key or phrase; reprompt on noinput/nomatch up to `retries`."""

    prompts: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    timeout: float = 5.0
    retries: int = 3
    noinput_prompts: tuple[str, ...] = ()
    nomatch_prompts: tuple[str, ...] = ()
    bargein: bool = True
    kind: ClassVar[str] = "menu"
    events: ClassVar[tuple[str, ...]] = ("choice", "noinput", "nomatch", "exhausted")


@dataclass(frozen=True)
class CollectNode(Node):
    """Read digits (or speech) into a variable, with length, terminator and validation."""

    prompts: tuple[str, ...] = ()
    mode: str = "digits"
    min_length: int = 1
    max_length: int = 32
    terminator: str = "#"
    timeout: float = 5.0
    inter_digit_timeout: float = 3.0
    validate: Expr | None = None
    var: str | None = None
    secure: bool = False
    retries: int = 3
    noinput_prompts: tuple[str, ...] = ()
    invalid_prompts: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    bargein: bool = True
    kind: ClassVar[str] = "collect"
    events: ClassVar[tuple[str, ...]] = ("next", "noinput", "invalid", "exhausted")


@dataclass(frozen=True)
class SetNode(Node):
    """Assign variables, then continue."""

    assignments: tuple[Assignment, ...] = ()
    kind: ClassVar[str] = "set"


@dataclass(frozen=True)
class BranchNode(Node):
    """Go to the target of the first true condition (`if:<i>` edges), else the `else` edge."""

    conditions: tuple[Expr, ...] = ()
    kind: ClassVar[str] = "branch"
    events: ClassVar[tuple[str, ...]] = ("if", "else")


@dataclass(frozen=True)
class SwitchNode(Node):
    """Compare one value with each case's constants (`case:<i>` edges), else `default`."""

    subject: Expr = field(default_factory=dict)
    cases: tuple[tuple[Any, ...], ...] = ()
    kind: ClassVar[str] = "switch"
    events: ClassVar[tuple[str, ...]] = ("case", "default")


@dataclass(frozen=True)
class GotoNode(Node):
    """A named jump: continue at its `next` edge."""

    kind: ClassVar[str] = "goto"


@dataclass(frozen=True)
class CallNode(Node):
    """Run a subflow with arguments; continue at `return:<outcome>` (or `next`)."""

    subflow: str = ""
    args: tuple[Assignment, ...] = ()
    outputs: tuple[tuple[str, str], ...] = ()  # (subflow output, caller variable)
    kind: ClassVar[str] = "call"
    events: ClassVar[tuple[str, ...]] = ("return", "next")


@dataclass(frozen=True)
class ReturnNode(Node):
    """End a subflow with an outcome, handing values back to the caller."""

    outcome: str = "done"
    values: tuple[Assignment, ...] = ()
    kind: ClassVar[str] = "return"
    terminal: ClassVar[bool] = True
    events: ClassVar[tuple[str, ...]] = ()


@dataclass(frozen=True)
class LanguageNode(Node):
    """Choose the caller's language from caller data (`detect`) or a menu of choices."""

    prompts: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    detect: Expr | None = None
    timeout: float = 5.0
    retries: int = 2
    kind: ClassVar[str] = "language"


@dataclass(frozen=True)
class FetchNode(Node):
    """An HTTP request; the JSON reply is stored in `var`; edges `ok` and `error`."""

    method: str = "GET"
    url: str = ""  # a template: {var} is URL-encoded on substitution
    headers: tuple[tuple[str, str], ...] = ()
    body: Expr | None = None
    timeout: float = 3.0
    var: str | None = None
    allow_private: bool = False
    kind: ClassVar[str] = "fetch"
    events: ClassVar[tuple[str, ...]] = ("ok", "error")


@dataclass(frozen=True)
class LookupNode(Node):
    """A parameterised SQL query through a configured DSN; edges `ok`, `empty`, `error`."""

    dsn: str = ""
    query: str = ""
    params: tuple[Assignment, ...] = ()
    var: str | None = None
    timeout: float = 3.0
    kind: ClassVar[str] = "lookup"
    events: ClassVar[tuple[str, ...]] = ("ok", "empty", "error")


@dataclass(frozen=True)
class RecordNode(Node):
    """Record a message (voicemail) up to `max_length` seconds, optionally after a beep."""

    prompts: tuple[str, ...] = ()
    max_length: float = 120.0
    max_silence: float = 5.0
    beep: bool = True
    terminator: str = "#"
    var: str | None = None
    kind: ClassVar[str] = "record"


@dataclass(frozen=True)
class TransferNode(Node):
    """Blind transfer to a number or endpoint; `human` marks a destination staffed by people."""

    prompts: tuple[str, ...] = ()
    destination: Expr = field(default_factory=dict)
    human: bool = True
    timeout: float = 30.0
    kind: ClassVar[str] = "transfer"
    terminal: ClassVar[bool] = True
    events: ClassVar[tuple[str, ...]] = ("failed",)


@dataclass(frozen=True)
class HangupNode(Node):
    """Play any prompts, then hang up."""

    prompts: tuple[str, ...] = ()
    reason: str = "normal"
    kind: ClassVar[str] = "hangup"
    terminal: ClassVar[bool] = True
    events: ClassVar[tuple[str, ...]] = ()


@dataclass(frozen=True)
class QueueNode(Node):
    """Wait for an agent with the skills; announce position/wait; overflow after `max_wait`."""

    prompts: tuple[str, ...] = ()
    skills: tuple[Skill, ...] = ()
    priority: Expr | None = None
    strategy: str = "longest_idle"
    announce: tuple[str, ...] = ()  # "position", "wait"
    announce_every: float = 0.0
    max_wait: float | None = None
    music: str = "default"
    callback_after: float | None = None
    agent_timeout: float = 15.0
    kind: ClassVar[str] = "queue"
    events: ClassVar[tuple[str, ...]] = ("overflow", "callback", "after")


@dataclass(frozen=True)
class SurveyNode(Node):
    """Ask survey questions (CSAT, NPS, yes/no) by key or voice and store the answers."""

    questions: tuple[Question, ...] = ()
    kind: ClassVar[str] = "survey"


NODE_TYPES: dict[str, type[Node]] = {
    cls.kind: cls
    for cls in (PlayNode, MenuNode, CollectNode, SetNode, BranchNode, SwitchNode, GotoNode, CallNode,
                ReturnNode, LanguageNode, FetchNode, LookupNode, RecordNode, TransferNode,
                HangupNode, QueueNode, SurveyNode)
}


@dataclass(frozen=True)
class Edge:
    """A transition: from `source` to `target` on `event` (next, choice:1, noinput, if:0, ok, ...)."""

    source: str
    target: str
    event: str
    label: str = ""  # a short human label for diagrams: the key, phrase or condition
    origin: Span = field(default=NO_SPAN, compare=False)


# ---------------------------------------------------------------- declarations
@dataclass(frozen=True)
class Variable:
    """A declared variable (or subflow parameter/output) with its type and default value."""

    name: str
    type: str
    default: Any = None
    origin: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class PromptText:
    """A prompt's text in one language, split into literal and interpolated parts."""

    lang: str
    text: str
    parts: tuple[Mapping[str, str], ...] = ()  # {"text": ...} or {"var": ..., "say_as": ...}


@dataclass(frozen=True)
class Prompt:
    """A prompt: text per language, and/or recorded audio (per language or for all, lang "*")."""

    id: str
    texts: tuple[PromptText, ...] = ()
    audio: tuple[tuple[str, str], ...] = ()
    origin: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class ListDef:
    """A number list (blacklist, VIP...): from a file (read by the runtime) or inline values."""

    name: str
    path: str | None = None
    values: tuple[str, ...] = ()
    origin: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Holiday:
    """Closed from `start` to `end` (ISO dates, inclusive)."""

    start: str
    end: str
    label: str = ""


@dataclass(frozen=True)
class Hours:
    """Opening hours: weekly ranges (day 0 = Monday, "HH:MM"), holidays, and a time zone."""

    name: str
    timezone: str = "UTC"
    weekly: tuple[tuple[int, str, str], ...] = ()
    holidays: tuple[Holiday, ...] = ()
    origin: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Subflow:
    """A subflow's interface; its nodes live in Flow.nodes with ids `<subflow>.<node>`."""

    name: str
    entry: str
    params: tuple[Variable, ...] = ()
    outputs: tuple[Variable, ...] = ()
    variables: tuple[Variable, ...] = ()  # the subflow's own `var` declarations
    origin: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class RetryRule:
    """Retry a contact after `delay` seconds when a call ends with `disposition`, at most `max` times."""

    disposition: str
    delay: float
    max: int | None


@dataclass(frozen=True)
class Campaign:
    """An outbound campaign: contacts, dialing mode, windows, retries; runs the flow on answer."""

    name: str
    contacts: str = ""
    mode: str = "progressive"
    max_abandon_rate: float = 0.03
    windows: tuple[tuple[str, str], ...] = ()
    days: tuple[str, ...] = ()
    timezone_field: str = "timezone"
    default_timezone: str = "UTC"
    retries: tuple[RetryRule, ...] = ()
    max_attempts: int | None = None
    dnc: str | None = None
    queue: str | None = None
    caller_id: str = ""
    calls_per_second: float | None = None
    max_concurrent: int | None = None
    entry: str = ""
    origin: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Defaults:
    """Flow-wide defaults for input timeouts and retries."""

    timeout: float = 5.0
    retries: int = 3


class _NoEdges(dict):
    """node id -> its out edges; a node with none gives () (and is not stored)."""

    def __missing__(self, key: str) -> tuple:
        return ()


@dataclass(frozen=True)
class Flow:
    """One compiled flow: metadata, declarations, nodes and edges."""

    name: str
    title: str = ""
    version: str = "0"
    languages: tuple[str, ...] = ("en-US",)
    entry: str = ""
    defaults: Defaults = Defaults()
    variables: tuple[Variable, ...] = ()
    prompts: tuple[Prompt, ...] = ()
    lists: tuple[ListDef, ...] = ()
    hours: tuple[Hours, ...] = ()
    nodes: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()
    subflows: tuple[Subflow, ...] = ()
    campaigns: tuple[Campaign, ...] = ()
    files: tuple[str, ...] = ()
    origin: Span = field(default=NO_SPAN, compare=False)
    ir_version: str = IR_VERSION

    # -- lookups (not part of equality or JSON)
    def node(self, node_id: str) -> Node:
        return self._index()[0][node_id]

    def prompt(self, prompt_id: str) -> Prompt:
        return self._index()[1][prompt_id]

    def out_edges(self, node_id: str) -> tuple[Edge, ...]:
        return self._index()[2].get(node_id, ())

    def _index(self):
        idx = self.__dict__.get("_idx")
        if idx is None:
            out: dict[str, list[Edge]] = {}
            for e in self.edges:
                out.setdefault(e.source, []).append(e)
            idx = ({n.id: n for n in self.nodes}, {p.id: p for p in self.prompts},
                   _NoEdges((k, tuple(v)) for k, v in out.items()))
            object.__setattr__(self, "_idx", idx)
            # from now on flow.node(i) / flow.prompt(i) are plain dict lookups (the validator makes ~10⁵)
            object.__setattr__(self, "node", idx[0].__getitem__)
            object.__setattr__(self, "prompt", idx[1].__getitem__)
            object.__setattr__(self, "out_edges", idx[2].__getitem__)
        return idx

    # -- JSON
    def to_json(self) -> str:
        """The canonical JSON text: deterministic, UTF-8 friendly, newline-terminated."""
        return json.dumps(to_data(self), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> "Flow":
        try:
            data = json.loads(text, parse_constant=_no_constant)
        except RecursionError:
            raise IRError(f"not accepted: JSON nested deeper than Python can read ({MAX_DEPTH} levels allowed)") from None
        except (ValueError, TypeError) as e:
            raise IRError(f"not JSON: {e}") from None
        return from_data(data)


# ---------------------------------------------------------------- JSON conversion
def _plain(value: Any) -> Any:
    if isinstance(value, Span):
        return value.to_dict()
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def node_to_data(node: Node) -> dict:
    """{"id", "kind", "params", "origin"}: params holds only what the node kind declares."""
    params = {}
    for f in dataclasses.fields(node):
        if f.name in ("id", "origin"):
            continue
        value = getattr(node, f.name)
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if value != default:  # write only what the node declares: small files, readable diffs
            params[f.name] = _plain(value)
    return {"id": node.id, "kind": node.kind, "params": params, "origin": node.origin.to_dict()}


def to_data(flow: Flow) -> dict:
    """The flow as plain JSON-able data, in a stable key order."""
    out: dict[str, Any] = {"ir_version": flow.ir_version}
    for f in dataclasses.fields(flow):
        if f.name == "ir_version":
            continue
        value = getattr(flow, f.name)
        if f.name == "nodes":
            out["nodes"] = [node_to_data(n) for n in value]
        else:
            out[f.name] = _plain(value)
    return out


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


MAX_DEPTH = 100  # nesting of JSON values (expressions); the compiler's output stays far below
MAX_NUMBER = 1e9  # every number the IR declares (timeouts, retries, lengths, rates) is in [0, 1e9]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number the IR accepts")


def _depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of plain JSON data, counted without recursion; stops past `limit`."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, d = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, d)
            if deepest > limit:
                return deepest
            stack.extend((v, d + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _number(value: float, where: str) -> None:
    if not (0 <= value <= MAX_NUMBER):  # also false for NaN
        raise IRError(f"{where}: {value!r} is out of range (0 to {MAX_NUMBER:g})")


def _build(tp: Any, value: Any, where: str) -> Any:
    """Rebuild a value of type `tp` from JSON data, checking shapes as it goes."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if tp is Span:
        try:
            return Span(value["file"], int(value["line"]), int(value["col"]),
                        int(value["end_line"]), int(value["end_col"]))
        except (KeyError, TypeError, ValueError):
            raise IRError(f"{where}: not a source span") from None
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _build(a, value, where)
            except IRError as e:
                errors.append(str(e))
        raise IRError(errors[0] if errors else f"{where}: bad value")
    if origin is tuple:
        if not isinstance(value, list):
            raise IRError(f"{where}: expected a list")
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
        if len(args) != len(value):
            raise IRError(f"{where}: expected {len(args)} items")
        return tuple(_build(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
    if origin in (Mapping, dict, collections.abc.Mapping) or tp is Expr:
        if not isinstance(value, dict):
            raise IRError(f"{where}: expected an object")
        if typing.get_args(tp) == (str, str) and not all(isinstance(v, str) for v in value.values()):
            raise IRError(f"{where}: expected an object of strings")
        return value
    if dataclasses.is_dataclass(tp):
        return _dataclass(tp, value, where)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise IRError(f"{where}: expected a number")
        _number(value, where)
        return float(value)
    if tp in (int, str, bool):
        if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
            raise IRError(f"{where}: expected {tp.__name__}")
        if tp is int:
            _number(value, where)
        return value
    return value


def _dataclass(cls: type, data: Any, where: str, skip: tuple[str, ...] = ()) -> Any:
    if not isinstance(data, dict):
        raise IRError(f"{where}: expected an object")
    hints = _hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in skip or not f.init:
            continue
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise IRError(f"{where}: missing field {f.name!r}")
            continue
        kwargs[f.name] = _build(hints[f.name], data[f.name], f"{where}.{f.name}")
    unknown = set(data) - {f.name for f in dataclasses.fields(cls)} - set(skip)
    if unknown:
        raise IRError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    return cls(**kwargs)


def node_from_data(data: Any, where: str = "node") -> Node:
    """One node from its JSON object."""
    if not isinstance(data, dict):
        raise IRError(f"{where}: expected an object")
    kind = data.get("kind")
    cls = NODE_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise IRError(f"{where}: unknown node kind {kind!r}")
    if not isinstance(data.get("id"), str) or not isinstance(data.get("params", {}), dict):
        raise IRError(f"{where}: a node needs a string id and a params object")
    merged = {"id": data["id"], **data.get("params", {})}
    if "origin" in data:
        merged["origin"] = data["origin"]
    return _dataclass(cls, merged, f"{where}({data['id']})")


def from_data(data: Any) -> Flow:
    """A Flow from plain data; raises IRError with the path of the first bad field."""
    if not isinstance(data, dict):
        raise IRError("the IR must be a JSON object")
    if _depth(data) > MAX_DEPTH:
        raise IRError(f"not accepted: JSON nested deeper than {MAX_DEPTH} levels")
    version = data.get("ir_version")
    if version != IR_VERSION:
        raise IRError(f"IR version {version!r} is not supported (this runtime reads {IR_VERSION})")
    nodes = data.get("nodes", [])
    if not isinstance(nodes, list):
        raise IRError("flow.nodes: expected a list")
    flow = _dataclass(Flow, {k: v for k, v in data.items() if k != "nodes"}, "flow", skip=("nodes",))
    built = tuple(node_from_data(n, f"flow.nodes[{i}]") for i, n in enumerate(nodes))
    flow = dataclasses.replace(flow, nodes=built)
    check_integrity(flow)
    return flow


def check_integrity(flow: Flow) -> None:
    """Reject IR whose references do not line up (hostile or hand-edited JSON)."""
    ids = [n.id for n in flow.nodes]
    if len(set(ids)) != len(ids):
        raise IRError("flow.nodes: duplicate node ids")
    known = set(ids)
    if flow.nodes and flow.entry not in known:
        raise IRError(f"flow.entry: no node {flow.entry!r}")
    for i, e in enumerate(flow.edges):
        if e.source not in known or e.target not in known:
            raise IRError(f"flow.edges[{i}]: unknown node in {e.source!r} -> {e.target!r}")
    subflows = {s.name: s for s in flow.subflows}
    for s in flow.subflows:
        if s.entry not in known:
            raise IRError(f"subflow {s.name}: no entry node {s.entry!r}")
    for n in flow.nodes:
        if isinstance(n, CallNode) and n.subflow not in subflows:
            raise IRError(f"node {n.id}: calls an unknown subflow {n.subflow!r}")
    prompts = {p.id for p in flow.prompts}
    for n in flow.nodes:
        used = list(getattr(n, "prompts", ()))
        for q in getattr(n, "questions", ()):
            used.extend(q.prompts)
        for pid in used:
            if pid not in prompts:
                raise IRError(f"node {n.id}: unknown prompt {pid!r}")
