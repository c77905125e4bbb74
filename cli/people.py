"""People over time on the command line: `admin revoke` (a role ends), `admin end-membership`
(someone left a home), `admin transfer-home` (a sale, with the buyer's invites) and
`admin history` (who held which home or role, from when to when) and `admin audit` (who read
people's personal data)."""

from __future__ import annotations

import argparse
from datetime import date, datetime, time, timedelta
from pathlib import Path

from cli import invite_username, place_of_compound, run, say, words
from cli.places import add_office_phone, role_named, scope_text, write_invites
from core.db import unit_of_work
from core.i18n import N_, Msg, Translator
from core.runtime import Runtime
from core.settings import Settings
from models import EndReason, Role

ROLES = frozenset(r.value for r in Role)
REASONS: dict[str, Msg] = {
    EndReason.MOVED_OUT: N_("moved out"),
    EndReason.REMOVED: N_("removed by the owner"),
    EndReason.OFFICE: N_("ended by the office"),
    EndReason.SOLD: N_("home sold"),
    EndReason.FORGOTTEN: N_("data deleted"),
}


def add_commands(admin: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    revoke = admin.add_parser(
        "revoke", help="end ROLE over SCOPE (kind:name) of a Telegram user id"
    )
    revoke.add_argument("role")
    revoke.add_argument("scope")
    revoke.add_argument("user")
    revoke.set_defaults(run=revoke_role)
    end = admin.add_parser(
        "end-membership", help="end a Telegram user's registration with a home (moved out)"
    )
    end.add_argument("compound", help="compound name or id")
    end.add_argument("home", help="the home, e.g. 1-1-101 or 1栋1单元101")
    end.add_argument("user")
    end.set_defaults(run=end_membership)
    sale = admin.add_parser(
        "transfer-home", help="record a home's sale on a date; prints the buyer's invites"
    )
    sale.add_argument("compound", help="compound name or id")
    sale.add_argument("home", help="the home, e.g. 1-1-101")
    sale.add_argument("date", help="the transfer date, YYYY-MM-DD (local time)")
    sale.add_argument("--buyer-name", default=None, help="the new owner's name for the roster")
    sale.add_argument("--buyer-phone", default=None, help="the new owner's phone for the roster")
    sale.add_argument("--out", type=Path, default=Path("invites"))
    sale.add_argument("--ttl-days", type=int, default=None)
    add_office_phone(sale)
    sale.set_defaults(run=transfer_home)
    history = admin.add_parser(
        "history", help="who held which home or role in a compound, from when to when"
    )
    history.add_argument("compound", help="compound name or id")
    history.add_argument("--home", default=None, help="one home, e.g. 1-1-101")
    history.add_argument("--person", default=None, help="one Telegram user id")
    history.add_argument("--roles", action="store_true", help="the compound's roles")
    history.set_defaults(run=show_history)
    reads = admin.add_parser(
        "audit", help="who read personal data of a compound's people, as XLSX or CSV"
    )
    reads.add_argument("--compound", required=True, help="compound name or id")
    reads.add_argument("--since", required=True, help="from this date, YYYY-MM-DD (local time)")
    reads.add_argument("--out", type=Path, required=True, help="the file: .xlsx or .csv")
    reads.set_defaults(run=export_reads)


def _user(text: str, _: Translator) -> int | None:
    if not text.isdigit():
        print(say(_, N_("USER must be a numeric Telegram user id, e.g. 123456789.")))
        return None
    return int(text)


def revoke_role(settings: Settings, args: argparse.Namespace) -> int:
    """End a role: the person is told, their menu changes at once, a staff member's open
    tickets go back to the unassigned queue."""
    from services.places import resolve_scope
    from services.role_endings import revoke_role as revoke
    from views.labels import role as role_label

    _ = words(settings)
    role = role_named(args.role, _)
    user = _user(args.user, _)
    if role is None or user is None:
        return 2

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await resolve_scope(session, args.scope)
            ended = await revoke(session, role, place, user, now=runtime.clock.now())
        print(
            say(
                _,
                N_("Revoked {role} over {scope} from {user}."),
                role=role_label(role, _).unescape(),
                scope=scope_text(place, _),
                user=user,
            )
        )
        if ended.released:
            print(
                _.ngettext(
                    "{count} open ticket went back to the unassigned queue.",
                    "{count} open tickets went back to the unassigned queue.",
                    len(ended.released),
                )
                .unescape()
                .format(count=len(ended.released))
            )
        return 0

    return run(settings, work)


def end_membership(settings: Settings, args: argparse.Namespace) -> int:
    from services.memberships import end_membership_by_office
    from services.places import compound_by_name, find_household

    _ = words(settings)
    user = _user(args.user, _)
    if user is None:
        return 2

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            home = await find_household(session, [place.id or 0], args.home)
            ended = await end_membership_by_office(session, home, user, now=runtime.clock.now())
        print(
            say(_, N_("{user} is no longer registered with {home}."), user=user, home=ended.label)
        )
        return 0

    return run(settings, work)


def transfer_home(settings: Settings, args: argparse.Namespace) -> int:
    """Record a sale; on its date the seller's side leaves and the buyer's invites open."""
    from services.places import compound_by_name
    from services.transfers import record_transfer

    _ = words(settings)
    try:
        on = date.fromisoformat(args.date)
    except ValueError:
        print(say(_, N_("The date must be written YYYY-MM-DD, e.g. 2027-01-15.")))
        return 2
    days: int = args.ttl_days or settings.invite_ttl_days

    async def work(runtime: Runtime) -> int:
        compound = await place_of_compound(runtime, args.compound)
        username = await invite_username(settings, runtime, compound)
        if username is None:
            return 2
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            done = await record_transfer(
                session,
                place.id or 0,
                args.home,
                on,
                now=runtime.clock.now(),
                tz=settings.tz,
                ttl=timedelta(days=days),
                buyer_name=args.buyer_name,
                buyer_phone=args.buyer_phone,
            )
            message = (
                N_(
                    "{home} transferred to its new owner on {date}; the seller's registrations have ended."
                )
                if done.applied
                else N_("{home} will be transferred on {date}; the buyer's invites open that day.")
            )
            print(say(_, message, home=done.label, date=_.date(on)))
            write_invites(
                settings,
                args,
                done.invites,
                place,
                f"{place.id}-{done.transfer.household_id}",
                username,
            )
        return 0

    return run(settings, work)


def show_history(settings: Settings, args: argparse.Namespace) -> int:
    """Present and past holders with their dates (local time), oldest first."""
    from services import audit, people_history
    from services.places import compound_by_name, find_household
    from views.labels import membership, role

    _ = words(settings)
    tz = settings.tz

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            if args.person is not None:
                user = _user(args.person, _)
                if user is None:
                    return 2
                found = await people_history.person_history(session, user)
            elif args.home is not None:
                home = await find_household(session, [place.id or 0], args.home)
                found = await people_history.home_history(session, home.id or 0)
                for sale in await people_history.transfers_of(session, home.id or 0):
                    print(
                        say(
                            _,
                            N_("Sale on {date}: {seller} → {buyer}{pending}"),
                            date=_.date(sale.effective_at, tz),
                            seller=sale.from_owner_name or "—",
                            buyer=sale.to_owner_name or "—",
                            pending="" if sale.applied_at else _.plain(N_(" (to come)")),
                        )
                    )
            else:
                found = await people_history.role_history(session, place.id or 0)
            await audit.record_read(
                session,
                at=runtime.clock.now(),
                actor_id=None,
                what="history",
                subject_type="compound",
                subject_id=place.id,
                compound_id=place.id,
                residents=[held.resident_id for held in found],
            )
        if not found:
            print(say(_, N_("No one has held that yet.")))
        for held in found:
            what = role(held.kind, _) if held.kind in ROLES else membership(held.kind, _)
            print(
                say(
                    _,
                    N_("{place} · {what} · {person} ({user}) · {start} – {end}{reason}"),
                    place=held.place,
                    what=what.unescape(),
                    person=held.person,
                    user=held.telegram_id or "—",
                    start=_.date(held.started_at, tz),
                    end=_.date(held.ended_at, tz) if held.ended_at else _.plain(N_("to this day")),
                    reason=f" ({_.plain(REASONS[held.reason])})" if held.reason in REASONS else "",
                )
            )
        return 0

    return run(settings, work)


def export_reads(settings: Settings, args: argparse.Namespace) -> int:
    """Every read of personal data in the compound since the date, one row per person or home
    read, written by the one spreadsheet writer."""
    from services.audit_export import reads_table
    from services.places import compound_by_name
    from services.tables import csv_text, xlsx

    _ = words(settings)
    out: Path = args.out
    try:
        since = datetime.combine(date.fromisoformat(args.since), time(0), settings.tz)
    except ValueError:
        print(say(_, N_("The date must be written YYYY-MM-DD, e.g. 2027-01-15.")))
        return 2
    if out.suffix.lower() not in (".xlsx", ".csv"):
        print(say(_, N_("The file must end in .xlsx or .csv.")))
        return 2

    content: list[bytes] = []

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            table = await reads_table(session, place.id or 0, since, settings.tz)
        if out.suffix.lower() == ".csv":
            content.append(csv_text(table, _).encode())
        else:
            content.append(xlsx({"reads": table}, _))
        count = len(table.rows)
        print(
            _.ngettext("{count} read written to {path}.", "{count} reads written to {path}.", count)
            .unescape()
            .format(count=count, path=out)
        )
        return 0

    status = run(settings, work)
    if content:
        out.write_bytes(content[0])
    return status
