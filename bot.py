"""Red Property bot: composition root and command line.

python bot.py run                 the bot (polling, or webhook when WEBHOOK_URL is set)
python bot.py demo [--reset]      emulator + sample compound, no Telegram token needed
python bot.py migrate             apply database migrations
python bot.py admin ...           roster import, invites, roles
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from cli import fees as cli_fees
from cli import tickets as cli_tickets
from core.db import unit_of_work
from core.i18n import N_, translator
from core.logging import setup_logging
from core.runtime import Runtime
from core.settings import Settings, get_settings
from services.errors import DomainError

log = logging.getLogger("bot")
CLI_FEATURES = (cli_fees, cli_tickets)


def migrate(database_url: str | None = None) -> None:
    """Apply Alembic migrations up to head."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(Path(__file__).with_name("alembic.ini")))
    if database_url:
        config.attributes["database_url"] = database_url
    command.upgrade(config, "head")


def run_bot(settings: Settings, webhook: bool) -> None:
    from handlers.app import build_application
    from jobs.outbox import OutboxSender
    from jobs.scheduler import build_scheduler

    if not settings.telegram_token:
        print("TELEGRAM_TOKEN is not set; use `python bot.py demo` to try the bot without one.")
        raise SystemExit(2)
    runtime = Runtime.create(settings)
    scheduler = build_scheduler(runtime)

    senders: list[OutboxSender] = []

    async def on_start(app: Any) -> None:
        sender = OutboxSender(runtime, app.bot)
        runtime.outbox_waker = sender.wake
        sender.start()
        senders.append(sender)
        scheduler.start()

    async def on_stop(_app: Any) -> None:
        scheduler.shutdown(wait=False)
        for sender in senders:
            await sender.stop()
        await runtime.close()

    app = build_application(runtime, on_start=on_start, on_stop=on_stop)
    if webhook or settings.webhook_url:
        if not settings.webhook_url or not settings.webhook_secret:
            print(
                "Configuration error: WEBHOOK_URL and WEBHOOK_SECRET are both required for webhook mode"
            )
            raise SystemExit(2)
        app.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path="telegram",
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=["message", "callback_query", "pre_checkout_query"],
        )
    else:
        app.run_polling(allowed_updates=["message", "callback_query", "pre_checkout_query"])


def run_sender(settings: Settings) -> int:
    """Only the outbox sender, e.g. a second process sharing a PostgreSQL outbox."""
    from telegram import Bot

    from handlers.transport import AiohttpRequest
    from jobs.outbox import OutboxSender

    if not settings.telegram_token:
        print("Configuration error: TELEGRAM_TOKEN is required for the sender")
        return 2

    async def main() -> None:
        runtime = Runtime.create(settings)
        bot = Bot(
            settings.telegram_token,
            base_url=settings.telegram_base_url,
            base_file_url=settings.telegram_base_file_url
            or settings.telegram_base_url.replace("/bot", "/file/bot"),
            request=AiohttpRequest(connection_pool_size=128),
        )
        async with bot:
            sender = OutboxSender(runtime, bot)
            log.info("outbox sender started: %s/s, %ss per chat", sender.rate, sender.chat_interval)
            await sender.run_forever()
        await runtime.close()

    asyncio.run(main())
    return 0


def _cli_runtime(settings: Settings) -> Runtime:
    return Runtime.create(settings)


def _run_cli(settings: Settings, work: Callable[[Runtime], Awaitable[int]]) -> int:
    import views  # noqa: F401 (registers the renderers of what the services queue)

    async def main() -> int:
        runtime = _cli_runtime(settings)
        try:
            return await work(runtime)
        except DomainError as error:
            print(error.text(translator(settings.default_language)), file=sys.stderr)
            return 1
        finally:
            await runtime.close()

    return asyncio.run(main())


def admin_import_roster(settings: Settings, path: Path) -> int:
    from services.roster import import_roster

    _ = translator(settings.default_language)

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            result = await import_roster(session, path, now=runtime.clock.now())
            if not result.ok:
                await session.rollback()
        if not result.ok:
            print(
                _(N_("The roster was not imported; nothing was written. Problems:")),
                file=sys.stderr,
            )
            for problem in result.problems:
                detail = _(problem.msgid).format(**problem.params)
                print(
                    _(N_("row {row}, column {column}: {problem}")).format(
                        row=problem.row, column=problem.column, problem=detail
                    ),
                    file=sys.stderr,
                )
            return 1
        print(
            _(
                N_(
                    "Roster imported: {rows} households, {created} new, {updated} updated, {unchanged} unchanged."
                )
            ).format(
                rows=result.rows,
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
            )
        )
        return 0

    if not path.exists():
        print(_(N_("No such file: {path}")).format(path=path), file=sys.stderr)
        return 1
    return _run_cli(settings, work)


def admin_invites(
    settings: Settings, compound: str, out: Path, ttl_days: int, bot_username: str
) -> int:
    from services.invite_sheet import write_invite_csv, write_invite_sheet
    from services.invites import issue_household_invites
    from services.places import compound_by_name

    _ = translator(settings.default_language)

    async def work(runtime: Runtime) -> int:
        # Files are written before the commit: codes nobody received must not stay valid.
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, compound)
            issued = await issue_household_invites(
                session, place.id, now=runtime.clock.now(), ttl=timedelta(days=ttl_days)
            )
            csv_path = write_invite_csv(issued, out / f"invites-{place.id}.csv", bot_username)
            sheet_path = write_invite_sheet(
                issued, out / f"invites-{place.id}.pdf", bot_username, place.name, _
            )
        print(
            _(
                N_("{count} invite codes for {compound}, valid for {days} days: {csv} and {sheet}")
            ).format(
                count=len(issued),
                compound=place.name,
                days=ttl_days,
                csv=csv_path,
                sheet=sheet_path,
            )
        )
        return 0

    out.mkdir(parents=True, exist_ok=True)
    return _run_cli(settings, work)


def admin_revoke(settings: Settings, code: str) -> int:
    from services.invites import revoke_invite

    _ = translator(settings.default_language)

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            await revoke_invite(session, code, now=runtime.clock.now())
        print(_(N_("Invite code revoked.")))
        return 0

    return _run_cli(settings, work)


def admin_grant(settings: Settings, role: str, scope: str, user: str) -> int:
    from services.places import resolve_scope
    from services.residents import grant_role

    _ = translator(settings.default_language)
    role_value = _parse_role(role, _)
    if role_value is None:
        return 2
    if not user.isdigit():
        print(_(N_("USER must be a numeric Telegram user id, e.g. 123456789.")))
        return 2

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await resolve_scope(session, scope)
            created = await grant_role(
                session, role_value, place, int(user), now=runtime.clock.now()
            )
        message = (
            N_("Granted {role} over {scope} to {user}.")
            if created
            else N_("{user} already holds {role} over {scope}.")
        )
        print(
            _(message).format(
                role=role_value.value, scope=f"{place.kind.value}:{place.name}", user=user
            )
        )
        return 0

    return _run_cli(settings, work)


def admin_invite_role(
    settings: Settings, role: str, scope: str, ttl_days: int, bot_username: str
) -> int:
    from services.invites import deep_link, issue_role_invite
    from services.places import resolve_scope

    _ = translator(settings.default_language)
    role_value = _parse_role(role, _)
    if role_value is None:
        return 2

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await resolve_scope(session, scope)
            issued = await issue_role_invite(
                session, role_value, place, now=runtime.clock.now(), ttl=timedelta(days=ttl_days)
            )
        print(deep_link(bot_username, issued.code))
        return 0

    return _run_cli(settings, work)


def admin_compound(
    settings: Settings, compound: str, service_model: str | None, company: str | None
) -> int:
    """Show or set a compound's service model (coverage KPI) and property company (ranking)."""
    from services.places import compound_by_name, configure_compound

    _ = translator(settings.default_language)

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, compound)
            place, company_name = await configure_compound(
                session,
                place.id,
                now=runtime.clock.now(),
                service_model=service_model,
                company=company,
            )
        print(_(N_("{compound}: service model {model}, property company {company}.")).format(
            compound=place.name, model=place.service_model, company=company_name or "—"))  # fmt: skip
        return 0

    return _run_cli(settings, work)


def admin_draft_vote(settings: Settings, args: argparse.Namespace) -> int:
    """Publish a vote from the command line, with the same rules as /newvote in the bot."""
    from sqlmodel import select

    from services.inputs import parse_local_time
    from models import Building
    from services import votes
    from services.places import compound_by_name

    _ = translator(settings.default_language)
    tz = settings.tz
    times = {name: parse_local_time(getattr(args, name), tz) if getattr(args, name) else None
             for name in ("notice", "opens", "closes")}  # fmt: skip
    if (
        times["opens"] is None
        or times["closes"] is None
        or (args.notice and times["notice"] is None)
    ):
        print(_(N_('Times must be given as "YYYY-MM-DD HH:MM" (local time).')), file=sys.stderr)
        return 2

    async def work(runtime: Runtime) -> int:
        now = runtime.clock.now()
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, args.compound)
            building_ids = []
            for name in filter(None, (args.buildings or "").split(",")):
                found = (await session.exec(select(Building.id).where(Building.compound_id == place.id, Building.name == name.strip()))).first()  # fmt: skip
                if found is None:
                    print(_(N_("No building {name} in {compound}.")).format(name=name, compound=place.name), file=sys.stderr)  # fmt: skip
                    return 2
                building_ids.append(found)
            candidates = [c for c in (args.candidates or "").split(",") if c.strip()]
            poll = await votes.draft(
                session, None, compound_id=place.id, title=args.title, body=args.text or "",
                notice_at=times["notice"] or now, opens_at=times["opens"], closes_at=times["closes"],
                now=now, matter="special" if args.special_item else "ordinary",
                special_item=args.special_item, candidates=candidates or None, seats=args.seats,
                building_ids=building_ids,
            )  # fmt: skip
            print(
                _(N_("Vote #{id} is published. Owners get the notice at {notice}; voting opens {opens} and closes {closes}.")).format(
                    id=poll.id, notice=_.datetime(poll.notice_at, tz, "short"),
                    opens=_.datetime(poll.opens_at, tz, "short"), closes=_.datetime(poll.closes_at, tz, "short"),
                )
            )  # fmt: skip
        return 0

    return _run_cli(settings, work)


def admin_export_vote(settings: Settings, poll_id: int, out: Path) -> int:
    """The record of a closed vote: tally, eligibility snapshot, anonymised ballots (XLSX, CSV, JSON)."""
    from models import Poll, PollStatus
    from services import votes
    from services.spreadsheets import xlsx

    _ = translator(settings.default_language)

    found: dict[str, Any] = {}

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            poll = await session.get(Poll, poll_id)
            if poll is None or poll.status != PollStatus.CLOSED:
                print(
                    _(N_("The record can be exported when the vote has closed.")), file=sys.stderr
                )
                return 1
            found.update(await votes.export_tables(session, poll))
        return 0

    status = _run_cli(settings, work)
    if status:
        return status
    out.mkdir(parents=True, exist_ok=True)
    paths = (
        out / f"vote-{poll_id}.xlsx",
        out / f"vote-{poll_id}-csv.zip",
        out / f"vote-{poll_id}.json",
    )
    paths[0].write_bytes(xlsx(found))
    paths[1].write_bytes(votes.tables_as_csv_zip(found, f"vote-{poll_id}"))
    paths[2].write_text(votes.tables_as_json(found), encoding="utf-8")
    for path in paths:
        print(path)
    return 0


def admin_vote_settings(
    settings: Settings, compound: str, notice_days: int | None, unreturned: str | None
) -> int:
    from services import votes
    from services.places import compound_by_name

    _ = translator(settings.default_language)

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await compound_by_name(session, compound)
            place = await votes.configure(
                session, place.id, notice_days=notice_days,
                unreturned=None if unreturned is None else unreturned == "on",
            )  # fmt: skip
            print(
                _(N_("{compound}: notice {days} days before voting opens; unreturned ballots counted with the majority: {rule}.")).format(
                    compound=place.name, days=place.vote_notice_days,
                    rule=_(N_("yes")) if place.count_unreturned_with_majority else _(N_("no")),
                )
            )  # fmt: skip
        return 0

    return _run_cli(settings, work)


def report_command(settings: Settings, month: str, scope: str, out: Path) -> int:
    """The monthly report without Telegram: the workbook at `out`, the chart beside it (.png)."""
    import re

    from services import kpi
    from services.places import resolve_scope
    from views.kpi import chart, summary_text, workbook

    _ = translator(settings.default_language)
    if not re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", month):
        print(_(N_("Send the month as YYYY-MM, for example 2026-10.")), file=sys.stderr)
        return 2
    found: dict[str, Any] = {}

    async def work(runtime: Runtime) -> int:
        async with unit_of_work(runtime.sessions) as session:
            place = await resolve_scope(session, scope)
            found["report"] = await kpi.report(
                session, place.kind.value, place.id, place.name, month, settings.tz
            )
        return 0

    status = _run_cli(settings, work)
    if status:
        return status
    report = found["report"]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(workbook(report, _))
    out.with_suffix(".png").write_bytes(chart(report, _))
    print(re.sub(r"<[^>]+>", "", summary_text(report, _)))
    print(out)
    print(out.with_suffix(".png"))
    return 0


def _parse_role(text: str, _: Any) -> Any:
    from models import Role

    try:
        return Role(text)
    except ValueError:
        print(
            _(N_("Unknown role {role}; use one of: {roles}.")).format(
                role=text, roles=", ".join(Role)
            )
        )
        return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bot.py", description="Red Property bot")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("start", help="the bot if TELEGRAM_TOKEN is set, else the demo (default)")
    run = commands.add_parser("run", help="run the bot against Telegram (TELEGRAM_TOKEN)")
    run.add_argument(
        "--webhook", action="store_true", help="webhook mode (needs WEBHOOK_URL, WEBHOOK_SECRET)"
    )
    demo = commands.add_parser("demo", help="run the emulator with the sample compound")
    demo.add_argument("--reset", action="store_true", help="start from the seeded state")
    demo.add_argument(
        "--port", type=int, default=None, help="port of the emulator (default DEMO_PORT)"
    )
    commands.add_parser("migrate", help="apply database migrations")
    report = commands.add_parser(
        "report", help="the monthly KPI report as XLSX and PNG, without Telegram"
    )
    report.add_argument("--month", required=True, help="YYYY-MM")
    report.add_argument(
        "--scope", required=True, help="e.g. district:江岸区, compound:幸福家园, city:武汉市"
    )
    report.add_argument("--out", type=Path, default=Path("report.xlsx"))
    commands.add_parser("send-outbox", help="run only the outbox sender (extra sender processes)")
    admin = commands.add_parser("admin", help="administration").add_subparsers(
        dest="admin", required=True
    )
    roster = admin.add_parser("import-roster", help="import households from .csv or .xlsx")
    roster.add_argument("file", type=Path)
    inv = admin.add_parser("invites", help="issue owner and tenant invite codes for a compound")
    inv.add_argument("compound", help="compound name or id")
    inv.add_argument("--out", type=Path, default=Path("invites"))
    inv.add_argument("--ttl-days", type=int, default=None)
    inv.add_argument("--bot-username", default=None)
    revoke = admin.add_parser("revoke-invite", help="withdraw an unused invite code")
    revoke.add_argument("code")
    grant = admin.add_parser(
        "grant", help="grant ROLE over SCOPE (kind:name) to a Telegram user id"
    )
    grant.add_argument("role")
    grant.add_argument("scope")
    grant.add_argument("user")
    role_invite = admin.add_parser(
        "invite-role", help="a single-use invite link that grants ROLE over SCOPE"
    )
    role_invite.add_argument("role")
    role_invite.add_argument("scope")
    role_invite.add_argument("--ttl-days", type=int, default=None)
    role_invite.add_argument("--bot-username", default=None)
    place = admin.add_parser(
        "compound", help="show or set a compound's service model and property company"
    )
    place.add_argument("compound")
    place.add_argument(
        "--service-model",
        help="professional, self_help, public_welfare, guided or none (counts for coverage)",
    )
    place.add_argument("--company", help="the property company's name (created if new)")
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
    export = admin.add_parser(
        "export-vote", help="write a closed vote's record as XLSX, CSV and JSON"
    )
    export.add_argument("poll", type=int)
    export.add_argument("--out", type=Path, default=Path("."))
    vote_rules = admin.add_parser("vote-settings", help="show or set a compound's voting rules")
    vote_rules.add_argument("compound")
    vote_rules.add_argument("--notice-days", type=int)
    vote_rules.add_argument("--unreturned-with-majority", choices=("on", "off"))
    for feature in CLI_FEATURES:
        feature.add_commands(admin)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    setup_logging(settings.log_level)
    if args.command in (None, "start"):
        args.command = "run" if settings.telegram_token else "demo"
        args.webhook, args.reset, args.port = False, False, None
    bot_username = getattr(args, "bot_username", None) or settings.bot_username
    ttl = getattr(args, "ttl_days", None) or settings.invite_ttl_days
    if args.command == "run":
        run_bot(settings, args.webhook)
        return 0
    if args.command == "demo":
        from demo.app import run_demo

        return run_demo(settings, reset=args.reset, port=args.port or settings.demo_port)
    if args.command == "send-outbox":
        return run_sender(settings)
    if args.command == "migrate":
        migrate(settings.database_url)
        return 0
    if args.command == "report":
        return report_command(settings, args.month, args.scope, args.out)
    if getattr(args, "run", None) is not None:  # a feature's command (cli/)
        return int(args.run(settings, args))
    if args.admin == "import-roster":
        return admin_import_roster(settings, args.file)
    if args.admin == "invites":
        return admin_invites(settings, args.compound, args.out, ttl, bot_username)
    if args.admin == "revoke-invite":
        return admin_revoke(settings, args.code)
    if args.admin == "grant":
        return admin_grant(settings, args.role, args.scope, args.user)
    if args.admin == "compound":
        return admin_compound(settings, args.compound, args.service_model, args.company)
    if args.admin == "draft-vote":
        return admin_draft_vote(settings, args)
    if args.admin == "export-vote":
        return admin_export_vote(settings, args.poll, args.out)
    if args.admin == "vote-settings":
        return admin_vote_settings(
            settings, args.compound, args.notice_days, args.unreturned_with_majority
        )
    if args.admin == "invite-role":
        return admin_invite_role(settings, args.role, args.scope, ttl, bot_username)
    return 2


if __name__ == "__main__":
    sys.exit(main())
