"""Measured prompt lengths from the prompt manifest that `flowc prompts build` writes.

The manifest (`<[speech] sounds>/flowlang/manifest.json`) is plain JSON, read here without the
runtime: `prompts: [{flow, prompt, lang, seconds, audio}]`. The timing analysis (FL308 and
`flowc render`) uses these instead of text estimates when they exist.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any


def manifest_for(flow_file: str | Path) -> Path | None:
    """The manifest that applies to a flow file: [speech] sounds of the nearest flowlang.toml."""
    here = Path(flow_file).resolve().parent
    for folder in (here, *here.parents):
        toml = folder / "flowlang.toml"
        if toml.is_file():
            try:
                speech = tomllib.loads(toml.read_text(encoding="utf-8")).get("speech") or {}
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
                return None
            sounds = folder / str(speech.get("sounds", "sounds"))
            candidate = sounds / "flowlang" / "manifest.json"
            return candidate if candidate.is_file() else None
    return None


def load_durations(manifest: Path, flow: str) -> dict[Any, float]:
    """`(prompt id, lang) -> seconds` and `audio path -> seconds` for one flow ({} if unreadable)."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[Any, float] = {}
    for p in data.get("prompts", []) if isinstance(data, dict) else []:
        if not isinstance(p, dict) or p.get("flow") != flow or not isinstance(p.get("seconds"), (int, float)):
            continue
        out[(p.get("prompt"), p.get("lang"))] = float(p["seconds"])
        if isinstance(p.get("audio"), str):
            out[p["audio"]] = float(p["seconds"])
    return out


def durations_for(flow_file: str | Path, flow: str) -> dict[Any, float]:
    """Measured durations for a flow file's flow, or {} when no prompts were rendered."""
    manifest = manifest_for(flow_file)
    return load_durations(manifest, flow) if manifest else {}
