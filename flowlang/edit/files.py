"""The served folder on disk: which paths may be touched, versions, atomic writes, layout sidecars.

Only `.flow` files inside the folder (after resolving links and `..`) are readable or writable.
A version is the sha256 of the file's bytes; a save names the version it started from, and a
different version on disk is a conflict. The layout sidecar `<name>.layout.json` holds node
positions, so the .flow text stays free of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from flowlang import api


class Forbidden(PermissionError):
    """A path outside the served folder, or not a .flow file."""


def confine(root: Path, rel: str) -> Path:
    """The resolved path of `rel` under root (Forbidden when it escapes or is not a .flow file)."""
    if not isinstance(rel, str) or not rel or "\x00" in rel:
        raise Forbidden("a path is needed")
    path = (root / rel).resolve()
    if not path.is_relative_to(root) or path == root or path.suffix != ".flow":
        raise Forbidden(f"{rel!r} is not a .flow file inside the served folder")
    return path


def version_of(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder and rename it over the target."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def layout_path(path: Path) -> Path:
    return path.with_name(path.stem + ".layout.json")


def read_layout(path: Path) -> dict:
    """{"nodes": {id: {"x", "y"}}} from the sidecar ({} when missing or unreadable)."""
    try:
        data = json.loads(layout_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"nodes": {}}
    nodes = data.get("nodes") if isinstance(data, dict) else None
    return {"nodes": clean_positions(nodes)}


def clean_positions(nodes: object) -> dict:
    """Only {id: {x, y}} with numbers, rounded: the sidecar never holds view state."""
    out = {}
    if isinstance(nodes, dict):
        for k, v in sorted(nodes.items()):
            if isinstance(k, str) and isinstance(v, dict) and all(
                    isinstance(v.get(a), (int, float)) and not isinstance(v.get(a), bool) for a in ("x", "y")):
                out[k] = {"x": round(v["x"]), "y": round(v["y"])}
    return out


def write_layout(path: Path, nodes: object) -> None:
    text = json.dumps({"version": 1, "nodes": clean_positions(nodes)}, indent=2, ensure_ascii=False) + "\n"
    write_atomic(layout_path(path), text.encode("utf-8"))


def list_flows(root: Path) -> list[dict]:
    """The .flow files under root: path, flow or library, and whether a layout exists."""
    out = []
    flows = {p.resolve() for p in api.discover([root])}
    for p in sorted(root.rglob("*.flow")):
        r = p.resolve()
        if not r.is_relative_to(root) or any(part.startswith(".") for part in p.relative_to(root).parts):
            continue
        out.append({"path": p.relative_to(root).as_posix(), "flow": r in flows,
                    "layout": layout_path(p).exists()})
    return out
