"""Tickets on the command line: `admin service-levels` shows or sets a compound's targets."""

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
