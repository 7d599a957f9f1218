"""Child process of test_campaign_crash.py: dial the test campaign against the parent's simulator.

    python campaign_crash_child.py FLOW DB_URL ARI_URL WORKER     (ARI password in FLOWLANG_ARI_PASSWORD)

Prints one JSON line at the end: the dialer's figures and the attempts it recovered at start.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from flowlang import api  # noqa: E402
from runtime.campaigns.dialer import DialerOptions  # noqa: E402
from runtime.campaigns.live import DialSpec, dialing  # noqa: E402
from runtime.config import RuntimeConfig  # noqa: E402
from runtime.machine import Runtime  # noqa: E402
from tests.runtime.campaigns.campaign_rig import OPEN  # noqa: E402


async def main(flow_path: str, db: str, ari_url: str, worker: str) -> None:
    flow = api.compile_or_raise(Path(flow_path))
    rt = Runtime.load(flow, Path(flow_path).parent)
    config = RuntimeConfig(ari_url=ari_url, ari_password=os.environ["FLOWLANG_ARI_PASSWORD"], app="flowlang")
    spec = DialSpec(rt, flow.campaigns[0].name, db, config=config, wall_start=OPEN,
                    options=DialerOptions(tick=0.02, worker=worker, recover_wait=3.0))
    async with dialing(spec) as (_, dialer):
        figures = await dialer.run()
    print(json.dumps({"figures": figures, "recovered": dialer.recovered}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
