"""The syntax tree: frozen dataclasses, surface syntax as written, each with a span.

Spans are excluded from equality, so two trees that differ only in layout compare equal
(the formatter's round-trip property relies on this).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from flowlang.source import NO_SPAN, Span


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


# ---------------------------------------------------------------- expressions
@dataclass(frozen=True)
class Literal:
    """A literal as written: kind is number, string, duration, time, date, bool or null."""

    kind: str
    text: str  # the token's text, e.g. '5s', '"hi"', 'true'
    span: Span = _span()


@dataclass(frozen=True)
class Var:
    """A variable, list, hours or prompt name used in an expression."""

    name: str
    span: Span = _span()


@dataclass(frozen=True)
class Attr:
    """Member access: `caller.number`."""

    obj: "Expr"
    name: str
    span: Span = _span()


@dataclass(frozen=True)
class Index:
    """Indexing: `items[0]`."""

    obj: "Expr"
    index: "Expr"
    span: Span = _span()


@dataclass(frozen=True)
class Call:
    """A call of a built-in function: `open(business)`."""

    func: str
    args: tuple["Expr", ...]
    span: Span = _span()


@dataclass(frozen=True)
class Unary:
    """`not x` or `-x`."""

    op: str
    operand: "Expr"
    span: Span = _span()


@dataclass(frozen=True)
class Binary:
    """`a op b` for arithmetic, comparison, `and`, `or`, `in`, `not in`."""

    op: str
    left: "Expr"
    right: "Expr"
    span: Span = _span()


@dataclass(frozen=True)
class ListLit:
    """`[a, b, c]`."""

    items: tuple["Expr", ...]
    span: Span = _span()


Expr = Union[Literal, Var, Attr, Index, Call, Unary, Binary, ListLit]


# ---------------------------------------------------------------- statements inside blocks
@dataclass(frozen=True)
class PromptRef:
    """A prompt named by id, or inline text in double quotes."""

    name: str
    inline: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class SayStmt:
    """`say welcome, menu_prompt`: play these prompts."""

    prompts: tuple[PromptRef, ...]
    span: Span = _span()


@dataclass(frozen=True)
class ArrowStmt:
    """`-> target` (the default next step) or `event -> target` (noinput, ok, error, ...)."""

    label: str | None
    target: str
    span: Span = _span()


@dataclass(frozen=True)
class KeyStmt:
    """`key 1 or speech "balance", "余额" -> target`: a menu choice."""

    key: str
    phrases: tuple[str, ...]
    target: str
    span: Span = _span()


@dataclass(frozen=True)
class SpeechStmt:
    """`speech "agent", "人工" -> target`: a choice by voice only."""

    phrases: tuple[str, ...]
    target: str
    span: Span = _span()


@dataclass(frozen=True)
class IfStmt:
    """`if condition -> target` in a branch: the first true condition wins."""

    cond: Expr
    target: str
    span: Span = _span()


@dataclass(frozen=True)
class ElseStmt:
    """`else -> target` in a branch."""

    target: str
    span: Span = _span()


@dataclass(frozen=True)
class CaseStmt:
    """`case "gold", "silver" -> target` in a switch."""

    values: tuple[Expr, ...]
    target: str
    span: Span = _span()


@dataclass(frozen=True)
class AssignStmt:
    """`name = expression` in a set node, a call's arguments or a return's outputs."""

    name: str
    value: Expr
    span: Span = _span()


@dataclass(frozen=True)
class EventSayStmt:
    """`noinput say sorry_no_input`: the prompt played before asking again."""

    event: str
    prompts: tuple[PromptRef, ...]
    span: Span = _span()


@dataclass(frozen=True)
class KeyedArg:
    """`skill: 3` inside a setting's arguments."""

    key: str
    value: Expr
    span: Span = _span()


@dataclass(frozen=True)
class RangeArg:
    """`8..12` inside a setting's arguments."""

    lo: Expr
    hi: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Word:
    """A bare token argument that is not an expression: a time range or a language code."""

    kind: str  # "timerange" | "lang"
    text: str
    span: Span = _span()


Arg = Union[Expr, KeyedArg, RangeArg, Word]


@dataclass(frozen=True)
class SettingStmt:
    """`name arg, arg, ...`: a setting such as `timeout 5s` or `skills billing: 3`."""

    name: str
    args: tuple[Arg, ...]
    span: Span = _span()


@dataclass(frozen=True)
class EntryStmt:
    """`entry node`: where a flow or subflow starts."""

    target: str
    span: Span = _span()


@dataclass(frozen=True)
class Block:
    """`{ statements }`; `end` is the closing brace, so comments before it stay inside."""

    stmts: tuple["Stmt", ...]
    span: Span = _span()
    end: Span = _span()


@dataclass(frozen=True)
class QuestionStmt:
    """`question name { ... }` inside a survey."""

    name: str
    body: Block
    span: Span = _span()


Stmt = Union[SayStmt, ArrowStmt, KeyStmt, SpeechStmt, IfStmt, ElseStmt, CaseStmt, AssignStmt,
             EventSayStmt, QuestionStmt, SettingStmt, EntryStmt]


# ---------------------------------------------------------------- top-level items
@dataclass(frozen=True)
class FlowDecl:
    """`flow name { title ..., languages ..., entry ... }`: the flow header."""

    name: str
    body: Block
    span: Span = _span()


@dataclass(frozen=True)
class ImportDecl:
    """`import "shared.flow"`: prompts, lists, hours and subflows from another file."""

    path: str
    span: Span = _span()


@dataclass(frozen=True)
class ListDecl:
    """`list vip from "vip.txt"` or `list vip = ["1001", "1002"]`."""

    name: str
    path: str | None
    values: tuple[Expr, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class VarDecl:
    """`var name: type = default`."""

    name: str
    type: str
    default: Expr | None
    span: Span = _span()


@dataclass(frozen=True)
class ParamDecl:
    """`param name: type = default` or `output name: type` in a subflow."""

    name: str
    type: str
    default: Expr | None
    output: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class PromptLine:
    """One language's text (`zh-CN "..."`) or audio file (`en-US audio "f.wav"`) of a prompt."""

    lang: str | None  # None: the audio file serves every language
    text: str
    audio: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class PromptDecl:
    """`prompt id { zh-CN "...", en-US "..." }`."""

    name: str
    lines: tuple[PromptLine, ...]
    span: Span = _span()
    end: Span = _span()


@dataclass(frozen=True)
class HoursLine:
    """A line of an hours block: timezone, an opening (days + ranges), closed days or a holiday."""

    kind: str  # "timezone" | "open" | "closed" | "holiday"
    days: tuple[str, ...] = ()
    ranges: tuple[str, ...] = ()
    value: str = ""  # timezone name, or the holiday's first date
    until: str = ""  # the holiday's last date
    label: str = ""
    span: Span = _span()


@dataclass(frozen=True)
class HoursDecl:
    """`hours business { timezone "Asia/Shanghai"; mon-fri 09:00-18:00; holiday 2026-10-01 }`."""

    name: str
    lines: tuple[HoursLine, ...]
    span: Span = _span()
    end: Span = _span()


@dataclass(frozen=True)
class NodeDecl:
    """`kind name { statements }`: one step of the call flow (play, menu, queue, ...)."""

    kind: str
    name: str
    body: Block
    span: Span = _span()


@dataclass(frozen=True)
class SubflowDecl:
    """`subflow name { param ...; entry ...; nodes }`: a reusable piece called with `call`."""

    name: str
    items: tuple["SubItem", ...]
    span: Span = _span()
    end: Span = _span()


@dataclass(frozen=True)
class CampaignDecl:
    """`campaign name { contacts ..., mode ..., window ..., retry ... }`: an outbound campaign."""

    name: str
    body: Block
    span: Span = _span()


SubItem = Union[ParamDecl, VarDecl, NodeDecl, PromptDecl, EntryStmt]
Item = Union[FlowDecl, ImportDecl, ListDecl, VarDecl, PromptDecl, HoursDecl, NodeDecl,
             SubflowDecl, CampaignDecl]


@dataclass(frozen=True)
class Comment:
    """A `#` comment; `trailing` when code precedes it on its line."""

    text: str
    trailing: bool
    span: Span = _span()


@dataclass(frozen=True)
class Module:
    """One parsed .flow file."""

    file: str
    items: tuple[Item, ...]
    comments: tuple[Comment, ...] = field(default=(), compare=False)
    span: Span = _span()
