"""Editor test calls point the browser at the prompt audio `flowc prompts build` rendered."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from flowlang import api
from flowlang.edit.calls import _plain, _rendered_finder
from runtime import commands as c
from runtime.events import CallStarted
from runtime.machine import Runtime, start

FLOW = 'flow t {\n  languages en-US\n  entry hello\n}\n\nprompt hi {\n  en-US "Hello there."\n}\n\n' \
       'play hello {\n  say hi\n  -> bye\n}\n\nhangup bye {\n}\n'


def test_a_play_item_lists_its_rendered_files(tmp_path: Path) -> None:
    (tmp_path / "flowlang.toml").write_text('[speech]\nsounds = "snd"\n', encoding="utf-8")
    path = tmp_path / "t.flow"
    path.write_text(FLOW, encoding="utf-8")
    flow = api.compile_or_raise(path)
    play = next(cmd for cmd in start(Runtime(flow), CallStarted(0.0, "+8613912345678", "100", "c1", time.time()))
                .commands if isinstance(cmd, c.Play))
    assert _plain("c1", play, _rendered_finder(path, flow))["prompts"][0]["rendered"] == []  # nothing built yet
    subprocess.run([sys.executable, "-m", "flowlang.cli", "prompts", "build", str(path), "-q"], cwd=tmp_path,
                   check=True, capture_output=True, timeout=120)
    rendered = _plain("c1", play, _rendered_finder(path, flow))["prompts"][0]["rendered"]
    assert rendered == ["snd/flowlang/t/hi.en-US.1.wav"]
    assert (tmp_path / rendered[0]).is_file()
