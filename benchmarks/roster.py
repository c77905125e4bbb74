"""Roster benchmark: a 200,000-home roster (IMPORT_MAX_ROWS raised) imported from a GBK CSV and
from an XLSX, and files past the caps refused.

Each import runs in its own process, so its peak memory is that process's maxrss (getrusage),
shown beside the maxrss of the same process before the import (Python and the project's
modules loaded). References, same run, same files, also one process each: the csv module
reading the CSV into a list of rows, and calamine (the reader the import uses) reading the
XLSX into a list. `BENCH_DATABASE_URL=postgresql://... python -m benchmarks.roster` runs it on
PostgreSQL; BENCH_ROSTER_ROWS changes the size.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from benchmarks.common import database_url, fresh_schema

ROWS = int(os.environ.get("BENCH_ROSTER_ROWS", "200000"))
HEADER = [
    "城市",
    "区",
    "街道",
    "社区",
    "小区",
    "楼栋",
    "单元",
    "房号",
    "楼层",
    "面积（㎡）",
    "实测面积",
    "合同面积",
    "网格",
    "业主",
    "电话",
    "开发商",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def homes(count: int):
    """Compounds of 50 buildings × 2 units × 25 floors × 4 homes (10,000 homes each)."""
    for n in range(count):
        compound, rest = divmod(n, 10_000)
        building, rest = divmod(rest, 200)
        unit, rest = divmod(rest, 100)
        floor, home = divmod(rest, 4)
        yield [
            "武汉市",
            "江岸区",
            "后湖街道",
            f"幸福{compound // 4 + 1}社区",
            f"幸福家园{compound + 1}期",
            f"{building + 1}栋",
            f"{unit + 1}单元",
            f"{floor + 1}{home + 1:02d}",
            str(floor + 1),
            f"{80 + n % 70}.{n % 100:02d}",
            "",
            "",
            f"第{building // 10 + 1}网格",
            SURNAMES[n % 20] + "丽",
            f"138{n:08d}",
            "否" if n % 50 else "是",
        ]


def write_csv(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="gbk") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(homes(count))


def write_xlsx(path: Path, count: int) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in homes(count):
        sheet.append(row)
    workbook.save(path)


def zip_bomb(path: Path) -> None:
    """A 30 KB XLSX whose sheet unpacks to 30 MB (1000 to 1)."""
    from openpyxl import Workbook

    workbook = Workbook()
    saved = io.BytesIO()
    workbook.save(saved)
    with (
        zipfile.ZipFile(saved) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for member in source.infolist():
            body = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"<sheetData", b" " * 30_000_000 + b"<sheetData")
            target.writestr(member.filename, body)


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def cpu_seconds() -> float:
    """This process's CPU time: steadier than the clock on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- one measurement, in its own process ---------------------------------------------------------


async def _import(path: Path, url: str, max_rows: int, max_mb: int) -> dict:
    from core.clock import FakeClock
    from core.db import create_engine, session_factory, unit_of_work
    from services.errors import DomainError
    from services.file_limits import FileLimits
    from services.roster import import_roster

    engine = create_engine(url)
    limits = FileLimits(max_rows=max_rows, max_mb=max_mb)
    before, cpu = maxrss_mb(), cpu_seconds()
    started = time.perf_counter()
    try:
        async with unit_of_work(session_factory(engine)) as session:
            result = await import_roster(session, path, now=FakeClock().now(), limits=limits)
        said = f"{result.created} created, {result.problem_count} problems"
    except DomainError as error:
        said = "refused: " + error.msgid.format(**error.params)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    await engine.dispose()
    return {"seconds": seconds, "cpu": cpu, "before": before, "peak": maxrss_mb(), "said": said}


def _reference(kind: str, path: Path) -> dict:
    before, cpu = maxrss_mb(), cpu_seconds()
    started = time.perf_counter()
    rows: list[Any]
    if kind == "csv":
        with path.open(newline="", encoding="gbk") as handle:
            rows = [list(row) for row in csv.reader(handle)]
    else:
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    said = f"{len(rows)} rows"
    return {"seconds": seconds, "cpu": cpu, "before": before, "peak": maxrss_mb(), "said": said}


def child(argv: list[str]) -> None:
    kind, path = argv[0], Path(argv[1])
    if kind == "import":
        found = asyncio.run(_import(path, argv[2], int(argv[3]), int(argv[4])))
    else:
        import services.roster  # noqa: F401 (the same modules loaded as for an import)

        found = _reference(kind, path)
    print(json.dumps(found))


def measure(*argv: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.roster", "--child", *argv],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def line(label: str, found: dict, rows: int, reference: dict | None = None) -> str:
    text = (
        f"{label:<34} {found['seconds']:7.2f} s (CPU {found['cpu']:6.2f} s) "
        f"{rows / found['seconds']:8,.0f} rows/s  "
        f"peak {found['peak']:5.0f} MB (before {found['before']:4.0f} MB)"
    )
    if reference is not None:
        text += (
            f"  = {found['seconds'] / reference['seconds']:5.1f}× the time "
            f"({found['cpu'] / reference['cpu']:5.1f}× the CPU), "
            f"{(found['peak'] - found['before']) / max(reference['peak'] - reference['before'], 1):4.1f}× "
            "the memory of the reference"
        )
    return text


async def main() -> None:
    url = database_url()
    backend = "PostgreSQL" if "postgresql" in url else "SQLite"
    folder = Path(tempfile.mkdtemp())
    files = {"csv": folder / "roster.csv", "xlsx": folder / "roster.xlsx"}
    write_csv(files["csv"], ROWS)
    write_xlsx(files["xlsx"], ROWS)
    sizes = ", ".join(
        f"{kind} {path.stat().st_size / 2**20:.1f} MB" for kind, path in files.items()
    )
    print(f"Roster import on {backend}: {ROWS:,} homes ({sizes})")
    raised = (str(ROWS + 1), "64")
    for kind, path in files.items():
        reference = measure(kind, str(path))
        print(
            line(f"  reference ({'csv module' if kind == 'csv' else 'calamine'})", reference, ROWS)
        )
        await fresh_schema(url)
        found = measure("import", str(path), url, *raised)
        print(line(f"  import {kind}, new ({found['said']})", found, ROWS, reference))
        found = measure("import", str(path), url, *raised)
        print(line(f"  import {kind} again (all unchanged)", found, ROWS, reference))
    big = folder / "million.csv"
    write_csv(big, 1_000_000)
    bomb = folder / "bomb.xlsx"
    zip_bomb(bomb)
    print("Refused with the default caps (50,000 rows, 20 MB):")
    for label, path, caps in (
        ("1,000,000-row CSV (IMPORT_MAX_MB raised)", big, ("50000", "1024")),
        ("the same, default size cap", big, ("50000", "20")),
        (f"zip bomb ({bomb.stat().st_size // 1024} KB)", bomb, ("50000", "20")),
    ):
        found = measure("import", str(path), url, *caps)
        print(f"  {label:<42} {found['seconds'] * 1000:7.1f} ms  {found['said']}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
    else:
        asyncio.run(main())
