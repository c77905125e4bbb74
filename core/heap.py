"""Garbage-collector settings for long-running bot processes.

CPython's cyclic collector walks every tracked object of the oldest generation when it runs. In
a bot process that is every module, mapper, handler and catalog loaded at start-up; measured in
`benchmarks/mixed.py`, full collections ran every 3 s under load and took 150-210 ms each: 5 %
of the CPU and the longest waits a resident saw. After start-up the objects loaded so far are
moved out of the collector's sight (`gc.freeze`, they live as long as the process anyway), and
the young generation is collected after more allocations, so a full collection is rarer. Memory
is still reclaimed: reference counting frees almost everything, the collector only cycles.
"""

from __future__ import annotations

import gc

# Collections of generation 0 after this many allocations (CPython's default: 700), of
# generation 1 after this many of generation 0 (10), of generation 2 after this many of
# generation 1 (10).
THRESHOLDS = (10_000, 20, 100)


def tune_collector() -> None:
    """Collect less often (see the module docstring)."""
    gc.set_threshold(*THRESHOLDS)


def settle_heap() -> None:
    """Once the process has started: collect, then leave what was loaded so far out of every
    later collection, with the thresholds above."""
    gc.collect()
    gc.freeze()
    tune_collector()
