"""Run every benchmark: `python -m benchmarks` (or `make bench`)."""

import asyncio

from benchmarks import help_start

asyncio.run(help_start.main())
