"""Fetch, lookup and record: the nodes that wait for the outside world, each behind a guard timer."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlsplit

from flowlang import ir
from runtime import commands as c
from runtime.events import HttpResult, RecordingFinished, SqlResult
from runtime.expr import EvalError, Evaluator, to_text
from runtime.nodes.base import Behaviour, Ctx
from runtime.resources import host_allowed, private_address
from runtime.state import thaw

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def render(template: str, ev: Evaluator, encode: bool) -> str:
    """Fill `{name}` placeholders (URL-encoding each value when `encode`); `{{`/`}}` are braces."""
    def sub(m: re.Match) -> str:
        if m.group(0) in ("{{", "}}"):
            return m.group(0)[0]
        text = to_text(ev.path(m.group(1).strip()))
        return quote(text, safe="") if encode else text
    return _PLACEHOLDER.sub(sub, template)


def refusal(url: str, allowlist: tuple[str, ...], allow_private: bool) -> tuple[str, str] | None:
    """(host, why) when the engine must not fetch `url`; None when it may."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError as e:
        return "", f"malformed URL ({e})"
    if parts.scheme not in ("http", "https"):
        return host, f"scheme {parts.scheme!r} is not http or https"
    if not host:
        return host, "the URL has no host"
    if private_address(host) and not allow_private:
        return host, "a private, loopback or link-local address (set allow_private to permit)"
    if not host_allowed(host, allowlist):
        return host, "the host is not on the HTTP allowlist"
    return None


class Fetch(Behaviour):
    """An HTTP request to an allowlisted host; 2xx with JSON -> `ok` (stored), anything else -> `error`."""

    def enter(self, ctx: Ctx, node: ir.FetchNode) -> None:
        ev = ctx.evaluator()
        try:
            url = render(node.url, ev, encode=True)
            headers = tuple((k, render(v, ev, encode=False)) for k, v in node.headers)
            body = thaw(ev.eval(node.body)) if node.body is not None else None
        except EvalError as e:
            ctx.log("fetch_error", reason=ctx.eval_problem("request", e, ev.tainted))
            ctx.follow("error")
            return
        refused = refusal(url, ctx.res.http_allowlist, node.allow_private)
        if refused is not None:
            ctx.log("fetch_refused", host=refused[0], reason=refused[1])
            ctx.follow("error")
            return
        rid = ctx.new_id("h")
        ctx.emit(c.Fetch(rid, node.method, url, headers, body, node.timeout, ev.tainted))
        ctx.scratch(phase="fetch", request=rid)
        ctx.start_timer(node.timeout)

    def result(self, ctx: Ctx, node: ir.FetchNode, event: HttpResult) -> None:
        ctx.cancel_timer()
        ctx.scratch(request=None)
        ok = event.error is None and isinstance(event.status, int) and 200 <= event.status < 300
        body = event.body
        if ok and isinstance(body, (str, bytes, bytearray)):
            try:
                body = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                ok = False
        if ok and node.var and body is None:
            ok = False
        if not ok:
            ctx.log("fetch_failed", status=event.status, error=event.error or "not a 2xx JSON reply")
            ctx.follow("error")
            return
        if node.var:
            ctx.assign(node.var, body)
        ctx.log("fetch_ok", status=event.status)
        ctx.follow("ok")

    def timeout(self, ctx: Ctx, node: ir.FetchNode) -> None:
        ctx.scratch(request=None)
        ctx.log("fetch_failed", error=f"no reply within {node.timeout:g}s")
        ctx.follow("error")

    def failed(self, ctx: Ctx, node: ir.FetchNode, event) -> None:
        ctx.cancel_timer()
        ctx.scratch(request=None)
        ctx.log("fetch_failed", error=event.reason)
        ctx.follow("error")


class Lookup(Behaviour):
    """A parameterised SQL query: rows -> `ok` (stored), none -> `empty`, failure -> `error`."""

    def enter(self, ctx: Ctx, node: ir.LookupNode) -> None:
        params, secure = {}, False
        for a in node.params:
            ev = ctx.evaluator()
            try:
                params[a.var] = thaw(ev.eval(a.expr))
            except EvalError as e:
                ctx.log("lookup_error", reason=ctx.eval_problem(f"parameter {a.var}", e, ev.tainted))
                ctx.follow("error")
                return
            secure = secure or ev.tainted
        rid = ctx.new_id("q")
        ctx.emit(c.Lookup(rid, node.dsn, node.query, params, node.timeout, secure))
        ctx.scratch(phase="lookup", request=rid)
        ctx.start_timer(node.timeout)

    def result(self, ctx: Ctx, node: ir.LookupNode, event: SqlResult) -> None:
        ctx.cancel_timer()
        ctx.scratch(request=None)
        if event.error is not None or not isinstance(event.rows, (list, tuple)):
            ctx.log("lookup_failed", error=event.error or "no rows")
            ctx.follow("error")
            return
        ctx.log("lookup_ok", rows=len(event.rows))
        if not event.rows:
            ctx.follow_first(("empty", "error"))
            return
        if node.var:
            want_list = ctx.rt.var_type(node.var) == "list"
            ctx.assign(node.var, list(event.rows) if want_list else event.rows[0])
        ctx.follow("ok")

    def timeout(self, ctx: Ctx, node: ir.LookupNode) -> None:
        ctx.scratch(request=None)
        ctx.log("lookup_failed", error=f"no reply within {node.timeout:g}s")
        ctx.follow("error")

    def failed(self, ctx: Ctx, node: ir.LookupNode, event) -> None:
        ctx.cancel_timer()
        ctx.scratch(request=None)
        ctx.log("lookup_failed", error=event.reason)
        ctx.follow("error")


class Record(Behaviour):
    """Prompt, then record; the recording's name goes into the variable. A recording that fails
    or never reports still continues (the message is lost, the caller is not)."""

    def enter(self, ctx: Ctx, node: ir.RecordNode) -> None:
        if ctx.play(node.prompts, False):
            ctx.scratch(phase="prompt")
        else:
            self.played(ctx, node)

    def played(self, ctx: Ctx, node: ir.RecordNode) -> None:
        name = ctx.new_id("r")
        ctx.emit(c.Record(name, node.max_length, node.max_silence, node.beep, node.terminator))
        ctx.scratch(phase="recording", request=name)
        ctx.start_timer(node.max_length + ctx.res.settings.grace)

    def result(self, ctx: Ctx, node: ir.RecordNode, event: RecordingFinished) -> None:
        ctx.cancel_timer()
        ctx.scratch(request=None)
        if node.var:
            ctx.assign(node.var, event.name)
        ctx.log("recorded", name=event.name, duration=event.duration)
        ctx.follow("next")

    def timeout(self, ctx: Ctx, node: ir.RecordNode) -> None:
        ctx.scratch(request=None)
        ctx.log("record_failed", error="no RecordingFinished before the guard timer")
        ctx.follow("next")

    def failed(self, ctx: Ctx, node: ir.RecordNode, event) -> None:
        ctx.cancel_timer()
        ctx.scratch(request=None)
        ctx.log("record_failed", error=event.reason)
        ctx.follow("next")
