"""Coverage-guided fuzzing with atheris (optional, not in CI): the parser/validator, the formatter,
the IR loader and the engine's handling of an accepted IR.

    pip install atheris                      # a wheel exists for CPython 3.11 on x86-64 Linux
    python bench/fuzz/run.py parser -atheris_runs=20000
    python bench/fuzz/run.py ir -max_total_time=60
    python bench/fuzz/run.py fmt -max_len=4096 /tmp/corpus-fmt     # a corpus folder keeps progress

Targets: `parser` (text → api.validate: only diagnostics, never FL9xx), `fmt` (text that parses
→ format_module → parses again to the same text), `ir` (bytes → ir.Flow.from_json: a Flow or
IRError; an accepted flow then runs one call through the engine without an internal error).
Seeds: the shipped flows and their IR are written to a temporary corpus folder when none is given.
A crash prints the input and the traceback and writes `crash-<hash>` (libFuzzer's behaviour).
The hypothesis tests in tests/properties/test_fuzz_*.py are the CI counterpart.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

try:
    import atheris
except ImportError:  # pragma: no cover - optional tool
    sys.exit("atheris is not installed: pip install atheris (CPython 3.8-3.11 wheels on Linux x86-64)")

with atheris.instrument_imports(include=["flowlang", "runtime"]):
    from flowlang import api, ir
    from flowlang.fmt import format_module
    from flowlang.source import SourceFile
    from runtime import commands as c
    from runtime import events as e
    from runtime.machine import Runtime, awaiting, start, step
    from runtime.resources import ResourceError, Settings, load_resources

FLOWS = ROOT / "flows"


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def fuzz_parser(data: bytes) -> None:
    result = api.validate(SourceFile("fuzz.flow", _text(data)))
    for d in result.diagnostics:
        if d.code.startswith("FL9"):
            raise AssertionError(f"internal error diagnostic: {d}")


def fuzz_fmt(data: bytes) -> None:
    module, diags = api.parse(SourceFile("fuzz.flow", _text(data)))
    if module is None or diags:
        return
    once = format_module(module)
    again, diags2 = api.parse(SourceFile("fuzz.flow", once))
    if again is None or diags2 or format_module(again) != once:
        raise AssertionError(f"formatted text does not round-trip: {diags2}")


def fuzz_ir(data: bytes) -> None:
    try:
        flow = ir.Flow.from_json(data)
    except ir.IRError:
        return
    try:
        rt = Runtime(flow, load_resources(flow, base_dir=FLOWS, settings=Settings(strict=True)))
    except ResourceError:
        return  # a list file or time zone the runtime cannot use: refused before any call
    state, _ = start(rt, e.CallStarted(0.0, "+8613512345678", "95555", "call-1", 1795485600.0))
    for i in range(200):
        if state.ended:
            return
        kind, ident = awaiting(state)
        ev = e.PlaybackFinished(i, ident) if kind == "playback" else e.TimerFired(i, ident)
        state, cmds = step(rt, state, ev)
        if any(isinstance(x, c.Log) and x.event == "internal_error" for x in cmds):
            raise AssertionError("the engine met an internal error on IR the loader accepted")


TARGETS = {"parser": fuzz_parser, "fmt": fuzz_fmt, "ir": fuzz_ir}


def _seed_corpus(target: str) -> str:
    folder = Path(tempfile.mkdtemp(prefix=f"flowlang-fuzz-{target}-"))
    for path in sorted(FLOWS.glob("*.flow")):
        data = path.read_bytes()
        if target == "ir":
            if path.stem == "common":
                continue
            data = api.compile_or_raise(path).to_json().encode()
        (folder / path.name).write_bytes(data)
    return str(folder)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: python bench/fuzz/run.py {{{','.join(TARGETS)}}} [libFuzzer options] [corpus dir]\n\n"
                 + __doc__)
    target, rest = sys.argv[1], sys.argv[2:]
    if not any(not a.startswith("-") for a in rest):
        rest.append(_seed_corpus(target))
    atheris.Setup([sys.argv[0], *rest], TARGETS[target])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
