"""Probe of the office console's roster: uploading a roster of 幸福家园 with one new home and
applying it, over real HTTP after signing in through /console, as a browser does."""

from __future__ import annotations

import asyncio

from sqlmodel import col, select

from models import Household
from services.policy import Permission as P
from tests.permissions.cast import HERE, Cast
from tests.permissions.probe import Probe, probe
from tests.permissions.probes_console import _signed_in, _with_console
from tests.utils.console import Browser
from tests.utils.world import Person, World

HEADER = "city,district,sub_district,community,compound,building,unit,room,registered_area,grid"
PLACE = f"武汉市,江岸区,后湖街道,幸福社区,{HERE},1栋,1单元"


@probe(P.ROSTER_IMPORT)
async def roster_import(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    """A new home of 幸福家园 (its own room number per persona) exists after "apply"."""
    await _with_console(world, probe)
    tried = int(str(probe.state.get("tried", 0))) + 1
    probe.state["tried"] = tried
    room = f"9{tried:02d}"
    roster = f"{HEADER}\n{PLACE},{room},80.00,第一网格\n".encode()
    async with Browser() as browser:
        if not await _signed_in(world, person, browser):
            return False
        page = await browser.open("/roster")
        if page.status != 200:
            return False
        page = await browser.submit(page.form("/roster"), files={"file": ("r.csv", roster)})
        if page.status != 200 or not any(f.action.endswith("/roster/apply") for f in page.forms):
            return False
        page = await browser.submit(page.form("/roster/apply"))
        for _ in range(200):
            if 'http-equiv="refresh"' not in page.html:
                break
            await asyncio.sleep(0.05)
            page = await browser.open(page.url)
    async with world.session() as session:
        found = await session.exec(select(Household.id).where(col(Household.room) == room))
        return found.first() is not None
