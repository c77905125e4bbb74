"""Run every benchmark: `python -m benchmarks` (or `make bench`)."""

import asyncio

from benchmarks import broadcast, help_start


async def main() -> None:
    await help_start.main()
    await broadcast.main()


asyncio.run(main())
