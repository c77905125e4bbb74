"""Owners' votes on the command line: `admin draft-vote`, `admin export-vote`,
`admin vote-settings`, `admin withdraw-vote` (the same rules as /newvote and the vote's card in
the bot)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlmodel import col, select

from cli import run, say, words
from core.db import unit_of_work
from core.i18n import N_
from core.runtime import Runtime
from core.settings import Settings
from models import Building


def add_commands(admin: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    draft = admin.add_parser(
        "draft-vote", help="publish an owners' vote (times as local YYYY-MM-DD HH:MM)"
    )
    draft.add_argument("compound")
    draft.add_argument("--title", required=True)
    draft.add_argument("--text", default="")
    draft.add_argument("--opens", required=True)
    draft.add_argument("--closes", required=True)
    draft.add_argument("--notice", help="when owners get the notice (default: now)")
    draft.add_argument(
        "--special-item", type=int, choices=(6, 7, 8), help="Art. 278 item of a special matter"
    )
    draft.add_argument("--candidates", help="an election: names separated by commas")
    draft.add_argument("--seats", type=int, default=1)
    draft.add_argument("--buildings", help="only these buildings' owners vote, e.g. 1栋,3栋")
    draft.set_defaults(run=draft_vote)
    export = admin.add_parser(
        "export-vote",
        help="write a closed vote's record as XLSX, CSV and JSON, and its result notice as PDF",
    )
    export.add_argument("poll", type=int)
    export.add_argument("--out", type=Path, default=Path("."))
    export.set_defaults(run=export_vote)
    ballots = admin.add_parser(
        "paper-ballots", help="write an announced or open vote's paper ballots as one PDF"
    )
    ballots.add_argument("poll", type=int)
    ballots.add_argument("--out", type=Path, default=Path("."))
    ballots.set_defaults(run=paper_ballots)
    rules = admin.add_parser("vote-settings", help="show or set a compound's voting rules")
    rules.add_argument("compound")
    rules.add_argument("--notice-days", type=int, help="at least 15 (the legal minimum)")
    rules.add_argument("--min-days", type=int, help="the shortest voting window, at least 1")
    rules.add_argument("--unreturned-with-majority", help="on or off (是, 否)")
    rules.add_argument(
        "--objection-days", type=int, help="days owners may object to a preliminary result (1-3)"
    )
    rules.set_defaults(run=vote_settings)
    withdraw = admin.add_parser(
        "withdraw-vote", help="withdraw an announced or open vote before its close"
    )
    withdraw.add_argument("poll", type=int)
    withdraw.add_argument("--reason", required=True, help="what every notified owner is told")
    withdraw.set_defaults(run=withdraw_vote)


def draft_vote(settings: Settings, args: argparse.Namespace) -> int:
    """Publish a vote from the command line, with the same rules as /newvote in the bot."""
    from services.inputs import parse_local_time
    from services.places import compound_by_name
    from services.vote_lifecycle import draft

    _ = words(settings)
    tz = settings.tz
    notice = parse_local_time(args.notice, tz) if args.notice else None
    opens, closes = parse_local_time(args.opens, tz), parse_local_time(args.closes, tz)
    if opens is None or closes is None or (args.notice and notice is None):
        print(
            say(_, N_('Times must be given as "YYYY-MM-DD HH:MM" (local time).')), file=sys.stderr
        )
        return 2

    async def work(runtime: Runtime) -> int:
        now = runtime.clock.now()
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            building_ids = []
            for name in filter(None, (args.buildings or "").split(",")):
                found = (
                    await session.exec(
                        select(col(Building.id))
                        .where(col(Building.compound_id) == place.id)
                        .where(col(Building.name) == name.strip())
                    )
                ).first()
                if found is None:
                    message = N_("No building {name} in {compound}.")
                    print(say(_, message, name=name, compound=place.name), file=sys.stderr)
                    return 2
                building_ids.append(found)
            candidates = [c for c in (args.candidates or "").split(",") if c.strip()]
            poll = await draft(
                session,
                None,
                compound_id=place.id or 0,
                title=args.title,
                body=args.text or "",
                notice_at=notice or now,
                opens_at=opens,
                closes_at=closes,
                now=now,
                matter="special" if args.special_item else "ordinary",
                special_item=args.special_item,
                candidates=candidates or None,
                seats=args.seats,
                building_ids=building_ids,
            )
            print(
                say(
                    _,
                    N_(
                        "Vote #{id} is published. Owners get the notice at {notice}; voting opens {opens} and closes {closes}."
                    ),
                    id=poll.id,
                    notice=_.datetime(poll.notice_at, tz),
                    opens=_.datetime(poll.opens_at, tz),
                    closes=_.datetime(poll.closes_at, tz),
                )
            )
        return 0

    return run(settings, work)


def export_vote(settings: Settings, args: argparse.Namespace) -> int:
    """The record of a closed vote: tally, eligibility snapshot, anonymised ballots (XLSX, CSV,
    JSON) and the result notice to post (PDF, once counted), written to --out; prints the paths."""
    from models import PollStatus
    from services.vote_documents import result_notice
    from services.vote_records import export_record, record_files
    from views.documents.result_sheet import result_pdf

    out: Path = args.out
    files: list[tuple[str, bytes]] = []

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            record = await export_record(
                session, None, args.poll, tz=settings.tz, now=runtime.clock.now()
            )
            files.extend(record_files(args.poll, record.tables, words(settings)))
            if record.poll.status == PollStatus.CLOSED and record.poll.result:
                found = await result_notice(session, None, args.poll)
                today = runtime.clock.now()
                content = result_pdf(found, words(settings), settings.tz, today=today)
                files.append((f"vote-{args.poll}-result.pdf", content))
        return 0

    return run(settings, work) or _write(out, files)


def _write(out: Path, files: list[tuple[str, bytes]]) -> int:
    out.mkdir(parents=True, exist_ok=True)
    for name, content in files:
        (out / name).write_bytes(content)
        print(out / name)
    return 0


def paper_ballots(settings: Settings, args: argparse.Namespace) -> int:
    """One PDF with a paper ballot per eligible home (the snapshot once voting opened, else the
    homes in scope), each with its code; prints the path and the count."""
    from services.vote_documents import paper_ballots as ballots_of
    from views.documents.ballot_sheet import ballots_pdf

    _ = words(settings)
    files: list[tuple[str, bytes]] = []

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            found = await ballots_of(session, None, args.poll, now=runtime.clock.now())
        files.append((f"vote-{args.poll}-paper-ballots.pdf", ballots_pdf(found, _, settings.tz)))
        count = len(found.homes)
        line = _.ngettext("{count} paper ballot.", "{count} paper ballots.", count)
        print(line.unescape().format(count=count))
        return 0

    return run(settings, work) or _write(args.out, files)


def vote_settings(settings: Settings, args: argparse.Namespace) -> int:
    """Show or set the notice period, the shortest voting window, the unreturned-ballot rule and
    the objection period of a compound."""
    from services.enum_inputs import switch
    from services.places import compound_by_name
    from services.vote_lifecycle import configure
    from services.vote_publication import set_objection_days
    from services.vote_rules import VotingRules

    _ = words(settings)
    unreturned = args.unreturned_with_majority

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            place = await configure(
                session,
                None,
                place.id or 0,
                notice_days=args.notice_days,
                unreturned=None if unreturned is None else switch(unreturned),
                min_days=args.min_days,
            )
            if args.objection_days is not None:
                await set_objection_days(session, None, place.id or 0, args.objection_days)
            rules = VotingRules.of(place)  # what applies, whatever an old row says
            days = rules.notice_days
            rule = _.plain("yes") if place.count_unreturned_with_majority else _.plain("no")
            line = _.ngettext(
                "{compound}: notice {days} day before voting opens; unreturned ballots counted "
                "with the majority: {rule}.",
                "{compound}: notice {days} days before voting opens; unreturned ballots counted "
                "with the majority: {rule}.",
                days,
            )
            print(line.unescape().format(compound=place.name, days=days, rule=rule))
            shortest = _.ngettext(
                "Voting stays open at least {days} day.",
                "Voting stays open at least {days} days.",
                rules.min_days,
            )
            print(shortest.unescape().format(days=rules.min_days))
            objecting = place.vote_objection_days
            print(
                _.ngettext(
                    "Owners may object to a preliminary result for {days} day; then the final "
                    "result is published.",
                    "Owners may object to a preliminary result for {days} days; then the final "
                    "result is published.",
                    objecting,
                )
                .unescape()
                .format(days=objecting)
            )
        return 0

    return run(settings, work)


def withdraw_vote(settings: Settings, args: argparse.Namespace) -> int:
    """Withdraw a vote before its close; everyone the bot told of it gets the reason."""
    from services.vote_withdrawal import withdraw

    _ = words(settings)

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            done = await withdraw(session, None, args.poll, args.reason, now=runtime.clock.now())
            line = _.ngettext(
                "Vote #{id} is withdrawn; {count} person will be told the reason.",
                "Vote #{id} is withdrawn; {count} people will be told the reason.",
                done.told,
            )
            print(line.unescape().format(id=done.poll.id, count=done.told))
        return 0

    return run(settings, work)
