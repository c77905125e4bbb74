"""Tickets on the command line: `admin service-levels` shows or sets a compound's targets;
`admin ticket-templates` lists, adds or removes a compound's response templates."""

from __future__ import annotations

import argparse

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


def ticket_templates(settings: Settings, args: argparse.Namespace) -> int:
    """The compound's response templates, numbered; after adding or removing one."""
    from services import ticket_templates as templates
    from services.errors import DomainError
    from services.places import compound_by_name

    _ = words(settings)

    async def work(runtime: Runtime) -> int:
        now = runtime.clock.now()
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            compound_id = place.id or 0
            if args.action == "list":
                found = await templates.texts(session, compound_id)
            elif args.action == "add":
                found = await templates.add(session, None, compound_id, args.value or "", now=now)
            else:
                if not (args.value or "").isdigit():
                    raise DomainError(N_("Give the number of the template to remove."))
                found = await templates.remove(session, None, compound_id, int(args.value), now=now)
            print(say(_, N_("Response templates of {compound}:"), compound=place.name))
            for number, text in enumerate(found, start=1):
                print(f"{number}. {text}")
        return 0

    return run(settings, work)
