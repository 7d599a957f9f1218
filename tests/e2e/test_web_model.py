"""The front end's pure model (undo/redo, layout helpers, graph -> canvas view) under vitest.

Skipped only when editor-web's npm packages are not installed (`scripts/setup` installs them).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "editor-web"


@pytest.mark.skipif(shutil.which("npx") is None, reason="npm/npx is not installed")
@pytest.mark.skipif(not (WEB / "node_modules" / "vitest").is_dir(),
                    reason="editor-web's npm packages are not installed (cd editor-web && npm ci)")
def test_vitest_model_suite_passes() -> None:
    proc = subprocess.run(["npx", "vitest", "run", "--reporter=dot"], cwd=WEB, capture_output=True, text=True,
                          timeout=180, env={**__import__("os").environ, "CI": "1", "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "passed" in proc.stdout
