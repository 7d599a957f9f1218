"""Request parameters as Asterisk reads them: query strings (comma lists allowed) and a JSON body."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .model import AriHttpError


class Params:
    """Query parameters and JSON body of one request, with Asterisk's 400 answers."""

    def __init__(self, request: web.Request, body: dict[str, Any]) -> None:
        self.query = request.query
        self.path = request.match_info
        self.body = body

    def get(self, name: str, default: str | None = None) -> str | None:
        """One query parameter; empty counts as absent."""
        value = self.query.get(name)
        return default if value is None or value == "" else value

    def required(self, name: str, message: str | None = None) -> str:
        """A parameter that must be there (400 otherwise)."""
        value = self.get(name)
        if value is None:
            raise AriHttpError(400, message or f"Missing required field {name}")
        return value

    def int(self, name: str, default: int | None = None, *, minimum: int | None = None) -> int | None:
        """An integer parameter (400 when malformed or below minimum)."""
        value = self.get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise AriHttpError(400, f"{name} must be an integer") from None
        if minimum is not None and number < minimum:
            raise AriHttpError(400, f"{name} must be >= {minimum}")
        return number

    def bool(self, name: str, default: bool = False) -> bool:
        """A boolean parameter: true/false, yes/no, 1/0, on/off."""
        value = self.get(name)
        if value is None:
            return default
        if value.lower() in ("true", "yes", "1", "on"):
            return True
        if value.lower() in ("false", "no", "0", "off"):
            return False
        raise AriHttpError(400, f"{name} must be a boolean")

    def list(self, name: str) -> list[str]:
        """An allowMultiple parameter: repeated and/or comma-separated values."""
        return [part for value in self.query.getall(name, []) for part in value.split(",") if part]

    def variables(self) -> dict[str, str]:
        """The body's `variables` object; values may be strings or {"value": …}."""
        raw = self.body.get("variables") or {}
        if not isinstance(raw, dict):
            raise AriHttpError(400, "variables must be an object")
        return {str(k): str(v.get("value", "") if isinstance(v, dict) else v) for k, v in raw.items()}
