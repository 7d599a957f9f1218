"""`flowc compile --emit asterisk`: the dialplan, ari.conf and http.conf that hand calls to the runtime.

Every value that reaches a template is checked against a strict pattern first (CodegenError names
the bad value); the templates escape again on output, so nothing from a flow can end a comment,
split an application's arguments or start a new config line.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Sequence

import jinja2

from flowlang import ir
from flowlang.codegen.lint import is_loopback


class CodegenError(ValueError):
    """An option or flow name that cannot be written safely into Asterisk's configuration."""


# A crypt(3) hash that no password produces: logins fail until a real `mkpasswd -m sha-512` hash
# replaces it (fail closed; never ship a usable default secret).
PLACEHOLDER_HASH = "$6$PLACEHOLDER$REPLACE.ME.with.the.output.of.mkpasswd.for.a.long.random.password"

_PATTERNS = {
    "app": (re.compile(r"[A-Za-z0-9_.-]{1,64}"), "letters, digits, '_', '.' and '-'"),
    "flow name": (re.compile(r"\w{1,80}"), "letters, digits and '_'"),
    "context": (re.compile(r"[A-Za-z0-9_.-]{1,79}"), "letters, digits, '_', '.' and '-' (at most 79)"),
    "did": (re.compile(r"\+?[0-9*#]{1,32}|_[0-9XNZxnz.!\[\]*#+-]{1,40}|s"),
            "digits with an optional leading '+', '*' and '#', an Asterisk pattern such as _X. or s"),
    "ari user": (re.compile(r"[A-Za-z0-9_.-]{1,64}"), "letters, digits, '_', '.' and '-'"),
    "password hash": (re.compile(r"\$(1|5|6|2[aby]|y)\$[./A-Za-z0-9$=]{8,200}"),
                      "a crypt(3) hash such as the output of `mkpasswd -m sha-512`"),
    "origin": (re.compile(r"https?://[A-Za-z0-9.\-\[\]:]{1,253}"), "scheme://host[:port]"),
    "sound": (re.compile(r"[A-Za-z0-9_/.-]{1,128}(&[A-Za-z0-9_/.-]{1,128}){0,7}"),
              "sound file names (no extension), joined by '&'"),
}


def check_value(what: str, value: str) -> str:
    """`value` when it is a safe `what` (see _PATTERNS); else CodegenError naming what is allowed."""
    pattern, allowed = _PATTERNS[what]
    if not isinstance(value, str) or not pattern.fullmatch(value) or (what == "sound" and ".." in value):
        raise CodegenError(f"{what} {value!r} cannot be written into Asterisk's configuration: "
                           f"use {allowed}")
    return value


_DIALPLAN_SPECIAL = re.compile(r"([\\,;()\[\]{}$\"'|&^])")


def dialplan_escape(value: str) -> str:
    """A value for a dialplan application argument: specials backslash-escaped, no line breaks."""
    return _DIALPLAN_SPECIAL.sub(r"\\\1", str(value).replace("\r", " ").replace("\n", " "))


def conf_escape(value: str) -> str:
    """A value for a `key = value` line: `;` escaped (it starts a comment), no line breaks."""
    return str(value).replace("\r", " ").replace("\n", " ").replace(";", "\\;")


def comment(value: str) -> str:
    """Text for a `;` comment line: one line only, so it can never start a config line."""
    return " ".join(str(value).split())


@dataclass(frozen=True)
class AsteriskOptions:
    """Everything the templates print, each value already checked."""

    flow: str
    title: str
    version: str
    app: str
    did: str
    context: str
    ari_user: str
    password_hash: str
    bind: str
    port: int
    allowed_origins: tuple[str, ...]
    fallback_sound: str
    tls_bind: str | None
    placeholder_hash: bool


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("flowlang.codegen", "templates"), undefined=jinja2.StrictUndefined,
        autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(dialplan=dialplan_escape, conf=conf_escape, comment=comment,
                       dialplan_sound=lambda v: "&".join(dialplan_escape(p) for p in str(v).split("&")))
    return env


TEMPLATES = {"extensions.conf": "extensions.conf.j2", "ari.conf": "ari.conf.j2", "http.conf": "http.conf.j2"}


def _user_for(name: str) -> str:
    if check_value("ari user", name).lower() == "general":
        raise CodegenError("ari user 'general' would collide with ari.conf's [general] section")
    return name


def _context_for(flow: ir.Flow, context: str | None) -> str:
    if context is not None:
        return check_value("context", context)
    default = f"flowlang-{flow.name}"
    if not _PATTERNS["context"][0].fullmatch(default):
        raise CodegenError(f"flow name {flow.name!r} does not make a valid dialplan context name: "
                           "pass context= (ASCII letters, digits, '_', '.', '-')")
    return default


def emit_asterisk(flow: ir.Flow, *, app: str, did: str | None = None, context: str | None = None,
                  ari_user: str = "flowlang", password_hash: str | None = None, bind: str = "127.0.0.1",
                  port: int = 8088, allowed_origins: Sequence[str] | None = None,
                  fallback_sound: str = "ss-noservice", tls_bind: str | None = None) -> dict[str, str]:
    """{"extensions.conf", "ari.conf", "http.conf"}: config text that routes `did` to `Stasis(app, flow)`.

    Without `password_hash` ari.conf gets a placeholder hash that matches no password (logins fail
    until it is replaced). `tls_bind` ("addr:port") adds an active HTTPS listener for a remote runtime.
    """
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise CodegenError(f"port {port!r} is not a TCP port (1-65535)")
    bind = _check_address(bind)
    if not is_loopback(bind):
        raise CodegenError(f"bind {bind!r} is not a loopback address: plain HTTP must stay on this "
                           "host (FL603); give tls_bind='<address>:8089' for a runtime on another host")
    origins = tuple(allowed_origins) if allowed_origins is not None else (f"http://{bind}:{port}",)
    if not origins or "*" in origins:
        raise CodegenError("allowed_origins must list exact origins (scheme://host:port); never '*'")
    opts = AsteriskOptions(
        flow=check_value("flow name", flow.name), title=flow.title, version=flow.version,
        app=check_value("app", app), did=check_value("did", did) if did is not None else "_X.",
        context=_context_for(flow, context), ari_user=_user_for(ari_user),
        password_hash=check_value("password hash", password_hash or PLACEHOLDER_HASH), bind=bind,
        port=port, allowed_origins=tuple(check_value("origin", o) for o in origins),
        fallback_sound=check_value("sound", fallback_sound),
        tls_bind=_check_tls_bind(tls_bind), placeholder_hash=password_hash is None)
    env = _environment()
    return {name: env.get_template(tpl).render(o=opts) for name, tpl in TEMPLATES.items()}


def _check_tls_bind(tls_bind: str | None) -> str | None:
    if tls_bind is None:
        return None
    host, sep, port = tls_bind.rpartition(":")
    if not sep or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise CodegenError(f"tls_bind {tls_bind!r} must be address:port, e.g. 0.0.0.0:8089")
    _check_address(host)
    return tls_bind


def _check_address(address: str) -> str:
    host = address[1:-1] if address.startswith("[") and address.endswith("]") else address
    try:
        if host != "localhost":
            ipaddress.ip_address(host)
    except ValueError:
        raise CodegenError(f"{address!r} is not an IP address (or localhost)") from None
    return address
