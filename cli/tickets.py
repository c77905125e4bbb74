"""Tickets on the command line: `admin service-levels` shows or sets a compound's targets,
`admin common-areas` its common areas (大堂, 南门 …) and `admin building-floors` a building's
floors (where a report can be)."""

from __future__ import annotations

import argparse
import re

from cli import run, say, words
from core.db import unit_of_work
from core.i18n import N_, Translator, plain
from core.runtime import Runtime
from core.settings import Settings
from models import Compound


def add_commands(admin: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    levels = admin.add_parser(
        "service-levels", help="show or set a compound's ticket service levels"
    )
    levels.add_argument("compound")
    levels.add_argument("--response-minutes", type=int)
    levels.add_argument("--handling-hours", type=int)
    levels.add_argument("--supervisor-hours", type=int)
    levels.add_argument("--auto-confirm-days", type=int)
    levels.set_defaults(run=service_levels)
    areas = admin.add_parser(
        "common-areas", help="show or set the common areas a report can be in (大堂, 南门 …)"
    )
    areas.add_argument("compound")
    choice = areas.add_mutually_exclusive_group()
    choice.add_argument("--set", help="the areas, separated by commas: 大堂,南门,地下车库")
    choice.add_argument("--defaults", action="store_true", help="back to the default list")
    areas.set_defaults(run=common_areas)
    floors = admin.add_parser(
        "building-floors", help="show or set a building's lowest and highest floor"
    )
    floors.add_argument("compound")
    floors.add_argument("building", help="its name (3栋) or number (3)")
    floors.add_argument("--lowest", type=int, help="e.g. -2 for two basement floors")
    floors.add_argument("--highest", type=int)
    floors.set_defaults(run=building_floors)


def levels_line(compound: Compound, _: Translator) -> str:
    """`幸福家园: respond within 15 minutes, handle within 24 hours, …` (plain text)."""
    minutes, hours = compound.sla_response_minutes, compound.sla_handling_hours
    supervisor, days = compound.sla_supervisor_hours, compound.auto_confirm_days
    return say(
        _,
        N_(
            "{compound}: respond within {response}, handle within {handling}, "
            "quality supervisor after {supervisor}, auto-confirm after {days}."
        ),
        compound=compound.name,
        response=plain(
            _.ngettext("{count} minute", "{count} minutes", minutes).format(count=minutes)
        ),
        handling=plain(_.ngettext("{count} hour", "{count} hours", hours).format(count=hours)),
        supervisor=plain(
            _.ngettext("{count} hour", "{count} hours", supervisor).format(count=supervisor)
        ),
        days=plain(_.ngettext("{count} day", "{count} days", days).format(count=days)),
    )


def service_levels(settings: Settings, args: argparse.Namespace) -> int:
    """Show a compound's service levels, or set some of them (the others stay)."""
    from services.places import compound_by_name
    from services.ticket_alerts import configure_service_levels

    _ = words(settings)

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            place = await configure_service_levels(
                session,
                None,
                place.id or 0,
                now=runtime.clock.now(),
                response_minutes=args.response_minutes,
                handling_hours=args.handling_hours,
                supervisor_hours=args.supervisor_hours,
                auto_confirm_days=args.auto_confirm_days,
            )
            print(levels_line(place, _))
        return 0

    return run(settings, work)


def common_areas(settings: Settings, args: argparse.Namespace) -> int:
    """Show a compound's common areas, set its own list, or go back to the defaults."""
    from services.places import compound_by_name
    from services.ticket_places import common_areas as areas_of
    from services.ticket_places import configure_common_areas

    _ = words(settings)

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            areas = areas_of(place)
            if args.set is not None or args.defaults:
                names = None if args.defaults else re.split(r"[,，、]", args.set)
                areas = await configure_common_areas(
                    session, None, place.id or 0, names, now=runtime.clock.now()
                )
            print(
                say(
                    _,
                    N_("{compound}: common areas {areas}."),
                    compound=place.name,
                    areas="、".join(areas),
                )
            )
        return 0

    return run(settings, work)


def building_floors(settings: Settings, args: argparse.Namespace) -> int:
    """Show a building's floors, or set the lowest or the highest (the other stays)."""
    from services.places import compound_by_name
    from services.ticket_places import building_by_name, configure_floors, floors_of

    _ = words(settings)

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            building = await building_by_name(session, place.id or 0, args.building)
            floors = floors_of(building)
            if args.lowest is not None or args.highest is not None:
                floors = await configure_floors(
                    session,
                    None,
                    building,
                    now=runtime.clock.now(),
                    lowest=args.lowest,
                    highest=args.highest,
                )
            print(
                say(
                    _,
                    N_("{compound} {building}: floors {lowest} to {highest}."),
                    compound=place.name,
                    building=building.name,
                    lowest=floors.lowest,
                    highest=floors.highest,
                )
            )
        return 0

    return run(settings, work)
