"""Pseudonymous caller keys: a keyed hash of the caller's number, never reversible without the secret.

    keys = caller_keys_for("sqlite:///flowlang.db")     # FLOWLANG_CALLER_KEY, else flowlang.db.caller-key
    keys.key("+86 138-0013-8000") == keys.key("008613800138000")    # one caller, however formatted
    keys.key("+8613800138000") != keys.key("+8613900138000")       # the last four digits collide no more

`caller_key = HMAC-SHA256(secret, normalized number)`, hex, cut to 32 characters (128 bits). The
store keeps it in `calls.caller_key` (migration 0004) so repeat callers are counted exactly across
restarts, and the ACD remembers which agent last served a caller by it. Whoever holds the database
but not the secret cannot tell a number from its key (the space of phone numbers is small, so the
hash is keyed: a plain SHA-256 would be reversed by trying every number).

The secret, in this order: `FLOWLANG_CALLER_KEY` (or a value passed in, e.g. from flowlang.toml's
`[runtime] caller_key_file`); else, for an SQLite store, the file `<database>.caller-key` next to the
database, created once with mode 0600 (32 random bytes, hex). A PostgreSQL store is shared by
several workers, which must all hash with the same secret: there it has to be given, and a missing
one is a StoreError that says how.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Mapping

from runtime.storage.dialects import SqliteDialect, dialect_for
from runtime.storage.model import StoreError

log = logging.getLogger("flowlang.storage")
ENV = "FLOWLANG_CALLER_KEY"
KEY_CHARS = 32  # hex characters kept: 128 bits
MIN_SECRET = 16  # characters a given secret must have at least
SUFFIX = ".caller-key"
_NOT_DIGIT = re.compile(r"\D")
HOW = "python3 -c 'import secrets; print(secrets.token_hex(32))'"


def normalize(number: str) -> str:
    """The digits that name a caller: formatting and a leading `+` or `00` removed, any script's
    digits as ASCII; "" when there are none (withheld, `anonymous`)."""
    text = number.strip()
    digits = _NOT_DIGIT.sub("", text)  # (\d: any script's decimal digits)
    if not digits.isascii():
        digits = "".join(str(int(ch)) for ch in digits)
    if not text.startswith("+") and digits.startswith("00"):
        digits = digits[2:]
    return digits


class CallerKeys:
    """Turns caller numbers into keys with one secret (see the module docstring)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET:
            raise StoreError(f"the caller-key secret must have at least {MIN_SECRET} bytes")
        self._base = hmac.new(secret, digestmod=hashlib.sha256)  # keyed once; copied per number

    def __repr__(self) -> str:
        return "CallerKeys(secret=***)"

    def key(self, number: str) -> str:
        """The caller's key (32 hex characters), or "" for a withheld number."""
        digits = normalize(number or "")
        if not digits:
            return ""
        mac = self._base.copy()
        mac.update(digits.encode("ascii"))
        return mac.hexdigest()[:KEY_CHARS]

    @classmethod
    def ephemeral(cls) -> "CallerKeys":
        """Keys good for this process only (no store: nothing outlives the run anyway)."""
        return cls(secrets.token_bytes(32))


def caller_keys_for(url: str | None, secret: str | None = None, *, secret_file_path: Path | None = None,
                    env: Mapping[str, str] | None = None) -> CallerKeys:
    """The keys for the store at `url`: `secret` if given, else $FLOWLANG_CALLER_KEY, else the file
    `secret_file_path` ([runtime] caller_key_file), else (SQLite) the secret file next to the
    database, created on first use. StoreError when none can be had."""
    env = os.environ if env is None else env
    given = secret or env.get(ENV) or ""
    if not given and secret_file_path is not None:
        return CallerKeys(read_secret_file(Path(secret_file_path)))
    if given:
        if len(given) < MIN_SECRET:
            raise StoreError(f"{ENV} is too short ({len(given)} characters; at least {MIN_SECRET}): "
                             f"make one with {HOW}")
        return CallerKeys(given.encode("utf-8"))
    dialect = dialect_for(url)
    if isinstance(dialect, SqliteDialect):
        return CallerKeys(secret_file(Path(f"{dialect.path}{SUFFIX}")))
    raise StoreError(
        f"a PostgreSQL call store needs the caller-key secret, which every worker must share: set "
        f"{ENV} (make one with {HOW}) or [runtime] caller_key_file in flowlang.toml")


def secret_file(path: Path) -> bytes:
    """The secret kept in `path`, created (0600, 32 random bytes as hex) if missing. Workers that
    start at once agree: the file appears whole, by a hard link, or not at all."""
    if not path.exists():
        _create(path)
    return read_secret_file(path)


def read_secret_file(path: Path) -> bytes:
    """A secret file's content (whitespace stripped); StoreError when unreadable or too short."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot read the caller-key secret {path}: {exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("caller-key secret %s can be read by others (mode %o): chmod 600 it", path,
                    stat.S_IMODE(mode))
    if len(text) < MIN_SECRET:
        raise StoreError(f"caller-key secret {path} is too short (at least {MIN_SECRET} characters): "
                         f"replace it with the output of {HOW}")
    return text.encode("utf-8")


def _create(path: Path) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secrets.token_hex(32) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # fails if another worker made it first: theirs wins
            log.info("created the caller-key secret %s (keep it with the database)", path)
        except FileExistsError:
            pass
    except OSError as exc:
        raise StoreError(f"cannot create the caller-key secret {path}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
