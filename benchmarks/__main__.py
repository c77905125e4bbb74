"""Run every benchmark: `python -m benchmarks` (or `make bench`)."""

import asyncio

from benchmarks import broadcast, help_start, report, votes


async def main() -> None:
    await help_start.main()
    await report.main()
    await broadcast.main()
    await votes.main()


asyncio.run(main())
