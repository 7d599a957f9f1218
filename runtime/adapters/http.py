"""HTTP for `fetch` nodes: aiohttp with a timeout, the host allowlist re-checked, and no SSRF.

The engine already refuses hosts off the allowlist and private IP literals; this adapter checks
again at the edge, where the name is resolved: a host that RESOLVES to a private, loopback,
link-local or otherwise non-global address is refused unless the host is listed in
`private_hosts` (config `[http] private`) or the fetch node says `allow_private on`. The check
runs inside the connector's resolver (no DNS cache, so a rebinding name is checked on every
connection), redirects are not followed, and replies are capped at `max_body` bytes.
URLs and bodies are never logged (a secure fetch carries a PIN).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
from typing import Any, Callable
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from runtime.commands import Fetch
from runtime.resources import host_allowed, private_address

log = logging.getLogger("runtime.http")
MAX_BODY = 1_000_000
Reply = tuple["int | None", Any, "str | None"]  # (status, body, error) as HttpResult wants them


class RefusedAddress(OSError):
    """The host resolved to an address the runtime must not call."""


def non_global(address: str) -> bool:
    """An address outside the public internet (private, loopback, link-local, CGNAT, reserved…)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


class GuardedResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver, then refuses non-global addresses when asked to."""

    def __init__(self, private_ok: Callable[[str], bool]) -> None:
        self._inner = DefaultResolver()
        self._private_ok = private_ok

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        infos = await self._inner.resolve(host, port, family)
        if not self._private_ok(host) and any(non_global(i["host"]) for i in infos):
            raise RefusedAddress(f"{host} resolves to a private, loopback or link-local address")
        return infos

    async def close(self) -> None:
        await self._inner.close()


class HttpFetcher:
    """Carries out Fetch commands; one pooled session for strict fetches, one for allow_private."""

    def __init__(self, allowlist: tuple[str, ...], private_hosts: tuple[str, ...] = (), *,
                 max_body: int = MAX_BODY) -> None:
        self.allowlist = tuple(allowlist)
        self.private_hosts = tuple(private_hosts)
        self.max_body = max_body
        self._sessions: dict[bool, aiohttp.ClientSession] = {}

    def _session(self, lenient: bool) -> aiohttp.ClientSession:
        session = self._sessions.get(lenient)
        if session is None or session.closed:
            ok = (lambda host: True) if lenient else (lambda host: host_allowed(host, self.private_hosts))
            connector = aiohttp.TCPConnector(resolver=GuardedResolver(ok), use_dns_cache=False)
            session = self._sessions[lenient] = aiohttp.ClientSession(connector=connector)
        return session

    def refusal(self, url: str, allow_private: bool) -> str | None:
        """Why the URL must not be fetched (before any connection), or None."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:
            return "malformed URL"
        if parts.scheme not in ("http", "https") or not host:
            return "not an http(s) URL with a host"
        if not host_allowed(host, self.allowlist):
            return f"host {host} is not on the HTTP allowlist"
        literal = _is_ip(host)
        if literal and (private_address(host) or non_global(host)) and not self._private_ok(host, allow_private):
            return f"host {host} is a private, loopback or link-local address"
        return None

    def _private_ok(self, host: str, allow_private: bool) -> bool:
        return allow_private or host_allowed(host, self.private_hosts)

    async def fetch(self, cmd: Fetch, allow_private: bool = False) -> Reply:
        """(status, body text, error) for the engine's HttpResult; never raises."""
        why = self.refusal(cmd.url, allow_private)
        if why is not None:
            log.warning("fetch refused: %s", why)
            return None, None, f"refused: {why}"
        host = (urlsplit(cmd.url).hostname or "").lower()
        session = self._session(self._private_ok(host, allow_private))
        kwargs: dict[str, Any] = {"headers": dict(cmd.headers), "allow_redirects": False,
                                  "timeout": aiohttp.ClientTimeout(total=max(0.05, cmd.timeout))}
        if cmd.body is not None:
            kwargs["data"] = json.dumps(cmd.body, ensure_ascii=False).encode()
            kwargs["headers"].setdefault("Content-Type", "application/json")
        try:
            async with session.request(cmd.method, cmd.url, **kwargs) as response:
                body = await response.content.read(self.max_body + 1)
                status = response.status
        except asyncio.TimeoutError:
            return None, None, f"no reply within {cmd.timeout:g}s"
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            refused = _refused(exc)
            if refused is not None:
                log.warning("fetch refused: %s", refused)
                return None, None, f"refused: {refused}"
            return None, None, f"request failed: {type(exc).__name__}"
        if len(body) > self.max_body:
            return status, None, f"reply larger than {self.max_body} bytes"
        log.debug("fetch %s %s -> %s", cmd.method, host, status)
        return status, body.decode("utf-8", errors="replace"), None

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return private_address(host)  # 127.1, 2130706433 and friends


def _refused(exc: BaseException) -> str | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, RefusedAddress):
            return str(seen)
        nested = getattr(seen, "os_error", None)
        if isinstance(nested, RefusedAddress):
            return str(nested)
        seen = seen.__cause__ or seen.__context__
    return None
