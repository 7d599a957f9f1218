"""The serve.py process seen from the simulator's side: start it, ask for stats, stop it."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

SERVE = Path(__file__).resolve().parent / "serve.py"
EXTRA_ARGS: list[str] = []  # more serve.py options for every spawn (run.py's --profile, --no-store)


class Child:
    """A running serve.py, driven over its stdin/stdout."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def stats(self) -> dict:
        self.proc.stdin.write(b"stats\n")
        await self.proc.stdin.drain()
        return json.loads(await asyncio.wait_for(self.proc.stdout.readline(), 120))

    async def close(self) -> None:
        self.proc.stdin.write(b"quit\n")
        await self.proc.stdin.drain()
        try:
            await asyncio.wait_for(self.proc.wait(), 60)
        except asyncio.TimeoutError:
            self.proc.kill()
            await self.proc.wait()


async def spawn(url: str, time_scale: float, rest: str = "http", script: Path = SERVE,
                limit: int = 2**16) -> Child:
    """Start `script` (serve.py, or another runtime side with the same stdin/stdout protocol) on the
    simulator at `url`; return once its event socket is up. `limit`: the longest stats line."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), "--url", url, "--time-scale", str(time_scale), "--rest", rest,
        *EXTRA_ARGS, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=limit)
    line = (await asyncio.wait_for(proc.stdout.readline(), 120)).strip()
    if line != b"ready":
        proc.kill()
        await proc.wait()
        raise RuntimeError(f"{script.name} did not start: {line!r}")
    return Child(proc)
