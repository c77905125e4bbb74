"""One tick of a real scheduled job in a process of its own, for the kill -9 tests:

    DATABASE_URL=... python -m tests.utils.fault_worker bills|votes 2026-11-02T10:00:00+08:00

Prints "begin" when the job starts and "done ..." when it has finished (committed)."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

import views  # noqa: F401 (registers the message renderers)
from core.clock import FakeClock
from core.runtime import Runtime
from core.settings import Settings
from jobs import fees, votes


async def main(job: str, at: str) -> None:
    runtime = Runtime.create(Settings(_env_file=None), FakeClock(datetime.fromisoformat(at)))
    try:
        print("begin", flush=True)
        result: object = await (fees.tick(runtime) if job == "bills" else votes.tick(runtime))
        print("done", result, flush=True)
    finally:
        await runtime.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
