"""FL308 and `flowc render` use the prompt lengths that `flowc prompts build` measured."""

from __future__ import annotations

import json
from pathlib import Path

from flowlang import api
from flowlang.analysis.durations import durations_for

FLOW = """flow t {
  languages en-US
  entry hello
}

prompt hi {
  en-US "Hi."
}

play hello {
  say hi
  -> agents
}

queue agents {
  max_wait 1m
  overflow -> bye
}

hangup bye {
}
"""


def _project(tmp_path: Path, seconds: float | None) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "flowlang.toml").write_text('[speech]\nsounds = "snd"\n\n[limits]\nmax_time_to_agent = 30\n',
                                           encoding="utf-8")
    flow = tmp_path / "t.flow"
    flow.write_text(FLOW, encoding="utf-8")
    if seconds is not None:
        manifest = tmp_path / "snd" / "flowlang" / "manifest.json"
        manifest.parent.mkdir(parents=True)
        manifest.write_text(json.dumps({"prompts": [
            {"flow": "t", "prompt": "hi", "lang": "en-US", "seconds": seconds, "dynamic": 0, "audio": None},
            {"flow": "other", "prompt": "hi", "lang": "en-US", "seconds": 999.0}]}), encoding="utf-8")
    return flow


def test_durations_come_from_the_manifest_of_the_nearest_config(tmp_path: Path) -> None:
    flow = _project(tmp_path, 12.5)
    assert durations_for(flow, "t") == {("hi", "en-US"): 12.5}
    assert durations_for(_project(tmp_path / "none", None), "t") == {}


def test_fl308_uses_measured_lengths(tmp_path: Path) -> None:
    estimated = api.validate(_project(tmp_path / "a", None))
    assert not [d for d in estimated.diagnostics if d.code == "FL308"]  # "Hi." is estimated at ~1 s
    measured = api.validate(_project(tmp_path / "b", 45.0))  # a long recorded greeting
    assert [d.code for d in measured.diagnostics if d.code == "FL308"] == ["FL308"]
