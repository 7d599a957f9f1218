"""`flowc check-asterisk`: FL6xx findings in ari.conf and http.conf, a table of small checks.

Files are recognised by base name (`ari.conf`, `http.conf`, or `<flow>-ari.conf` and
`<flow>-http.conf` as `flowc compile --emit asterisk` names them for several flows); others are
ignored. A check whose file is absent reports nothing, so linting ari.conf alone is fine.
"""

from __future__ import annotations

import ipaddress
from pathlib import PurePath
from typing import Callable, Iterator, Mapping

from flowlang.codegen import codes
from flowlang.codegen.confparse import ConfFile, Option, Section, parse_conf
from flowlang.diagnostics import Diagnostic, Severity

Files = Mapping[str, ConfFile]  # base name (lower case) -> parsed file

TRUE = {"yes", "true", "y", "t", "1", "on"}
COMMON_PASSWORDS = frozenset({
    "asterisk", "password", "passw0rd", "secret", "changeme", "change_me", "admin", "administrator",
    "ari", "ari_user", "asterisk123", "123456", "12345678", "123456789", "1234", "0000", "test",
    "qwerty", "letmein", "default", "root", "pass", "guest", "welcome", "s3cret", "ariuser",
})
MIN_PLAIN_LENGTH = 12


def is_loopback(address: str) -> bool:
    """Whether a bind address (`127.0.0.1`, `127.0.0.1:8088`, `[::1]:8088`, `localhost`) is loopback."""
    host = address.strip()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if host.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name, or 0.0.0.0-style junk: assume it is reachable


def _ari_users(files: Files) -> Iterator[Section]:
    ari = files.get("ari.conf")
    for s in ari.sections if ari else ():
        if s.value("type").lower() == "user":
            yield s


def _http_general(files: Files) -> Section | None:
    http = files.get("http.conf")
    general = http.section("general") if http else None
    if general is None or general.value("enabled", "no").lower() not in TRUE:
        return None
    return general


def _exposed_listeners(files: Files) -> list[Option]:
    """bindaddr / tlsbindaddr options of an enabled HTTP server that are not on loopback."""
    general = _http_general(files)
    if general is None:
        return []
    found = [general.get("bindaddr")]
    if general.value("tlsenable", "no").lower() in TRUE:
        found.append(general.get("tlsbindaddr"))
    return [o for o in found if o is not None and o.value and not is_loopback(o.value)]


def check_plaintext_password(files: Files) -> Iterator[Diagnostic]:
    for user in _ari_users(files):
        fmt = user.value("password_format", "plain").lower() or "plain"
        if fmt != "crypt":
            where = user.get("password_format") or user.get("password")  # the line that decides
            yield codes.PLAINTEXT_PASSWORD.diag(
                f"ARI user [{user.name}] stores its password in plain text (password_format = {fmt})",
                where.span if where else user.span)


def check_allowed_origins(files: Files) -> Iterator[Diagnostic]:
    ari = files.get("ari.conf")
    general = ari.section("general") if ari else None
    if general is None:
        return
    opt = general.get("allowed_origins")
    origins = [o.strip() for o in opt.value.split(",")] if opt else []
    if "*" in origins:
        yield codes.ANY_ORIGIN.diag("`allowed_origins = *` lets a page from any web site use ARI", opt.span)
    elif not any(origins) and (listeners := _exposed_listeners(files)):
        yield codes.ANY_ORIGIN.diag(
            f"ARI sets no allowed_origins while Asterisk's HTTP server listens on {listeners[0].value}",
            (opt or general).span).with_severity(Severity.WARNING)


def check_http_bind(files: Files) -> Iterator[Diagnostic]:
    general = _http_general(files)
    opt = general.get("bindaddr") if general else None
    if general is None or opt is None or not opt.value or is_loopback(opt.value):
        return
    if general.value("tlsenable", "no").lower() in TRUE:
        msg = (f"plain HTTP listens on {opt.value}: Asterisk still serves it on bindaddr when "
               "tlsenable = yes, so ARI passwords can cross the network unencrypted")
    else:
        msg = f"ARI is served over plain HTTP on {opt.value}, with no TLS (tlsenable is not yes)"
    yield codes.PLAIN_HTTP_EXPOSED.diag(msg, opt.span)


def _weakness(user: str, password: str) -> str | None:
    if not password:
        return "has no password"
    if password.lower() in COMMON_PASSWORDS:
        return "uses a common default password"
    if password.lower() == user.lower():
        return "uses its own name as password"
    if len(set(password)) < 4:
        return "has a password of fewer than 4 distinct characters"
    if len(password) < MIN_PLAIN_LENGTH:
        return f"has a password shorter than {MIN_PLAIN_LENGTH} characters"
    return None


def check_weak_password(files: Files) -> Iterator[Diagnostic]:
    for user in _ari_users(files):
        opt = user.get("password")
        password = opt.value if opt else ""
        crypt = user.value("password_format", "plain").lower() == "crypt"
        why = "has no password" if not password else None if crypt else _weakness(user.name, password)
        if why:
            yield codes.WEAK_PASSWORD.diag(f"ARI user [{user.name}] {why}", (opt or user).span)


CHECKS: tuple[Callable[[Files], Iterator[Diagnostic]], ...] = (
    check_plaintext_password, check_allowed_origins, check_http_bind, check_weak_password,
)


def check_asterisk_config(files: Mapping[str, str]) -> list[Diagnostic]:
    """FL6xx diagnostics for Asterisk config texts keyed by file name (or path), sorted by place.

    `<prefix>-ari.conf` and `<prefix>-http.conf` (what `flowc compile --emit asterisk` writes for
    several flows) are checked as one set per folder and prefix, like `ari.conf` and `http.conf`."""
    groups: dict[tuple[str, str], dict[str, ConfFile]] = {}
    for name, text in files.items():
        path = PurePath(name)
        base = path.name.lower()
        prefix, dash, role = base.rpartition("-")
        if not (dash and role in ("ari.conf", "http.conf")):
            prefix, role = "", base
        groups.setdefault((str(path.parent), prefix), {})[role] = parse_conf(name, text)
    out = [d for parsed in groups.values() for check in CHECKS for d in check(parsed)]
    return sorted(out, key=Diagnostic.sort_key)
