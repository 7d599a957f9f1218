"""`flowc callbacks`: the callback list in the call store (lost callers, accepted queue offers).

    flowc callbacks list                          open entries (pending, dialing), oldest first
    flowc callbacks list --status all -f json     every entry as JSON
    flowc callbacks done 12 13                    called back: mark entries done
    flowc callbacks cancel 14                     no callback wanted after all

The CLI layer: options and the store location in, runtime.storage for the list, an exit code out.
Registered on flowlang.cli's typer app by the import at the end of flowlang/cli.py. Numbers are
always shown masked (last four digits); the full number stays in the store for the dialer. Exit
codes: 0 ok, 1 an id that is unknown or already finished, 2 usage or I/O errors (no store).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, List, Optional

import typer

from flowlang.cli_runtime import _host_app

callbacks_app = typer.Typer(help="The callback list: callers lost in the IVR or a queue, and callback "
                                 "offers accepted in a queue. See docs/runtime.md.", no_args_is_help=True)
DB_HELP = ("The call store: sqlite:///flowlang.db or postgresql://… (default: $FLOWLANG_DB, else [runtime] db "
           "of the nearest flowlang.toml, else ./flowlang.db).")
CONFIG_HELP = "flowlang.toml to read [runtime] db from (default: the nearest one)."
COLUMNS = ("id", "status", "source", "caller", "flow", "queue", "position", "requested", "attempts", "done")


class Fmt(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class Status(str, Enum):
    open = "open"
    pending = "pending"
    dialing = "dialing"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"
    all = "all"


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"flowc callbacks: error: {message}", err=True)
    return typer.Exit(code)


def _url(db: Optional[str], config: Optional[Path]) -> str:
    """--db, else $FLOWLANG_DB, else [runtime] db of flowlang.toml, else ./flowlang.db."""
    import os

    from runtime.config import ConfigError, find_config, load_config
    if db:
        return db
    if os.environ.get("FLOWLANG_DB"):
        return os.environ["FLOWLANG_DB"]
    if config is not None and not config.is_file():
        raise _fail(f"no such config file: {config}")
    try:
        return load_config(config if config is not None else find_config(Path.cwd())).db
    except ConfigError as e:
        raise _fail(str(e)) from None


def _open(url: str):
    """The store a URL names; an SQLite file must already exist (a listing never creates one)."""
    from runtime.storage import StoreError, open_store
    from runtime.storage.dialects import SqliteDialect, dialect_for
    try:
        dialect = dialect_for(url)
        if isinstance(dialect, SqliteDialect) and not dialect.path.is_file():
            raise _fail(f"no call store at {dialect.path}: give --db, or run `flowc run` first")
        return open_store(url)
    except StoreError as e:
        raise _fail(str(e)) from None


def _when(t: Optional[float]) -> str:
    return "" if t is None else datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")


def row(cb: Any) -> dict[str, Any]:
    """One entry as shown: the masked number only, never the number itself."""
    return {"id": cb.id, "status": cb.status, "source": cb.source, "caller": cb.caller_masked, "flow": cb.flow,
            "queue": cb.queue or "", "position": cb.position, "requested": _when(cb.requested_at),
            "attempts": cb.attempts, "done": _when(cb.done_at)}


def render(rows: list[dict[str, Any]], fmt: Fmt) -> str:
    """The rows as an aligned table, JSON (a list of objects) or CSV with a header."""
    if fmt is Fmt.json:
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    if fmt is Fmt.csv:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()
    if not rows:
        return "no callbacks\n"
    cells = [list(COLUMNS)] + [["" if r[c] is None else str(r[c]) for c in COLUMNS] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    return "".join("  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip() + "\n" for line in cells)


@callbacks_app.command("list")
def list_callbacks(
    status: Status = typer.Option(Status.open, "--status", "-s", help="Which entries: open (pending and "
                                  "dialing), one status, or all."),
    fmt: Fmt = typer.Option(Fmt.table, "--format", "-f", help="table, json or csv."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="At most this many entries."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    config: Optional[Path] = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """List the callback list, oldest request first (the order a dialer takes them). Numbers are masked.

    Examples:

      flowc callbacks list

      flowc callbacks list --status all --format csv > callbacks.csv

      flowc callbacks list --db postgresql://flow@db/flowlang -f json
    """
    from runtime.storage import StoreError
    store = _open(_url(db, config))
    try:
        wanted = None if status in (Status.open, Status.all) else status.value
        entries = store.callbacks(status=wanted)
    except StoreError as e:
        raise _fail(str(e)) from None
    finally:
        store.close()
    if status is Status.open:
        entries = [cb for cb in entries if cb.status in ("pending", "dialing")]
    typer.echo(render([row(cb) for cb in entries[:limit]], fmt), nl=False)


def _finish(ids: List[int], new_status: str, db: Optional[str], config: Optional[Path]) -> None:
    from runtime.storage import StoreError
    store = _open(_url(db, config))
    missed = []
    try:
        for cid in ids:
            if store.complete_callback(cid, new_status):
                typer.echo(f"callback {cid}: {new_status}")
            else:
                missed.append(cid)
    except StoreError as e:
        raise _fail(str(e)) from None
    finally:
        store.close()
    for cid in missed:
        typer.echo(f"flowc callbacks: callback {cid} is not open (unknown, or already finished)", err=True)
    if missed:
        raise typer.Exit(1)


@callbacks_app.command("done")
def done(
    ids: List[int] = typer.Argument(..., help="Entry ids (the `id` column of `flowc callbacks list`)."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    config: Optional[Path] = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Mark entries done: the caller was called back.

    Example:  flowc callbacks done 12 13
    """
    _finish(ids, "done", db, config)


@callbacks_app.command("cancel")
def cancel(
    ids: List[int] = typer.Argument(..., help="Entry ids (the `id` column of `flowc callbacks list`)."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    config: Optional[Path] = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Cancel entries: no callback is wanted (the caller got through, asked not to be called).

    Example:  flowc callbacks cancel 14
    """
    _finish(ids, "cancelled", db, config)


_host_app().add_typer(callbacks_app, name="callbacks")
