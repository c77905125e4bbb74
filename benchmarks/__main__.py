"""Run every benchmark: `python -m benchmarks` (or `make bench`); `python -m benchmarks mixed`
(or any module names) runs only those."""

import asyncio
import importlib
import sys

EVERY = ("help_start", "report", "broadcast", "votes", "fees", "kpi", "load", "mixed")


async def main(names: list[str]) -> None:
    for name in names:
        await importlib.import_module(f"benchmarks.{name}").main()


asyncio.run(main(sys.argv[1:] or list(EVERY)))
