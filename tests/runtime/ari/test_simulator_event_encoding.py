"""The simulator's cheap event encoding gives exactly what the plain version gave."""

from __future__ import annotations

import json
import random

import pytest

from runtime.simulator.clock import asterisk_timestamp
from runtime.simulator.events import TimestampCache, dumpb, text_frame


def test_cached_timestamps_equal_asterisk_timestamp_everywhere():
    cache, rng = TimestampCache(), random.Random(11)
    moments = [1795831200 + rng.uniform(0, 3) for _ in range(20_000)]
    # rounding edges: half a microsecond around milliseconds, and the carry into the next second
    moments += [1795831200 + ms / 1000 + d for ms in range(0, 1001, 7) for d in (0, -5e-7, 5e-7, 4.9e-7)]
    moments += [1795831200.9999996, 1795831199.9999995, 0.0, 86399.9999999]
    assert [cache(m) for m in moments] == [asterisk_timestamp(m) for m in moments]


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_event_frames_are_unmasked_final_text_frames(size):
    payload = b"x" * size
    frame = text_frame(payload)
    header = {0: 2, 125: 2, 126: 4, 65535: 4, 65536: 10}[size]
    assert frame[0] == 0x81 and not frame[1] & 0x80 and frame[header:] == payload
    assert len(frame) == header + size


def test_events_are_compact_utf8_json():
    event = {"type": "ChannelVarset", "value": "你好", "n": 1.5, "ok": True}
    assert json.loads(dumpb(event).decode("utf-8")) == event
