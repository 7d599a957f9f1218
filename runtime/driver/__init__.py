"""The runtime driver: the asyncio loop between the pure engine and ARI (docs/runtime.md).

    server = FlowServer(client, {"bank_service": rt}, store=store, observer=print)
    await server.start()
"""

from runtime.driver.clock import Clock
from runtime.driver.execute import EXECUTE
from runtime.driver.server import FlowServer
from runtime.driver.session import SECURE_KEY, CallSession, observed

__all__ = ["EXECUTE", "SECURE_KEY", "CallSession", "Clock", "FlowServer", "observed"]
