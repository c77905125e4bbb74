"""Places and people on the command line: `admin import-roster`, `admin invites`,
`admin revoke-invite`, `admin grant`, `admin invite-role`, `admin compound` and
`admin compound-location`."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cli import invite_username, place_of_compound, run, say, words
from core.db import unit_of_work
from core.i18n import N_, Translator
from core.runtime import Runtime
from core.settings import Settings
from models import Compound, Role
from services.errors import DomainError

if TYPE_CHECKING:
    from services.places import Scope


def add_commands(admin: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    roster = admin.add_parser(
        "import-roster", help="import households from .csv, .xlsx, .xls or .ods"
    )
    roster.add_argument("file", type=Path)
    roster.set_defaults(run=import_roster)
    invites = admin.add_parser("invites", help="issue owner and tenant invite codes for a compound")
    invites.add_argument("compound", help="compound name or id")
    invites.add_argument("--out", type=Path, default=Path("invites"))
    invites.add_argument("--ttl-days", type=int, default=None)
    invites.add_argument(
        "--home", default=None, help="only this home (e.g. 1-1-101): its lost card reissued"
    )
    add_office_phone(invites)
    invites.set_defaults(run=household_invites)
    revoke = admin.add_parser("revoke-invite", help="withdraw an unused invite code")
    revoke.add_argument("code")
    revoke.set_defaults(run=revoke_invite)
    grant = admin.add_parser(
        "grant", help="grant ROLE over SCOPE (kind:name) to a Telegram user id"
    )
    grant.add_argument("role")
    grant.add_argument("scope")
    grant.add_argument("user")
    grant.set_defaults(run=grant_role)
    role_invite = admin.add_parser(
        "invite-role", help="a single-use invite link that grants ROLE over SCOPE"
    )
    role_invite.add_argument("role")
    role_invite.add_argument("scope")
    role_invite.add_argument("--ttl-days", type=int, default=None)
    role_invite.set_defaults(run=invite_role)
    place = admin.add_parser(
        "compound", help="show or set a compound's service model and property company"
    )
    place.add_argument("compound")
    place.add_argument(
        "--service-model",
        help="professional, self_help, public_welfare, guided or none, or the model's name in "
        "any language (专业化, 自助型, 公益性, 指导帮扶, 无); counts for coverage",
    )
    place.add_argument("--company", help="the property company's name (created if new)")
    place.set_defaults(run=compound)
    location = admin.add_parser(
        "compound-location",
        help="set where a compound is (latitude longitude, WGS-84) for the console's KPI map",
    )
    location.add_argument("compound")
    location.add_argument(
        "location", nargs="*", help="latitude and longitude, e.g. 30.6355 114.3005"
    )
    location.add_argument("--clear", action="store_true", help="take the compound off the map")
    location.set_defaults(run=compound_location)


def import_roster(settings: Settings, args: argparse.Namespace) -> int:
    """Load the households; every row is checked first and nothing is written if one is bad."""
    from services.file_limits import FileLimits
    from services.roster import describe
    from services.roster import import_roster as load

    _ = words(settings)
    path: Path = args.file
    if not path.exists():
        print(say(_, N_("No such file: {path}"), path=path), file=sys.stderr)
        return 1

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            result = await load(
                session, path, now=runtime.clock.now(), limits=FileLimits.of(settings)
            )
            if not result.ok:
                await session.rollback()
        if not result.ok:
            print(
                say(_, N_("The roster was not imported; nothing was written. Problems:")),
                file=sys.stderr,
            )
            for line in describe(result.problems, _, count=result.problem_count):
                print(line, file=sys.stderr)
            return 1
        print(
            _.ngettext(
                "Roster imported: {rows} household, {created} new, {updated} updated, {unchanged} unchanged.",
                "Roster imported: {rows} households, {created} new, {updated} updated, {unchanged} unchanged.",
                result.rows,
            )
            .unescape()
            .format(
                rows=result.rows,
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
            )
        )
        return 0

    return run(settings, work)


def household_invites(settings: Settings, args: argparse.Namespace) -> int:
    """One owner and one tenant code per home (or only for --home): a CSV for the office and a
    PDF of QR cards."""
    from services.invites import issue_household_invites
    from services.places import compound_by_name, find_household

    _ = words(settings)
    out: Path = args.out
    days: int = args.ttl_days or settings.invite_ttl_days

    async def work(runtime: Runtime) -> int:
        compound = await place_of_compound(runtime, args.compound)
        username = await invite_username(settings, runtime, compound)
        if username is None:
            return 2
        # Files are written before the commit: codes nobody received must not stay valid.
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            homes = None
            if args.home is not None:
                homes = [(await find_household(session, [place.id or 0], args.home)).id or 0]
            issued = await issue_household_invites(
                session,
                place.id or 0,
                now=runtime.clock.now(),
                ttl=timedelta(days=days),
                household_ids=homes,
            )
            name = f"{place.id}" if homes is None else f"{place.id}-{homes[0]}"
            write_invites(settings, args, issued, place, name, username)
        return 0

    out.mkdir(parents=True, exist_ok=True)
    return run(settings, work)


def add_office_phone(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--office-phone",
        default=None,
        help="the phone printed on the cards (default: the compound's duty phone)",
    )


def write_invites(
    settings: Settings,
    args: argparse.Namespace,
    issued: list,
    place: Compound,
    name: str,
    username: str,
) -> None:
    """The invites as a CSV and a PDF of cut-out cards in --out, and what was written."""
    from services.invite_list import invite_csv
    from views.invite_cards import invite_cards

    _ = words(settings)
    out: Path = args.out
    days: int = args.ttl_days or settings.invite_ttl_days
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / f"invites-{name}.csv"
    sheet_path = out / f"invites-{name}.pdf"
    csv_path.write_text(invite_csv(issued, username, settings.tz, _), encoding="utf-8")
    phone = args.office_phone or place.duty_phone
    sheet_path.write_bytes(invite_cards(issued, username, place.name, phone, settings.tz, _))
    print(
        _.ngettext(
            "{count} invite code for {compound}.",
            "{count} invite codes for {compound}.",
            len(issued),
        )
        .unescape()
        .format(count=len(issued), compound=place.name)
    )
    print(
        _.ngettext(
            "Valid for {days} day: {csv} and {sheet}",
            "Valid for {days} days: {csv} and {sheet}",
            days,
        )
        .unescape()
        .format(days=days, csv=csv_path, sheet=sheet_path)
    )


def revoke_invite(settings: Settings, args: argparse.Namespace) -> int:
    from services.invites import revoke_invite as revoke

    _ = words(settings)

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            await revoke(session, args.code, now=runtime.clock.now())
        print(say(_, N_("Invite code revoked.")))
        return 0

    return run(settings, work)


def role_named(text: str, _: Translator) -> Role | None:
    """The role as typed (its code, liaison, staff…, or its name in any language: 物业服务人员),
    or None after saying why."""
    from services.enum_inputs import role

    try:
        return role(text)
    except DomainError as error:
        print(error.text(_))
        return None


def scope_text(place: Scope, _: Translator) -> str:
    """`小区:幸福家园`: the place as it is typed, its kind in the reader's language."""
    from services.enum_inputs import PlaceName

    return PlaceName(place.kind, place.name).render(_)


def grant_role(settings: Settings, args: argparse.Namespace) -> int:
    """Grant a role over a place to a Telegram user id; they consent when they open the bot."""
    from services.places import resolve_scope
    from services.roles import grant_role as grant
    from views.labels import role as role_label

    _ = words(settings)
    role = role_named(args.role, _)
    if role is None:
        return 2
    if not args.user.isdigit():
        print(say(_, N_("USER must be a numeric Telegram user id, e.g. 123456789.")))
        return 2

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await resolve_scope(session, args.scope)
            created = await grant(session, role, place, int(args.user), now=runtime.clock.now())
        message = (
            N_("Granted {role} over {scope} to {user}.")
            if created
            else N_("{user} already holds {role} over {scope}.")
        )
        print(
            say(
                _,
                message,
                role=role_label(role, _).unescape(),
                scope=scope_text(place, _),
                user=args.user,
            )
        )
        return 0

    return run(settings, work)


def invite_role(settings: Settings, args: argparse.Namespace) -> int:
    """A single-use link that grants a role over a place to whoever opens it and agrees."""
    from services.invites import deep_link, issue_role_invite
    from services.places import resolve_scope

    _ = words(settings)
    role = role_named(args.role, _)
    if role is None:
        return 2
    days: int = args.ttl_days or settings.invite_ttl_days

    async def work(runtime: Runtime) -> int:
        async with runtime.sessions() as session:
            scope = await resolve_scope(session, args.scope)
        username = await invite_username(settings, runtime, (scope.kind, scope.id))
        if username is None:
            return 2
        async with unit_of_work(runtime.sessions) as session:
            place = await resolve_scope(session, args.scope)
            issued = await issue_role_invite(
                session, role, place, now=runtime.clock.now(), ttl=timedelta(days=days)
            )
        print(deep_link(username, issued.code))
        return 0

    return run(settings, work)


def compound(settings: Settings, args: argparse.Namespace) -> int:
    """Show or set a compound's service model (coverage KPI) and property company (ranking);
    the model is typed as its code (professional, self_help…) or its name in any language
    (专业化, 專業化…) and printed translated."""
    from services.places import compound_by_name, configure_compound
    from views.labels import service_model

    _ = words(settings)

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            place, company = await configure_compound(
                session,
                place.id or 0,
                now=runtime.clock.now(),
                service_model=args.service_model,
                company=args.company,
            )
        print(
            say(
                _,
                N_("{compound}: service model {model}, property company {company}."),
                compound=place.name,
                model=service_model(place.service_model, _).unescape(),
                company=company or "—",
            )
        )
        return 0

    return run(settings, work)


def compound_location(settings: Settings, args: argparse.Namespace) -> int:
    """Set (or with --clear remove) a compound's coordinates, for the console's KPI map."""
    from services.compound_location import parse_location, set_location
    from services.places import compound_by_name

    _ = words(settings)
    if args.clear == bool(args.location):
        print(
            say(_, N_("Give the latitude and longitude, or --clear (not both).")), file=sys.stderr
        )
        return 2

    async def work(runtime: Runtime) -> int:
        location = None if args.clear else parse_location(" ".join(args.location))
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            await set_location(session, place.id or 0, location, now=runtime.clock.now())
        if location is None:
            print(say(_, N_("{compound} is no longer on the map."), compound=place.name))
        else:
            print(
                say(
                    _,
                    N_("{compound} is on the map at latitude {latitude}, longitude {longitude}."),
                    compound=place.name,
                    latitude=_.number(location[0], places=6),
                    longitude=_.number(location[1], places=6),
                )
            )
        return 0

    return run(settings, work)
