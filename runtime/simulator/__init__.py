"""The embedded Asterisk ARI simulator: the same REST paths, JSON and event order as Asterisk 22.

    sim = AriSimulator(user="flowlang", password="secret", time_scale=0.01)
    await sim.start()                      # http://127.0.0.1:<port>, /ari/… and /ari/events
    call = await sim.place_call(app="flowlang", caller="+8613800138000", dialed="95555")
    await call.wait_for(lambda e: e[0] == "play")
    await call.press("1#")
    await call.hang_up()
    await sim.stop()

See docs/simulator.md for what is emulated and what is not.
"""

from .callers import RandomCaller, ScriptedCaller, ScriptError, run_script
from .calls import CallEnded, SimCall
from .carrier import EndpointBehaviour
from .media import MediaCatalog
from .simulator import AriSimulator

__all__ = [
    "AriSimulator",
    "CallEnded",
    "EndpointBehaviour",
    "MediaCatalog",
    "RandomCaller",
    "ScriptError",
    "ScriptedCaller",
    "SimCall",
    "run_script",
]
