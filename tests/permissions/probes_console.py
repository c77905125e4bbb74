"""Probes of the office console: signing in through /console, the roles page, granting a role.
Each goes through the bot (the link) and then the console over real HTTP, as a browser does."""

from __future__ import annotations

from sqlmodel import col, select

from models import Resident, Role, RoleGrant
from services.bot_identity import remember_username
from services.policy import Permission as P
from tests.permissions.cast import HERE, Cast
from tests.permissions.probe import Probe, compound_id, preparing, probe
from tests.utils.console import LINK, Browser, serve_console
from tests.utils.world import Person, World


async def _signed_in(world: World, person: Person, browser: Browser) -> bool:
    """/console, then the link and "continue": whether a console session started."""
    before = len(person.bot_messages)
    await person.send("/console")
    links = [LINK.search(m.content) for m in person.bot_messages[before:]]
    found = next((link.group(0) for link in links if link), None)
    if found is None:
        return False
    page = await browser.open(found)
    if page.status != 200:
        return False
    page = await browser.submit(page.form("/signin"))
    return page.status == 200


async def _with_console(world: World, probe: Probe) -> None:
    if "server" not in probe.state:
        await remember_username(world.runtime, "RedPropertyBot")
        probe.state["server"] = await serve_console(world)


@probe(P.CONSOLE_SIGN_IN)
async def sign_in(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    """Signed in, with a role covering 幸福家园 shown on the first page."""
    await _with_console(world, probe)
    async with Browser() as browser:
        if not await _signed_in(world, person, browser):
            return False
        page = await browser.open("/")
        return HERE in page.text or "江岸区" in page.text


@probe(P.ROLES_VIEW)
async def roles_view(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    """The roles page lists the roles held over 幸福家园."""
    await _with_console(world, probe)
    async with Browser() as browser:
        if not await _signed_in(world, person, browser):
            return False
        page = await browser.open("/roles")
        return page.status == 200 and f"小区 {HERE}" in page.text


async def _granted(world: World, candidate: int) -> list[RoleGrant]:
    async with world.session() as session:
        return list(
            (
                await session.exec(select(RoleGrant).where(col(RoleGrant.resident_id) == candidate))
            ).all()
        )


@probe(P.ROLES_MANAGE)
async def roles_manage(probe: Probe, world: World, cast: Cast, person: Person) -> bool:
    """Granting staff over 幸福家园 to a person who has opened the bot: the grant exists after."""
    await _with_console(world, probe)
    candidate = int(str(probe.state["candidate"]))
    async with world.session() as session:
        for grant in await _granted(world, candidate):
            await session.delete(await session.get(RoleGrant, grant.id))
    here = await compound_id(world)
    async with Browser() as browser:
        if not await _signed_in(world, person, browser):
            return False
        page = await browser.open("/roles")
        if page.status != 200 or not any(f.action.endswith("/roles/grant") for f in page.forms):
            return False
        form = page.form("/roles/grant")
        await browser.submit(form, person="13900001111", role=Role.STAFF, place=f"compound:{here}")
    return any(
        g.scope_kind == "compound" and g.scope_id == here for g in await _granted(world, candidate)
    )


@preparing(P.ROLES_MANAGE)
async def a_candidate(probe: Probe, world: World, cast: Cast) -> None:
    async with world.session() as session:
        candidate = Resident(
            telegram_id=990_777,
            display_name="候选人",
            phone="13900001111",
            created_at=world.clock.now(),
        )
        session.add(candidate)
        await session.flush()
        probe.state["candidate"] = candidate.id
