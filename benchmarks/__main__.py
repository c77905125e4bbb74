"""Run every benchmark: `python -m benchmarks` (or `make bench`)."""

import asyncio

from benchmarks import broadcast, fees, help_start, kpi, load, report, votes


async def main() -> None:
    await help_start.main()
    await report.main()
    await broadcast.main()
    await votes.main()
    await fees.main()
    await kpi.main()
    await load.main()


asyncio.run(main())
