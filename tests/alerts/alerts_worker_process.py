"""A delivery worker in its own process, for tests that kill it (settings from the env).

Usage: ``python alerts_worker_process.py LEASE_SECONDS``; prints ``ready`` once started.
"""

from __future__ import annotations

import asyncio
import sys

from services.alerts.schedule import no_jitter
from services.alerts.service import run_delivery_worker
from services.core.config import load_settings
from services.core.db import make_engine, session_factory


async def main(lease: float) -> None:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    print("ready", flush=True)
    try:
        await run_delivery_worker(
            session_factory(engine),
            settings,
            asyncio.Event(),
            lease=lease,
            jitter=no_jitter,
            poll_interval=0.05,
        )
    finally:
        engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1])))
