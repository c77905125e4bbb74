"""Tickets on the command line: `admin service-levels` shows or sets a compound's targets;
`admin ticket-settings` the duty phone, the urgent repeat interval and the offer mode (抢单);
`admin dispatch` the auto-assignment rules; `admin duty` the duty rota; `admin common-areas`
its common areas (大堂, 南门 …) and `admin building-floors` a building's floors;
`admin ticket-templates` lists, adds or removes a compound's response templates."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

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
    ticket = admin.add_parser(
        "ticket-settings",
        help="show or set a compound's duty phone, urgent repeat interval and offer mode (抢单)",
    )
    ticket.add_argument("compound")
    ticket.add_argument("--duty-phone", help='the 24-hour duty phone ("" to clear it)')
    ticket.add_argument("--urgent-repeat-minutes", type=int)
    ticket.add_argument("--offers", help="on or off (是, 否): staff take new tickets (抢单)")
    ticket.set_defaults(run=ticket_settings)
    dispatch = admin.add_parser(
        "dispatch", help="show, set or remove a compound's auto-assignment rules"
    )
    dispatch.add_argument("compound")
    dispatch.add_argument("--staff", help="the staff member (name or Telegram id) to assign to")
    dispatch.add_argument(
        "--category",
        help="cleaning, greening, order, repair, facility or other, or its name in any "
        "language (保洁, 维修 …)",
    )
    dispatch.add_argument("--building", help="a building's name, e.g. 1栋")
    dispatch.add_argument("--remove", action="store_true", help="remove the rule for these")
    dispatch.set_defaults(run=dispatch_rules)
    duty = admin.add_parser("duty", help="show the duty rota, or add a shift")
    duty.add_argument("compound")
    duty.add_argument("--staff", help="the staff member on duty (name or Telegram id)")
    duty.add_argument("--from", dest="starts", help="local YYYY-MM-DD HH:MM")
    duty.add_argument("--to", dest="ends", help="local YYYY-MM-DD HH:MM")
    duty.set_defaults(run=duty_rota)
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
    templates = admin.add_parser(
        "ticket-templates",
        help="list, add or remove a compound's response templates for staff notes",
    )
    templates.add_argument("action", choices=("list", "add", "remove"))
    templates.add_argument("compound")
    templates.add_argument(
        "value",
        nargs="?",
        help="add: the template's text (… marks what staff type); remove: its number",
    )
    templates.set_defaults(run=ticket_templates)


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


def on_compound(
    settings: Settings,
    name: str,
    use: Callable[[AsyncSession, Compound, datetime], Awaitable[str]],
) -> int:
    """The compound named on the command line, given to `use` (which may configure it) in one
    unit of work; what `use` returns is printed."""
    from services.places import compound_by_name

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, name)
            print(await use(session, place, runtime.clock.now()))
        return 0

    return run(settings, work)


def service_levels(settings: Settings, args: argparse.Namespace) -> int:
    """Show a compound's service levels, or set some of them (the others stay)."""
    from services.ticket_alerts import configure_service_levels

    _ = words(settings)

    async def use(session: AsyncSession, place: Compound, now: datetime) -> str:
        place = await configure_service_levels(
            session,
            None,
            place.id or 0,
            now=now,
            response_minutes=args.response_minutes,
            handling_hours=args.handling_hours,
            supervisor_hours=args.supervisor_hours,
            auto_confirm_days=args.auto_confirm_days,
        )
        return levels_line(place, _)

    return on_compound(settings, args.compound, use)


def settings_line(compound: Compound, _: Translator) -> str:
    """`幸福家园: duty phone 027-1234, urgent alerts repeat every 10 minutes, offers: off.`"""
    minutes = compound.urgent_repeat_minutes
    return say(
        _,
        N_(
            "{compound}: duty phone {phone}, urgent alerts repeat every {repeat} until "
            "acknowledged, staff take tickets (抢单): {offers}."
        ),
        compound=compound.name,
        phone=compound.duty_phone or _.plain(N_("not set")),
        repeat=plain(
            _.ngettext("{count} minute", "{count} minutes", minutes).format(count=minutes)
        ),
        offers=_.plain(N_("yes") if compound.ticket_offers else N_("no")),
    )


def ticket_settings(settings: Settings, args: argparse.Namespace) -> int:
    """Show a compound's emergency and dispatch settings, or set some of them."""
    from services.enum_inputs import switch
    from services.ticket_dispatch import configure

    _ = words(settings)

    async def use(session: AsyncSession, place: Compound, now: datetime) -> str:
        place = await configure(
            session,
            None,
            place.id or 0,
            now=now,
            duty_phone=args.duty_phone,
            repeat_minutes=args.urgent_repeat_minutes,
            offers=None if args.offers is None else switch(args.offers),
        )
        return settings_line(place, _)

    return on_compound(settings, args.compound, use)


def dispatch_rules(settings: Settings, args: argparse.Namespace) -> int:
    """List the rules; with --staff set one (for --category and/or --building), with --remove
    remove one. The most specific rule that matches a new ticket assigns it."""
    from services import ticket_dispatch
    from services.enum_inputs import category as typed_category
    from services.places import compound_by_name
    from services.ticket_reading import buildings
    from views.tickets import category_text

    _ = words(settings)

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            compound_id = place.id or 0
            category = typed_category(args.category) if args.category else None
            building_id = None
            if args.building:
                named = [
                    b for b in await buildings(session, compound_id) if b.name == args.building
                ]
                if not named:
                    message = N_("No building {name} in {compound}.")
                    print(say(_, message, name=args.building, compound=place.name), file=sys.stderr)
                    return 1
                building_id = named[0].id
            if args.staff or args.remove:
                assignee = (
                    None
                    if args.remove
                    else (await ticket_dispatch.staff_member(session, compound_id, args.staff)).id
                )
                await ticket_dispatch.set_rule(
                    session,
                    None,
                    compound_id,
                    assignee_id=assignee,
                    category=category,
                    building_id=building_id,
                    now=runtime.clock.now(),
                )
            found = await ticket_dispatch.rules(session, compound_id)
            if not found:
                print(say(_, N_("{compound}: no auto-assignment rules."), compound=place.name))
            for rule in found:
                print(
                    say(
                        _,
                        N_("{compound}: {category} in {building} goes to {name}."),
                        compound=place.name,
                        category=_.plain(N_("any category"))
                        if rule.category is None
                        else category_text(rule.category, _).unescape(),
                        building=rule.building or _.plain(N_("any building")),
                        name=rule.assignee,
                    )
                )
        return 0

    return run(settings, work)


def duty_rota(settings: Settings, args: argparse.Namespace) -> int:
    """List the current and coming shifts; with --staff, --from and --to add one."""
    from services import ticket_dispatch
    from services.inputs import parse_local_time
    from services.places import compound_by_name

    _ = words(settings)
    tz = settings.tz
    adding = any((args.staff, args.starts, args.ends))
    starts, ends = parse_local_time(args.starts, tz), parse_local_time(args.ends, tz)
    if adding and (not args.staff or starts is None or ends is None):
        message = N_('A shift needs --staff, --from and --to, times as "YYYY-MM-DD HH:MM".')
        print(say(_, message), file=sys.stderr)
        return 2

    async def work(runtime: Runtime) -> int:
        now = runtime.clock.now()
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            compound_id = place.id or 0
            if adding:
                assert starts is not None and ends is not None
                person = await ticket_dispatch.staff_member(session, compound_id, args.staff)
                await ticket_dispatch.add_shift(
                    session, None, compound_id, person.id or 0, starts, ends, now=now
                )
            found = await ticket_dispatch.shifts(session, compound_id, now=now)
            if not found:
                print(say(_, N_("{compound}: no duty shifts now or to come."), compound=place.name))
            for shift in found:
                print(
                    say(
                        _,
                        N_("{compound}: {name} on duty from {starts} to {ends}."),
                        compound=place.name,
                        name=shift.name,
                        starts=_.datetime(shift.starts_at, tz),
                        ends=_.datetime(shift.ends_at, tz),
                    )
                )
        return 0

    return run(settings, work)


def common_areas(settings: Settings, args: argparse.Namespace) -> int:
    """Show a compound's common areas, set its own list, or go back to the defaults."""
    from services.ticket_places import common_areas as areas_of
    from services.ticket_places import configure_common_areas

    _ = words(settings)

    async def use(session: AsyncSession, place: Compound, now: datetime) -> str:
        areas = areas_of(place)
        if args.set is not None or args.defaults:
            names = None if args.defaults else re.split(r"[,，、]", args.set)
            areas = await configure_common_areas(session, None, place.id or 0, names, now=now)
        message = N_("{compound}: common areas {areas}.")
        return say(_, message, compound=place.name, areas="、".join(areas))

    return on_compound(settings, args.compound, use)


def building_floors(settings: Settings, args: argparse.Namespace) -> int:
    """Show a building's floors, or set the lowest or the highest (the other stays)."""
    from services.ticket_places import building_by_name, configure_floors, floors_of

    _ = words(settings)

    async def use(session: AsyncSession, place: Compound, now: datetime) -> str:
        building = await building_by_name(session, place.id or 0, args.building)
        floors = floors_of(building)
        if args.lowest is not None or args.highest is not None:
            floors = await configure_floors(
                session, None, building, now=now, lowest=args.lowest, highest=args.highest
            )
        return say(
            _,
            N_("{compound} {building}: floors {lowest} to {highest}."),
            compound=place.name,
            building=building.name,
            lowest=floors.lowest,
            highest=floors.highest,
        )

    return on_compound(settings, args.compound, use)


def ticket_templates(settings: Settings, args: argparse.Namespace) -> int:
    """The compound's response templates, numbered; after adding or removing one."""
    from services import ticket_templates as templates
    from services.errors import DomainError

    _ = words(settings)

    async def use(session: AsyncSession, place: Compound, now: datetime) -> str:
        compound_id = place.id or 0
        if args.action == "list":
            found = await templates.texts(session, compound_id)
        elif args.action == "add":
            found = await templates.add(session, None, compound_id, args.value or "", now=now)
        else:
            if not (args.value or "").isdigit():
                raise DomainError(N_("Give the number of the template to remove."))
            found = await templates.remove(session, None, compound_id, int(args.value), now=now)
        head = say(_, N_("Response templates of {compound}:"), compound=place.name)
        return "\n".join([head, *(f"{number}. {text}" for number, text in enumerate(found, 1))])

    return on_compound(settings, args.compound, use)
