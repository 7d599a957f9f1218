"""FL5xx security rules about where calls and data go: outbound HTTP, transfers, SQL lookups.

Secrets in flow text and callers' phone numbers (FL504, FL505, FL509) are in `disclosure.py`.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Iterator

from flowlang import ir
from flowlang.analysis.graph import FlowGraph
from flowlang.diagnostics import Diagnostic, Severity
from flowlang.validate.config import Config
from flowlang.analysis.inline import per_flow
from flowlang.validate.registry import rule

PLACEHOLDER = re.compile(r"\{([^{}:]+)(?::[^{}]*)?\}")


# ---------------------------------------------------------------- URLs
@dataclass(frozen=True)
class Url:
    """The parts of a URL template that matter for outbound-request rules."""

    scheme: str
    host: str  # lower case, brackets stripped from IPv6; may contain '{' when templated
    port: str


_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)")


@functools.lru_cache(maxsize=4096)  # flows repeat a few hosts in many fetches
def split_url(template: str) -> Url | None:
    """Scheme, host and port of an absolute URL template; None when it is not absolute."""
    m = _URL.match(template.strip())
    if not m:
        return None
    hostport = m.group(2).rpartition("@")[2]
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = hostport.partition(":")
    return Url(m.group(1).lower(), host.lower().rstrip("."), port)


@functools.lru_cache(maxsize=4096)
def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host names literally, including the short/decimal/hex IPv4 forms (127.1, 0x7f000001)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if re.fullmatch(r"(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,3}", host, re.I):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_loopback(host: str) -> bool:
    ip = ip_literal(host)
    return host == "localhost" or host.endswith(".localhost") or (ip is not None and ip.is_loopback)


def is_internal(host: str) -> bool:
    """Loopback, private, link-local (cloud metadata), reserved or unspecified."""
    ip = ip_literal(host)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip is None:
        return is_loopback(host)
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified \
        or ip.is_multicast


def host_allowed(url: Url, patterns: tuple[str, ...]) -> bool:
    """Whether `host[:port]` matches an allowlist entry (`api.example.com`, `*.example.com`, `h:8443`)."""
    for pattern in patterns:
        pat = re.sub(r"^[a-z]+://", "", pattern.strip().lower()).split("/")[0]
        if pat.startswith("["):
            phost, _, rest = pat[1:].partition("]")
            pport = rest[1:]
        else:
            phost, _, pport = pat.partition(":")
        if pport and pport != url.port:
            continue
        if url.host == phost or ("*" in phost and fnmatchcase(url.host, phost)):
            return True
    return False


@per_flow
def _fetches(flow: ir.Flow) -> list[tuple[ir.FetchNode, Url | None]]:
    """Each fetch node with its URL split (several rules read them)."""
    return [(n, split_url(n.url)) for n in flow.nodes if isinstance(n, ir.FetchNode)]


@rule("FL501", "security.http_host_not_allowed", Severity.ERROR,
      hint='list the host in flowlang.toml: [http] allow = ["api.example.com"] (or "*.example.com")')
def http_host_not_allowed(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """An HTTP fetch to a host that is not on the project's allowlist, or whose host is templated.

    Anti-pattern: `url "https://{host}/v1/balance"`: whoever controls `host` chooses where the call's
    data goes; `url "https://api.partner.example/..."` added in a hurry, never reviewed.
    Best practice: a fixed host in every URL, listed under `[http] allow` in flowlang.toml, so that
    new destinations show up in review.
    """
    r = http_host_not_allowed.rule
    for n, url in _fetches(flow):
        if url is None or url.scheme not in ("http", "https"):
            yield r.diag(f"fetch {n.id!r}: {n.url!r} is not an absolute http(s) URL with a fixed host", n.origin,
                         hint='write the full URL: url "https://api.example.com/v1/..."')
        elif "{" in url.host or "{" in url.port:
            yield r.diag(f"fetch {n.id!r}: the host of {n.url!r} is filled in at run time; "
                         "the caller must not choose where requests go", n.origin,
                         hint="write the host literally and put variables in the path or body")
        elif not host_allowed(url, config.http_allowlist):
            where = "the [http] allow list" if config.http_allowlist else "the [http] allow list (empty)"
            yield r.diag(f"fetch {n.id!r}: host {url.host!r} is not on {where}", n.origin)


@rule("FL502", "security.plain_http", Severity.ERROR,
      hint="use https:// (TLS); plain http is acceptable only to localhost")
def plain_http(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A fetch over plain `http://` to a host other than loopback.

    Anti-pattern: `url "http://crm.example.com/customers/{account}"`: account numbers and replies
    cross the network unencrypted and can be read or altered on the way.
    Best practice: `https://` everywhere; plain http only to a sidecar on localhost.
    """
    for n, url in _fetches(flow):
        if url is not None and url.scheme == "http" and not is_loopback(url.host):
            yield plain_http.rule.diag(f"fetch {n.id!r} uses plain http:// to {url.host!r}", n.origin)


@rule("FL503", "security.private_address", Severity.ERROR,
      hint="call a public service name, or set `allow_private on` in the fetch if the internal address is intended")
def private_address(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A fetch to a loopback, private or link-local address (server-side request forgery).

    Anti-pattern: `url "http://169.254.169.254/latest/meta-data/"` (cloud credentials) or
    `url "http://10.0.0.5/admin"`: the runtime reaches into networks the flow's author should not.
    Best practice: call services by their public, allowlisted names; when an internal address is
    really meant, say so with `allow_private on` so that a reviewer sees it.
    """
    for n, url in _fetches(flow):
        if url is not None and not n.allow_private and "{" not in url.host and is_internal(url.host):
            yield private_address.rule.diag(
                f"fetch {n.id!r} targets the internal address {url.host!r}", n.origin)


# ---------------------------------------------------------------- data flow of variables
@per_flow
def writers(flow: ir.Flow) -> dict[str, list[ir.Expr | None]]:
    """For each variable, the expressions assigned to it (None: a value from outside the flow)."""
    out: dict[str, list[ir.Expr | None]] = {}
    declared = list(flow.variables) + [v for s in flow.subflows for v in s.params + s.outputs]
    for v in declared:
        out.setdefault(v.name, []).extend(() if v.default is None else ({"lit": v.default},))
    for n in flow.nodes:
        for a in getattr(n, "assignments", ()) + getattr(n, "args", ()) + getattr(n, "values", ()):
            out.setdefault(a.var, []).append(a.expr)
        for output, var in getattr(n, "outputs", ()):
            out.setdefault(var, []).append({"var": output})
        if getattr(n, "var", None):
            out.setdefault(n.var, []).append(None)
        for q in getattr(n, "questions", ()):
            out.setdefault(q.var, []).append(None)
    return out


# ---------------------------------------------------------------- transfers
Shape = tuple[str, str]  # ("exact", text) or ("prefix", text)


def shapes(e: ir.Expr, table: dict[str, list[ir.Expr | None]], depth: int = 0) -> set[Shape] | None:
    """The literal values (or literal prefixes) an expression can take; None when unknown."""
    if depth > 6:
        return None
    if "lit" in e:
        return {("exact", str(e["lit"]))} if isinstance(e["lit"], str) else None
    if "var" in e:
        exprs = table.get(e["var"])
        if not exprs or any(x is None for x in exprs):
            return None
        out: set[Shape] = set()
        for x in exprs:
            s = shapes(x, table, depth + 1)
            if s is None:
                return None
            out |= s
        return out
    if e.get("op") == "+" and len(e["args"]) == 2:
        left = shapes(e["args"][0], table, depth + 1)
        if left is None:
            return None
        right = shapes(e["args"][1], table, depth + 1) or {("prefix", "")}
        out = {(("exact" if lk == rk == "exact" else "prefix"), lv + rv if lk == "exact" else lv)
               for lk, lv in left for rk, rv in right}
        return out if len(out) <= 64 else None
    return None


def render(e: ir.Expr) -> str:
    """A short text of an expression, for messages."""
    if "lit" in e:
        return repr(e["lit"]) if isinstance(e["lit"], str) else str(e["lit"])
    if "var" in e:
        return e["var"]
    if e.get("op") == "+":
        return " + ".join(render(a) for a in e["args"])
    if "call" in e:
        return f"{e['call']}({', '.join(render(a) for a in e.get('args', ()))})"
    if "get" in e:
        return f"{render(e['get'])}.{e['key']}"
    return "an expression"


def covered(shape: Shape, patterns: tuple[str, ...]) -> bool:
    kind, text = shape
    if kind == "exact":
        return any(fnmatchcase(text, p) for p in patterns)
    return any(p.endswith("*") and not re.search(r"[*?\[]", p[:-1]) and text.startswith(p[:-1]) for p in patterns)


@rule("FL506", "security.transfer_destination", Severity.ERROR,
      hint='list allowed destinations in flowlang.toml: [transfer] allow = ["PJSIP/*", "+8610*"]')
def transfer_destination(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A transfer whose destination is computed at run time (or literal) and not on the transfer allowlist.

    Anti-pattern: `to "00" + input`: the caller types an international premium-rate number and the
    contact center pays for the call (toll fraud).
    Best practice: transfer to literal endpoints, or pick among literals in `set` nodes; when a
    destination must be computed, allow only its shape in flowlang.toml (`[transfer] allow =
    ["PJSIP/*"]` covers `to "PJSIP/" + extension`). With an allowlist, literals must match it too.
    """
    table, allow = writers(flow), config.transfer_allowlist
    for n in flow.nodes:
        if not isinstance(n, ir.TransferNode):
            continue
        found = shapes(n.destination, table)
        if found is None:
            yield transfer_destination.rule.diag(
                f"transfer {n.id!r} dials a destination computed at run time ({render(n.destination)})"
                + ("" if allow else "; no [transfer] allow list is configured"), n.origin)
            continue
        for kind, text in sorted(found):
            if kind == "prefix" and not covered((kind, text), allow):
                yield transfer_destination.rule.diag(
                    f"transfer {n.id!r} dials {text!r} followed by a run-time value "
                    f"({render(n.destination)}); no [transfer] allow pattern covers {text + '*'!r}", n.origin)
            elif kind == "exact" and allow and not covered((kind, text), allow):
                yield transfer_destination.rule.diag(
                    f"transfer {n.id!r}: destination {text!r} is not on the [transfer] allow list", n.origin)


# ---------------------------------------------------------------- SQL
_SPLICE = re.compile(r"\{\s*[A-Za-z_][\w.]*\s*(?::\w+)?\s*\}")
_SQL_NOISE = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|--[^\n]*|/\*.*?\*/", re.S)
_WRITE = re.compile(
    r"(?i)^\s*\(?\s*(insert|update|delete|drop|alter|create|truncate|merge|replace|grant|revoke|upsert)\b"
    r"|\b(insert\s+into|delete\s+from|update\s+\w+(?:\.\w+)?\s+set|drop\s+(table|database|schema|index|view)"
    r"|truncate\s+table|alter\s+table)\b")


@rule("FL507", "security.unsafe_lookup", Severity.ERROR,
      hint="bind values as parameters (`params acct: account`, `:acct` in the query) and use a DSN "
           "configured in flowlang.toml ([sql] dsns)")
def unsafe_lookup(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A lookup whose query splices values into SQL text, or whose DSN is not configured.

    Anti-pattern: `query "SELECT * FROM cards WHERE number = '{account}'"`: a caller who types
    `1' OR '1'='1` reads other people's rows (SQL injection); `dsn prod_admin` pointing at a
    database nobody reviewed.
    Best practice: `params acct: account` with `:acct` in the query text, so the driver binds the
    value; name only DSNs listed under `[sql] dsns` in flowlang.toml.
    """
    r = unsafe_lookup.rule
    for n in flow.nodes:
        if not isinstance(n, ir.LookupNode):
            continue
        if not n.dsn:
            yield r.diag(f"lookup {n.id!r} names no `dsn`", n.origin)
        elif config.dsns and n.dsn not in config.dsns:
            yield r.diag(f"lookup {n.id!r}: DSN {n.dsn!r} is not configured ([sql] dsns)", n.origin)
        if not n.query.strip():
            yield r.diag(f"lookup {n.id!r} has no `query`", n.origin)
        elif m := _SPLICE.search(n.query):
            yield r.diag(f"lookup {n.id!r} splices {m.group(0)} into its SQL text instead of binding it", n.origin)


def sql_writes(query: str) -> str | None:
    """The writing verb of a query (INSERT, UPDATE, ...), ignoring string literals and comments."""
    for statement in _SQL_NOISE.sub(" ", query).split(";"):
        m = _WRITE.search(statement)
        if m:
            return (m.group(1) or m.group(2)).split()[0].upper()
    return None


@rule("FL508", "security.lookup_writes", Severity.ERROR,
      hint="keep lookups to SELECT; record results with a fetch to a service that owns the data")
def lookup_writes(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A lookup whose SQL writes (INSERT, UPDATE, DELETE, DROP, ...): lookups are read-only.

    Anti-pattern: `query "UPDATE accounts SET blocked = 1 WHERE card = :card"` in a call flow: a
    flow retried after a timeout writes twice, and the IVR's database account needs write rights.
    Best practice: lookups read with SELECT through a read-only DSN; changes go through a service
    (a `fetch`) that validates and audits them.
    """
    for n in flow.nodes:
        if isinstance(n, ir.LookupNode) and (verb := sql_writes(n.query)):
            yield lookup_writes.rule.diag(f"lookup {n.id!r} runs {verb}; lookups are read-only", n.origin)
