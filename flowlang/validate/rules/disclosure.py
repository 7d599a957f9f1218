"""FL5xx security rules about disclosure: secrets written into flows, callers' phone numbers leaked."""

from __future__ import annotations

import math
import re
from collections import Counter
from operator import attrgetter
from typing import Any, Callable, Iterator

from flowlang import ir
from flowlang.analysis.graph import FlowGraph
from flowlang.compile.exprs import BUILTINS
from flowlang.diagnostics import Diagnostic, Severity
from flowlang.source import Span
from flowlang.validate.config import Config
from flowlang.analysis.inline import per_flow
from flowlang.validate.registry import rule
from flowlang.validate.rules.security import PLACEHOLDER, writers

PHONE_NUMBERS = frozenset({"caller.number", "contact.number"})


# ---------------------------------------------------------------- secrets
_SECRET_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("a password in a URL", re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://|sips?:)[^/@\s:{}]*:[^/@\s{}]+@")),
    ("a credential in a query or form value", re.compile(
        r"(?i)(?:^|[^a-z0-9_])(?:password|passwd|pwd|secret|client_secret|token|access_token|auth_token"
        r"|api_key|apikey|key)=[^&#\s{]{4,}")),
    ("a credential in a JSON value", re.compile(
        r"(?i)[\"'](?:password|passwd|secret|client_secret|token|access_token|api_key|apikey)[\"']\s*:\s*"
        r"[\"'][^\"'{]{4,}[\"']")),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a vendor API token", re.compile(
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|xox[abprs]-[A-Za-z0-9-]{10,}|sk_live_[0-9A-Za-z]{16,}"
        r"|AIza[0-9A-Za-z_-]{35})")),
)
_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{24,}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key", "x-auth-token",
                            "x-access-token", "cookie", "x-secret"})


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts, n = Counter(text), len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values()) if n else 0.0


def looks_random(token: str) -> bool:
    """A long token of base64/hex alphabet with high entropy and the class changes of random text.

    The class-change test (lower/upper/digit flips between neighbours) keeps paths such as
    `prompts/zh-CN/welcome_2024` and identifiers out; UUIDs are ids, not secrets.
    """
    core = re.sub(r"[^A-Za-z0-9]", "", token)
    if _UUID.fullmatch(token) or len(core) < 20 or not re.search(r"\d", core) or not re.search(r"[A-Za-z]", core):
        return False
    classes = [0 if c.islower() else 1 if c.isupper() else 2 for c in core]
    if sum(a != b for a, b in zip(classes, classes[1:])) / (len(core) - 1) < 0.2:
        return False
    if re.fullmatch(r"[0-9a-fA-F]+", token):
        return len(token) >= 32 and entropy(token) > 3.0
    return entropy(token) > 4.0


def secret_kinds(text: str, _memo: dict[str, tuple[str, ...]] = {}) -> list[str]:  # noqa: B006 - a cache
    """What kinds of secret a literal seems to hold (empty when none; each distinct text checked once)."""
    kinds = _memo.get(text)
    if kinds is None:
        found = [what for what, pat in _SECRET_PATTERNS if pat.search(text)]
        if any(looks_random(t) for t in _TOKEN.findall(text)):
            found.append("a long random-looking token")
        kinds = tuple(found)
        if len(_memo) > 100_000:
            _memo.clear()
        _memo[text] = kinds
    return list(kinds)


_NO_TEXT = frozenset({"bool", "int", "float", "Span", "int | None", "float | None", "bool | None",
                      "<class 'bool'>", "<class 'int'>", "<class 'float'>"})  # field types that hold no text
# Fields that hold names, not free text: references to prompts and variables, keywords. Like node
# ids (never scanned), they are identifiers the grammar checked, so no secret can hide in them.
_NAMES = frozenset({"id", "origin", "prompts", "noinput_prompts", "nomatch_prompts", "invalid_prompts",
                    "var", "mode", "strategy", "method", "event", "language", "type", "announce", "subflow"})
# Keys of an operation, call, list or lookup that hold a sub-expression or a literal key, last
# first (the order `_strings` pushes them); the others name operators and functions.
_EXPR_PARTS = ("index", "get", "items", "args", "key")


def _fields(cls: type, _memo: dict[type, Callable[[Any], tuple]] = {}) -> Callable[[Any], tuple]:  # noqa: B006
    """A getter of the fields of a dataclass that may hold free text, last first (as `_strings` pushes them)."""
    get = _memo.get(cls)
    if get is None:
        fields = getattr(cls, "__dataclass_fields__", {})
        names = tuple(n for n, f in fields.items() if n not in _NAMES and str(f.type) not in _NO_TEXT)[::-1]
        get = _memo[cls] = (attrgetter(*names) if len(names) > 1 else
                            (lambda v, g=attrgetter(names[0]): (g(v),)) if names else (lambda v: ()))
    return get


def _strings(value: Any) -> list[str]:
    """Every free-text string inside a node, expression tree or tuple (depth first, in field order).

    Identifiers (see `_NAMES`) and the names inside expressions are left out: only literals can
    carry a secret.
    """
    out: list[str] = []
    stack = [value]
    pop, extend, add = stack.pop, stack.extend, out.append
    while stack:
        v = pop()
        t = type(v)
        if t is str:
            add(v)
        elif t is tuple or t is list:
            extend(v[::-1])
        elif v is None or t is int or t is float or t is bool or t is Span:
            continue
        elif t is dict:
            if "lit" in v:  # a literal: only a text (or a container of them) can hold a secret
                lit = v["lit"]
                if type(lit) is str:
                    add(lit)
                elif lit is not None and type(lit) not in (int, float, bool):
                    stack.append(lit)
            elif "var" in v or "listref" in v or "hours" in v:  # names, checked by the grammar
                continue
            elif "op" in v or "call" in v or "items" in v or "get" in v or "index" in v:
                extend([v[k] for k in _EXPR_PARTS if k in v])
            else:
                extend(list(v.values())[::-1])
        elif isinstance(v, str):
            add(v)
        elif isinstance(v, (tuple, list)):
            extend(v[::-1])
        else:
            extend(_fields(t)(v))
    return out


def _literals(flow: ir.Flow) -> Iterator[tuple[tuple[str, str], list[str], Span]]:
    """((kind, name), texts, where) for every part of the flow whose literals could hold a secret."""
    for n in flow.nodes:
        yield (n.kind, n.id), _strings(n), n.origin
    for p in flow.prompts:
        yield ("prompt", p.id), [t.text for t in p.texts] + [a for _, a in p.audio], p.origin
    for v in flow.variables:
        yield ("variable", v.name), _strings(v.default), v.origin
    for li in flow.lists:
        yield ("list", li.name), [li.path or "", *li.values], li.origin
    for c in flow.campaigns:
        yield ("campaign", c.name), _strings(c), c.origin


def _header_secrets(flow: ir.Flow) -> Iterator[tuple[str, str, Span]]:
    for n in flow.nodes:
        if isinstance(n, ir.FetchNode):
            for name, value in n.headers:
                fixed = PLACEHOLDER.sub("", value)
                fixed = re.sub(r"(?i)^\s*(bearer|basic|token|digest)\b", "", fixed).strip()
                if name.lower().replace("_", "-") in SECRET_HEADERS and fixed:
                    yield f"fetch {n.id!r}", f"a literal {name} header", n.origin


@rule("FL504", "security.secret_in_flow", Severity.ERROR,
      hint="remove the secret from the flow text and rotate it; keep credentials in the runtime's "
           "environment or secret store, outside the flow")
def secret_in_flow(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A literal in the flow that looks like a password, API key, token or private key.

    Anti-pattern: `url "https://bot:s3cret@api.example.com/..."`, `headers Authorization: "Bearer
    eyJhbGciOi..."`, `url ".../sms?api_key=AKIA..."`: flow files live in version control and end up
    in diagrams, IR JSON and logs; every secret in them leaks.
    Best practice: credentials stay in the runtime's environment or secret store. Detected: URL
    passwords, `password=`/`token=`/`api_key=` values, literal Authorization/X-Api-Key headers, AWS
    key ids, vendor tokens, private-key blocks, and long random-looking strings (Shannon entropy
    above 4.0 bits per character over 24+ characters of base64 alphabet, or 32+ hex digits).
    The language cannot yet name a secret kept outside the flow (an `env("NAME")` reference would
    be the fix); until it can, give the runtime the credentials for the host, outside the flow.
    """
    found: dict[tuple[str, Span], list[str]] = {}
    for what, kind, where in _header_secrets(flow):
        found.setdefault((what, where), []).append(kind)
    parts = list(_literals(flow))
    # each distinct literal is checked once; only the parts holding a flagged one are looked at again
    flagged = {t: kinds for t in set().union(*(texts for _, texts, _ in parts)) if (kinds := secret_kinds(t))}
    for what, texts, where in parts if flagged else ():
        for text in texts:
            if (seen := flagged.get(text)) is None:
                continue
            kinds = found.setdefault((f"{what[0]} {what[1]!r}", where), [])
            kinds.extend(k for k in seen if k not in kinds)
    for (what, where), kinds in found.items():
        listed = kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} and {kinds[-1]}"
        yield secret_in_flow.rule.diag(f"{what} holds {listed}", where)


# ---------------------------------------------------------------- phone numbers
def _carries(e: ir.Expr, tainted: set[str]) -> bool:
    """Whether an expression's value may contain a tainted string (mask() and non-string results clean it)."""
    if "var" in e:
        return e["var"] in tainted
    if "call" in e:
        if e["call"] == "mask" or BUILTINS.get(e["call"], ((), "any"))[1] != "string":
            return False
        return any(_carries(a, tainted) for a in e.get("args", ()))
    if e.get("op") == "+" or "items" in e:
        return any(_carries(a, tainted) for a in e.get("args", e.get("items", ())))
    if "get" in e:
        return _carries(e["get"], tainted)
    return False


@per_flow
def phone_vars(flow: ir.Flow) -> set[str]:
    """caller.number, contact.number and every variable that may hold one of them unmasked."""
    tainted, table, changed = set(PHONE_NUMBERS), writers(flow), True
    while changed:
        changed = False
        for var, exprs in table.items():
            if var not in tainted and any(e is not None and _carries(e, tainted) for e in exprs):
                tainted.add(var)
                changed = True
    return tainted


@rule("FL505", "security.caller_number_in_url", Severity.WARNING,
      hint="send the number in a POST body (`method \"POST\"` and `body caller.number`), or mask it first: "
           "`set masked = mask(caller.number)`")
def caller_number_in_url(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A fetch that puts the caller's phone number, unmasked, into its URL or headers.

    Anti-pattern: `url "https://crm.example.com/lookup?phone={caller.number}"`: URLs are written to
    access logs by every proxy, load balancer and server on the way; the numbers stay there.
    Best practice: POST the number in the request body over an allowlisted https host, or send
    `mask(caller.number)` when the service needs only part of it. Variables assigned from the
    number (other than through mask()) count as the number.
    """
    tainted = phone_vars(flow)
    for n in flow.nodes:
        if not isinstance(n, ir.FetchNode):
            continue
        places = [("URL", n.url)] + [(f"header {k}", v) for k, v in n.headers]
        for place, text in places:
            leaked = sorted({m.group(1).strip() for m in PLACEHOLDER.finditer(text)} & tainted)
            if leaked:
                yield caller_number_in_url.rule.diag(
                    f"fetch {n.id!r} puts a phone number in its {place} ({', '.join(leaked)})", n.origin)


@rule("FL509", "security.caller_number_read_back", Severity.INFO,
      hint="read back only the last digits, e.g. a variable set from mask(caller.number)")
def caller_number_read_back(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A prompt that reads the caller's full phone number aloud.

    Anti-pattern: `"We will call you back on {caller.number:digits}"` on a speakerphone in an open
    office: everyone nearby hears the whole number.
    Best practice: confirm with the last digits only (a variable set from `mask(caller.number)`).
    """
    tainted = phone_vars(flow)
    for p in flow.prompts:
        said = sorted({part["var"] for t in p.texts for part in t.parts if part.get("var") in tainted})
        if said:
            yield caller_number_read_back.rule.diag(
                f"prompt {p.id!r} reads a full phone number aloud ({', '.join(said)})", p.origin)


# ---------------------------------------------------------------- what callers type
_SENSITIVE_WORDS = {"pin": "a PIN", "pins": "a PIN", "passcode": "a passcode", "password": "a password",
                    "passwd": "a password", "cvv": "a CVV", "cvv2": "a CVV", "cvc": "a CVC",
                    "otp": "a one-time code"}


def _calls(e: Any, name: str) -> bool:
    """Whether an IR expression calls the builtin `name` anywhere inside it."""
    if isinstance(e, dict):
        return e.get("call") == name or any(_calls(v, name) for v in e.values())
    if isinstance(e, (list, tuple)):
        return any(_calls(v, name) for v in e)
    return False


def _sensitive_name(var: str | None) -> str | None:
    """What the variable's name says it holds (a PIN, a password, ...), if it names a secret."""
    return next((_SENSITIVE_WORDS[w] for w in re.split(r"[^a-z0-9]+", (var or "").lower()) if w in _SENSITIVE_WORDS),
                None)


@rule("FL510", "security.sensitive_input_in_clear", Severity.WARNING,
      hint="add `secure on` to the collect: the digits then stay out of logs, events, call records, "
           "reports and transcripts")
def sensitive_input_in_clear(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A collect that reads a card number (validated with luhn()) or a PIN, password, CVV or one-time code without `secure on`.

    Anti-pattern: `collect ask_card { validate luhn(input) into card }`: the whole card number is
    written to the call record, the logs and every observer's event stream, and `flowc call` prints it.
    Best practice: `secure on` in every collect that reads a card number, PIN, password, CVV or
    one-time code; read back at most the last four digits (`mask(card)`). Detected: a `luhn()`
    check in `validate`, or a variable named with pin, passcode, password, cvv, cvc or otp.
    """
    for n in flow.nodes:
        if not isinstance(n, ir.CollectNode) or n.secure or n.mode != "digits":
            continue
        if _calls(n.validate, "luhn"):
            what = "a card number (its validate checks luhn())"
        elif (named := _sensitive_name(n.var)) is not None:
            what = f"{named} (into {n.var})"
        else:
            continue
        yield sensitive_input_in_clear.rule.diag(f"collect {n.id!r} reads {what} in the clear", n.origin)
