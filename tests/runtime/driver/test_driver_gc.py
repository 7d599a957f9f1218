"""The collector policy of a serving process (runtime/driver/gcpolicy.py) and the fact it rests on:
calls leave no cyclic garbage behind."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
from collections import Counter

from tests.runtime.driver.rig import Rig, bank_runtime, drive
from tests.runtime.driver.test_driver_calls import run_script


def test_settle_freezes_start_up_and_raises_the_young_threshold_with_collection_still_on():
    code = """
import gc
from runtime.driver.gcpolicy import YOUNG, settle
frozen = settle()
class Node:
    pass
a, b = Node(), Node()
a.other, b.other = b, a  # a cycle made after settle()
del a, b
print(frozen > 1000, gc.get_threshold()[0] == YOUNG, gc.isenabled(), gc.collect() >= 2)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True", "True", "True"]


def test_calls_leave_no_cyclic_garbage(tmp_path):
    """settle() is safe because the cycle collector has nothing to do for a call: every object a call
    makes is freed by reference counting. A cycle per call (a caught exception kept with its
    traceback, a closure over its own owner) would show up here, in the runtime or in the simulator
    (which, as in `flowc run`, keeps no ended call)."""
    calls = 12

    async def one(rig: Rig, caller: str) -> None:
        call = await rig.call("bank_service", caller=caller, dialed="95555")
        await run_script(call, [("wait_prompt", "language_menu"), ("press", "2"),
                                ("wait_prompt", "main_menu_prompt.en-US"), ("hangup",)])
        await call.wait_ended(5)

    async def scenario(rig: Rig) -> list:
        await one(rig, "+8613512340000")  # warm-up: lazy imports, caches, first connections
        await rig.settle()
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            await asyncio.gather(*(one(rig, f"+86135123{i:05d}") for i in range(calls)))
            await rig.settle()
            gc.collect()
            return list(gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()

    garbage = drive(scenario, {"bank_service": bank_runtime()}, tmp_path,
                    sim_options={"keep_event_log": False, "keep_ended_calls": False})
    kinds = Counter(type(o).__qualname__ for o in garbage)
    assert len(garbage) < calls, kinds.most_common(10)
