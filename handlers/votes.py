"""Owners'-assembly votes in the bot: /vote to read and vote, /newvote to draft (committee),
paper ballots (staff), the not-yet-voted list (liaisons), /receipt, exports and receipt hashes."""

from __future__ import annotations

import dataclasses
import io
from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core.i18n import N_, Translator
from handlers.account import conversation_fallbacks
from handlers.common import (
    buttons,
    edit_or_reply,
    handler,

    reply,
    use_the_buttons,
)
from handlers.context import BotContext
from services.inputs import parse_local_time
from handlers.menu import MenuCommand, add_commands, registered, with_role
from jobs.votes import building_names
from models import Household, Poll, PollKind, PollStatus, Role
from services import pending, vote_drafts, votes
from services.errors import DomainError
from services.places import household_labels
from services.spreadsheets import xlsx
from services.tally import Choice, MatterType
from views.callbacks import CallbackData, InvalidCallback, answer_for
from views.votes import (
    CHOICE,
    MAX_CANDIDATES,
    SPECIAL_ITEM,
    STATUS,
    VoteCast,
    VoteElect,
    VoteManage,
    VoteView,
    ballot_text,
    chosen_candidates,
    poll_text,
    result_text,
)

(
    COMPOUND,
    TITLE,
    BODY,
    KIND,
    MATTER,
    CANDIDATES,
    SEATS,
    SCOPE,
    PICK,
    TIMES,
    TIMES_TEXT,
    PREVIEW,
) = range(12)
PAPER_HOME, PAPER_CHOICE = range(20, 22)
PAPER = "paper_ballot"
NOT_OWNER = N_("Only owners vote in owners' assembly votes; tenants and family members do not.")


@dataclasses.dataclass(frozen=True)
class DraftStep(CallbackData, kind="vd"):
    """One answer in the drafting flow: step name and value."""

    step: str
    value: str


@dataclasses.dataclass(frozen=True)
class PaperChoice(CallbackData, kind="vp"):
    poll_id: int
    household_id: int
    choice: str


# --- reading and voting --------------------------------------------------------------------
@handler
async def list_votes(update: Update, context: BotContext) -> None:
    """/vote: votes of the person's compounds, open ones first."""
    _ = context._
    found = await votes.visible_polls(context.session, context.actor)
    if not found:
        text = _("There are no owners' votes for your compound at the moment.")
        if context.actor.households and not context.actor.is_owner:
            text += "\n" + _(NOT_OWNER)
        await reply(update, text)
        return
    order = {PollStatus.OPEN: 0, PollStatus.PUBLISHED: 1, PollStatus.CLOSED: 2}
    rows = [
        [(f"#{p.id} · {_(STATUS[PollStatus(p.status)])} · {p.title[:24]}", VoteView(p.id).pack())]
        for p in sorted(found, key=lambda p: (order[PollStatus(p.status)], p.closes_at))
    ]
    text = _("<b>Owners' votes</b> (tap one to read it and vote)")
    if context.actor.households and not context.actor.is_owner:
        text += "\n" + _(NOT_OWNER)
    await reply(update, text, reply_markup=buttons(rows))


async def _card(
    context: BotContext, poll: Poll, mask: int = 0
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The vote as this person sees it, with the buttons their role allows."""
    _ = context._
    session, actor, tz = context.session, context.actor, context.runtime.settings.tz
    text = poll_text(poll, _, tz, await building_names(session, poll))
    rows: list[list[tuple[str, str]]] = []
    owner, ballot = await votes.ballot_state(session, actor, poll)
    if poll.status in (PollStatus.OPEN, PollStatus.CLOSED) and owner:
        text += "\n\n" + ballot_text(poll, ballot, _)
        if poll.status == PollStatus.OPEN:
            text += "\n" + _("You can change it until {closes}.").format(
                closes=_.datetime(poll.closes_at, tz, "short")
            )
            rows += _ballot_buttons(poll, _, mask)
    elif actor.households and not owner and not actor.roles:
        text += "\n\n" + _(NOT_OWNER)
    if poll.status == PollStatus.PUBLISHED and owner:
        text += "\n\n" + _("Voting has not opened yet.")
    if poll.status == PollStatus.CLOSED and poll.result:
        text += "\n\n" + result_text(poll, _, tz)
        rows.append([(_("Counted receipt hashes"), VoteManage("receipts", poll.id).pack())])
    manage = []
    if poll.status == PollStatus.OPEN:
        if poll.compound_id in await votes.role_compound_ids(
            session, actor, votes.OVERSIGHT_ROLES | votes.PAPER_ROLES
        ):
            manage.append((_("Not yet voted"), VoteManage("notvoted", poll.id).pack()))
        if poll.compound_id in await votes.role_compound_ids(session, actor, votes.PAPER_ROLES):
            manage.append((_("Enter a paper ballot"), VoteManage("paper", poll.id).pack()))
    if poll.status == PollStatus.CLOSED and poll.compound_id in await votes.role_compound_ids(
        session, actor, votes.EXPORT_ROLES
    ):
        manage.append((_("Export the record"), VoteManage("export", poll.id).pack()))
    rows.append(manage)
    return text, buttons(rows) if any(rows) else None


def _ballot_buttons(poll: Poll, _: Translator, mask: int) -> list[list[tuple[str, str]]]:
    if poll.kind == PollKind.RESOLUTION:
        return [[(_(CHOICE[c]), VoteCast(poll.id, c.value).pack()) for c in Choice]]
    rows = [
        [
            (
                ("☑️ " if mask & (1 << i) else "⬜ ") + name,
                VoteElect(poll.id, mask ^ (1 << i), False).pack(),
            )
        ]
        for i, name in enumerate(poll.candidates)
    ]
    count = bin(mask).count("1")
    rows.append(
        [(_("Submit my choice ({count} of at most {seats})").format(count=count, seats=poll.seats),
          VoteElect(poll.id, mask, True).pack())]
    )  # fmt: skip
    return rows


@handler
async def view(update: Update, context: BotContext) -> None:
    data = VoteView.parse(update.callback_query.data)
    poll = await votes.visible_poll(context.session, context.actor, data.poll_id)
    text, markup = await _card(context, poll)
    await reply(update, text, reply_markup=markup)


async def _cast(update: Update, context: BotContext, poll_id: int, choice: list[str]) -> None:
    _ = context._
    poll = await votes.visible_poll(context.session, context.actor, poll_id)
    code, ballot = await votes.cast(
        context.session, context.actor, poll.id, choice, now=context.now()
    )
    tz = context.runtime.settings.tz
    chosen = ballot_text(poll, votes.Counted(ballot.voter_key, ballot.version, ballot.choice, ballot.channel,
                                             ballot.receipt_hash, ballot.flagged), _)  # fmt: skip
    if code is None:
        await reply(
            update, _("{ballot}. It was already recorded; nothing changed.").format(ballot=chosen)
        )
        return
    text = _(
        "{ballot} — recorded at {when}.\nYour receipt code: <code>{code}</code>\nKeep it to yourself. "
        "After the close, /receipt {code} shows that your ballot was counted. You can change your "
        "vote until {closes}; only the last one counts."
    ).format(
        ballot=chosen, when=_.datetime(ballot.cast_at, tz, "short"), code=code,
        closes=_.datetime(poll.closes_at, tz, "short"),
    )  # fmt: skip
    if ballot.version > 1:
        text = _("Your vote is changed.") + "\n" + text
    await reply(update, text)


@handler
async def cast(update: Update, context: BotContext) -> None:
    data = VoteCast.parse(update.callback_query.data)
    await _cast(update, context, data.poll_id, [data.choice])


@handler
async def elect(update: Update, context: BotContext) -> None:
    data = VoteElect.parse(update.callback_query.data)
    poll = await votes.visible_poll(context.session, context.actor, data.poll_id)
    if poll.kind != PollKind.ELECTION or data.mask >= 1 << len(poll.candidates):
        raise InvalidCallback(update.callback_query.data)
    if data.submit:
        await _cast(update, context, poll.id, chosen_candidates(poll, data.mask))
        return
    if bin(data.mask).count("1") > poll.seats:
        await reply(
            update, context._("Choose at most {seats} of the candidates.").format(seats=poll.seats)
        )
        return
    if poll.status != PollStatus.OPEN:
        raise DomainError(N_("This vote is not open for voting."))
    text, markup = await _card(context, poll, data.mask)
    await edit_or_reply(update, text, reply_markup=markup)


@handler
async def check_receipt(update: Update, context: BotContext) -> None:
    """/receipt CODE: was this ballot counted? Says nothing about the choice."""
    _ = context._
    code = context.args[0] if context.args else ""
    if not code:
        await reply(update, _("Send /receipt followed by the receipt code you got when you voted."))
        return
    poll, status = await votes.check_receipt(context.session, code)
    if status == votes.ReceiptStatus.UNKNOWN:
        await reply(update, _("No ballot has this receipt code. Please check the code."))
    elif status == votes.ReceiptStatus.REPLACED:
        await reply(
            update,
            _(
                "This receipt belongs to a ballot that was later changed; the later ballot of your home counts instead."
            ),
        )
    elif poll.status == PollStatus.CLOSED:
        await reply(
            update,
            _("Counted: your ballot is in the final tally of vote #{id}.").format(id=poll.id),
        )
    else:
        await reply(
            update,
            _(
                "Recorded: this is your home's current ballot in vote #{id}; it will be counted unless you change it."
            ).format(id=poll.id),
        )


# --- liaisons, committee, staff ---------------------------------------------------------------
@handler
async def manage(update: Update, context: BotContext) -> int | None:
    data = VoteManage.parse(update.callback_query.data)
    _ = context._
    session, actor = context.session, context.actor
    poll = await votes.visible_poll(session, actor, data.poll_id)
    chat = update.effective_chat
    if data.action == "receipts":
        if poll.status != PollStatus.CLOSED:
            raise DomainError(N_("The list of receipt hashes is published when the vote closes."))
        hashes = await votes.receipt_hashes(session, poll.id)
        content = "\n".join(hashes) + "\n"
        await chat.send_document(
            io.BytesIO(content.encode()), filename=f"vote-{poll.id}-receipt-hashes.txt",
            caption=_("{count} counted ballots. Your line is the SHA-256 of “{id}:” followed by the part of your receipt code after “{id}-”.").format(count=_.number(len(hashes)), id=poll.id),
        )  # fmt: skip
    elif data.action == "notvoted":
        if poll.status != PollStatus.OPEN:
            raise DomainError(N_("This vote is not open for voting."))
        await votes.require_role(session, actor, poll, votes.OVERSIGHT_ROLES | votes.PAPER_ROLES,
                                 N_("Only liaisons, committee members and property staff of this compound can see this list."))  # fmt: skip
        homes = await votes.not_voted(session, poll)
        rows = [[h.grid, h.label, h.owner_name, h.owner_phone] for h in homes]
        headers = [_("Grid"), _("Home"), _("Owner (roster)"), _("Phone (roster)")]
        await chat.send_document(
            io.BytesIO(xlsx({_("Not yet voted"): (headers, rows)})), filename=f"vote-{poll.id}-not-voted.xlsx",
            caption=_("{count} homes have not voted yet.").format(count=_.number(len(homes))),
        )  # fmt: skip
    elif data.action == "export":
        if poll.status != PollStatus.CLOSED:
            raise DomainError(N_("The record can be exported when the vote has closed."))
        await votes.require_role(session, actor, poll, votes.EXPORT_ROLES,
                                 N_("Only committee members, administrators and officers can export the record."))  # fmt: skip
        tables = await votes.export_tables(session, poll)
        prefix = f"vote-{poll.id}"
        await chat.send_document(io.BytesIO(xlsx(tables)), filename=f"{prefix}.xlsx",
                                 caption=_("Tally, eligibility snapshot and anonymised ballots."))  # fmt: skip
        await chat.send_document(
            io.BytesIO(votes.tables_as_csv_zip(tables, prefix)), filename=f"{prefix}-csv.zip"
        )
        await chat.send_document(
            io.BytesIO(votes.tables_as_json(tables).encode()), filename=f"{prefix}.json"
        )
    elif data.action == "paper":
        return await _paper_start(update, context, poll)
    else:
        raise InvalidCallback(update.callback_query.data)
    return ConversationHandler.END


async def _paper_start(update: Update, context: BotContext, poll: Poll) -> int:
    if poll.status != PollStatus.OPEN:
        raise DomainError(N_("This vote is not open for voting."))
    await votes.require_role(context.session, context.actor, poll, votes.PAPER_ROLES,
                             N_("Only property staff of this compound can do that."))  # fmt: skip
    await pending.expect(context.session, context.actor, PAPER, poll.id, now=context.now())
    await reply(
        update,
        context._(
            "Paper ballot for vote #{id}: send the home, for example 1栋 1单元 101. /cancel to stop."
        ).format(id=poll.id),
    )
    return PAPER_HOME


@handler
async def paper_home(update: Update, context: BotContext) -> int | None:
    _ = context._
    row = await pending.current(context.session, context.actor)
    if row.purpose != PAPER:
        raise DomainError(N_("This button is no longer valid. Please start again from the menu."))
    poll = await votes.visible_poll(context.session, context.actor, row.ref_id)
    home = await votes.find_home(context.session, poll, update.effective_message.text)
    label = (await household_labels(context.session, [home.id]))[home.id]
    if poll.kind == PollKind.RESOLUTION:
        rows = [[(_(CHOICE[c]), PaperChoice(poll.id, home.id, c.value).pack()) for c in Choice]]
        await reply(update, _("What does the signed paper ballot of {home} say?").format(home=label),
                    reply_markup=buttons(rows))  # fmt: skip
        await pending.take(context.session, context.actor, PAPER)
        return ConversationHandler.END
    await pending.expect(
        context.session, context.actor, PAPER, poll.id, now=context.now(), household_id=home.id
    )
    names = "\n".join(f"{i}. {escape(name)}" for i, name in enumerate(poll.candidates, start=1))
    await reply(
        update,
        _("Which candidates does the paper ballot of {home} choose? Send their numbers, e.g. 1,3 (0 for none).").format(home=label)
        + "\n" + names,
    )  # fmt: skip
    return PAPER_CHOICE


async def _record_paper(
    update: Update, context: BotContext, poll_id: int, household_id: int, choice: list[str]
) -> None:
    _ = context._
    poll = await votes.visible_poll(context.session, context.actor, poll_id)
    household = await context.session.get(Household, household_id)
    if household is None or household.compound_id != poll.compound_id:
        raise InvalidCallback(str(household_id))
    _code, ballot = await votes.enter_paper_ballot(
        context.session, context.actor, poll.id, household_id, choice, now=context.now()
    )
    label = (await household_labels(context.session, [household_id]))[household_id]
    text = _("Paper ballot of {home} recorded: {choice}.").format(
        home=label,
        choice="、".join(escape(c) for c in choice) if poll.kind == PollKind.ELECTION else _(CHOICE[Choice(choice[0])]),
    )  # fmt: skip
    if ballot.flagged:
        text += "\n" + _(
            "⚠️ This home had also voted in the bot. The signed paper ballot counts, and the case is flagged for the committee."
        )
    await reply(update, text)


@handler
async def paper_choice(update: Update, context: BotContext) -> None:
    data = PaperChoice.parse(update.callback_query.data)
    await _record_paper(update, context, data.poll_id, data.household_id, [data.choice])


@handler
async def paper_candidates(update: Update, context: BotContext) -> int | None:
    _ = context._
    row = await pending.current(context.session, context.actor)
    if row.purpose != PAPER or "household_id" not in row.data:
        raise DomainError(N_("This button is no longer valid. Please start again from the menu."))
    poll = await votes.visible_poll(context.session, context.actor, row.ref_id)
    text = (update.effective_message.text or "").replace("，", ",")
    try:
        numbers = {int(part) for part in text.split(",") if part.strip()}
    except ValueError:
        numbers = {-1}
    if numbers != {0} and not all(1 <= n <= len(poll.candidates) for n in numbers):
        await reply(
            update, _("Please send candidate numbers from the list, e.g. 1,3 (0 for none).")
        )
        return PAPER_CHOICE
    choice = [] if numbers == {0} else [poll.candidates[n - 1] for n in sorted(numbers)]
    await _record_paper(update, context, poll.id, row.data["household_id"], choice)
    await pending.take(context.session, context.actor, PAPER)
    return ConversationHandler.END


# --- drafting (committee, admin) --------------------------------------------------------------
@handler
async def new_vote(update: Update, context: BotContext) -> int | None:
    _ = context._
    compounds = await votes.drafting_compounds(context.session, context.actor)
    if not compounds or not context.actor.registered:
        await reply(
            update,
            _(
                "Only owners' committee members and administrators of this compound can draft votes."
            ),
        )
        return ConversationHandler.END
    if len(compounds) > 1:
        rows = [[(c.name, DraftStep("compound", str(c.id)).pack())] for c in compounds[:20]]
        await reply(update, _("Which compound is this vote for?"), reply_markup=buttons(rows))
        return COMPOUND
    return await _begin(update, context, compounds[0].id)


@handler
async def compound_chosen(update: Update, context: BotContext) -> int | None:
    value = answer_for(DraftStep, update.callback_query.data, "compound").value
    if not value.isdigit():
        raise InvalidCallback(value)
    return await _begin(update, context, int(value))


async def _begin(update: Update, context: BotContext, compound_id: int) -> int:
    await vote_drafts.start(
        context.session,
        context.actor,
        compound_id,
        now=context.now(),
        tz=context.runtime.settings.tz,
    )
    await edit_or_reply(
        update,
        context._("New owners' vote. Send its title (at most 200 characters). /cancel to stop."),
    )
    return TITLE


@handler
async def title_received(update: Update, context: BotContext) -> int | None:
    title = (update.effective_message.text or "").strip()
    if not title or len(title) > 200:
        await reply(update, context._("Please send a title of at most 200 characters."))
        return TITLE
    await vote_drafts.update(context.session, context.actor, now=context.now(), title=title)
    await reply(
        update,
        context._("Send the full text of the matter owners decide on: what, why, cost, who pays."),
    )
    return BODY


@handler
async def body_received(update: Update, context: BotContext) -> int | None:
    body = (update.effective_message.text or "").strip()
    if len(body) > 3000:
        await reply(update, context._("Please keep the text under 3,000 characters."))
        return BODY
    await vote_drafts.update(context.session, context.actor, now=context.now(), body=body)
    _ = context._
    rows = [
        [(_("A resolution: agree / disagree / abstain"), DraftStep("kind", "resolution").pack())],
        [(_("An election of candidates"), DraftStep("kind", "election").pack())],
    ]
    await reply(update, _("What kind of vote is it?"), reply_markup=buttons(rows))
    return KIND


@handler
async def kind_chosen(update: Update, context: BotContext) -> int | None:
    _ = context._
    kind = answer_for(DraftStep, update.callback_query.data, "kind").value
    if kind not in (PollKind.RESOLUTION, PollKind.ELECTION):
        raise InvalidCallback(kind)
    await vote_drafts.update(context.session, context.actor, now=context.now(), kind=kind)
    if kind == PollKind.ELECTION:
        await edit_or_reply(update, _("Send the candidates, one per line (at most 20)."))
        return CANDIDATES
    rows = [[(_("Ordinary matter (more than 1/2)"), DraftStep("matter", "ordinary").pack())]] + [
        [(_(SPECIAL_ITEM[item]) + " (≥ 3/4)", DraftStep("matter", str(item)).pack())]
        for item in SPECIAL_ITEM
    ]
    await edit_or_reply(
        update,
        _("Which kind of matter is it (Civil Code Art. 278)? Items 6–8 need at least 3/4; all others, including using the maintenance fund and hiring a property company, need more than 1/2."),
        reply_markup=buttons(rows),
    )  # fmt: skip
    return MATTER


@handler
async def matter_chosen(update: Update, context: BotContext) -> int | None:
    value = answer_for(DraftStep, update.callback_query.data, "matter").value
    if value == "ordinary":
        changes = {"matter": MatterType.ORDINARY.value, "item": None}
    elif value.isdigit() and int(value) in SPECIAL_ITEM:
        changes = {"matter": MatterType.SPECIAL.value, "item": int(value)}
    else:
        raise InvalidCallback(value)
    await vote_drafts.update(context.session, context.actor, now=context.now(), **changes)
    return await _ask_scope(update, context)


@handler
async def candidates_received(update: Update, context: BotContext) -> int | None:
    _ = context._
    names = [
        line.strip() for line in (update.effective_message.text or "").splitlines() if line.strip()
    ]
    if (
        not names
        or len(names) > MAX_CANDIDATES
        or len(set(names)) != len(names)
        or any(len(n) > 40 for n in names)
    ):
        await reply(
            update,
            _("Please send 1 to 20 different names, one per line, each at most 40 characters."),
        )
        return CANDIDATES
    await vote_drafts.update(context.session, context.actor, now=context.now(), candidates=names,
                             matter=MatterType.ORDINARY.value, item=None)  # fmt: skip
    rows = [[(str(n), DraftStep("seats", str(n)).pack()) for n in range(1, min(len(names), 8) + 1)]]
    await reply(
        update,
        _("How many seats are there (how many candidates can each owner choose)?"),
        reply_markup=buttons(rows),
    )
    return SEATS


@handler
async def seats_chosen(update: Update, context: BotContext) -> int | None:
    value = answer_for(DraftStep, update.callback_query.data, "seats").value
    data = await vote_drafts.load(context.session, context.actor)
    if not value.isdigit() or not 1 <= int(value) <= len(data["candidates"]):
        raise InvalidCallback(value)
    await vote_drafts.update(context.session, context.actor, now=context.now(), seats=int(value))
    return await _ask_scope(update, context)


async def _ask_scope(update: Update, context: BotContext) -> int:
    _ = context._
    rows = [
        [(_("The whole compound"), DraftStep("scope", "all").pack())],
        [(_("Only some buildings"), DraftStep("scope", "pick").pack())],
    ]
    await edit_or_reply(update, _("Whose owners vote?"), reply_markup=buttons(rows))
    return SCOPE


@handler
async def scope_chosen(update: Update, context: BotContext) -> int | None:
    value = answer_for(DraftStep, update.callback_query.data, "scope").value
    if value == "all":
        await vote_drafts.update(context.session, context.actor, now=context.now(), buildings=[])
        return await _ask_times(update, context)
    if value != "pick":
        raise InvalidCallback(value)
    return await _show_buildings(update, context)


async def _show_buildings(update: Update, context: BotContext) -> int:
    _ = context._
    data = await vote_drafts.load(context.session, context.actor)
    chosen = set(data["buildings"])
    items = await vote_drafts.buildings(context.session, data["compound_id"])
    rows = [
        [(("✅ " if b.id in chosen else "") + b.name, DraftStep("pick", str(b.id)).pack())]
        for b in items[:40]
    ]
    rows.append([(_("Done"), DraftStep("pick", "done").pack())])
    await edit_or_reply(
        update, _("Tap the buildings whose owners vote, then Done."), reply_markup=buttons(rows)
    )
    return PICK


@handler
async def building_toggled(update: Update, context: BotContext) -> int | None:
    value = answer_for(DraftStep, update.callback_query.data, "pick").value
    if value == "done":
        data = await vote_drafts.load(context.session, context.actor)
        if not data["buildings"]:
            await reply(update, context._("Choose at least one building, or go back with /cancel."))
            return PICK
        return await _ask_times(update, context)
    if not value.isdigit():
        raise InvalidCallback(value)
    await vote_drafts.toggle_building(context.session, context.actor, int(value), now=context.now())
    return await _show_buildings(update, context)


def _times_text(data: dict, _: Translator, tz) -> str:  # type: ignore[no-untyped-def]
    notice, opens, closes = vote_drafts.times(data)
    return _("Notice to owners: {notice}\nVoting opens: {opens}\nVoting closes: {closes}").format(
        notice=_.datetime(notice, tz, "short"), opens=_.datetime(opens, tz, "short"), closes=_.datetime(closes, tz, "short")
    )  # fmt: skip


async def _ask_times(update: Update, context: BotContext) -> int:
    _ = context._
    data = await vote_drafts.load(context.session, context.actor)
    rows = [
        [
            (_("Use these times"), DraftStep("times", "keep").pack()),
            (_("Change them"), DraftStep("times", "change").pack()),
        ]
    ]
    await edit_or_reply(
        update, _times_text(data, _, context.runtime.settings.tz), reply_markup=buttons(rows)
    )
    return TIMES


@handler
async def times_chosen(update: Update, context: BotContext) -> int | None:
    value = answer_for(DraftStep, update.callback_query.data, "times").value
    if value == "keep":
        return await _preview(update, context)
    if value != "change":
        raise InvalidCallback(value)
    await edit_or_reply(
        update,
        context._("Send the opening and closing times on two lines as YYYY-MM-DD HH:MM, for example:\n2026-12-20 09:00\n2026-12-27 18:00\nTo give the notice later than now, put its time on a first line."),
    )  # fmt: skip
    return TIMES_TEXT


@handler
async def times_received(update: Update, context: BotContext) -> int | None:
    _ = context._
    tz = context.runtime.settings.tz
    lines = [line for line in (update.effective_message.text or "").splitlines() if line.strip()]
    parsed = [parse_local_time(line, tz) for line in lines]
    if len(parsed) not in (2, 3) or None in parsed:
        await reply(
            update,
            _(
                "I could not read those times. Please send two lines, e.g.\n2026-12-20 09:00\n2026-12-27 18:00"
            ),
        )
        return TIMES_TEXT
    if len(parsed) == 2:
        parsed.insert(0, context.now())
    await vote_drafts.set_times(context.session, context.actor, *parsed, now=context.now())  # type: ignore[arg-type]
    return await _preview(update, context)


async def _preview(update: Update, context: BotContext) -> int:
    _ = context._
    data = await vote_drafts.load(context.session, context.actor)
    poll = vote_drafts.preview_poll(data)
    homes, owners = await vote_drafts.scope_counts(context.session, data)
    text = poll_text(
        poll, _, context.runtime.settings.tz, await building_names(context.session, poll)
    )
    text += "\n\n" + _times_text(data, _, context.runtime.settings.tz)
    text += "\n\n" + _("{homes} homes are in scope; {owners} of their owners use this bot and get the notice. Others need the paper notice and ballot.").format(
        homes=_.number(homes), owners=_.number(owners)
    )  # fmt: skip
    rows = [
        [
            (_("Publish"), DraftStep("publish", "1").pack()),
            (_("Cancel"), DraftStep("publish", "0").pack()),
        ]
    ]
    await edit_or_reply(update, text, reply_markup=buttons(rows))
    return PREVIEW


@handler
async def publish_chosen(update: Update, context: BotContext) -> int | None:
    _ = context._
    if answer_for(DraftStep, update.callback_query.data, "publish").value != "1":
        await pending.take(context.session, context.actor, vote_drafts.PURPOSE)
        await edit_or_reply(update, _("Cancelled. Nothing was published."))
        return ConversationHandler.END
    poll = await vote_drafts.publish(context.session, context.actor, now=context.now())
    tz = context.runtime.settings.tz
    await edit_or_reply(
        update,
        _("Vote #{id} is published. Owners get the notice at {notice}; voting opens {opens} and closes {closes}.").format(
            id=poll.id, notice=_.datetime(poll.notice_at, tz, "short"), opens=_.datetime(poll.opens_at, tz, "short"),
            closes=_.datetime(poll.closes_at, tz, "short"),
        ),
    )  # fmt: skip
    return ConversationHandler.END


@handler
async def need_text(update: Update, context: BotContext) -> None:
    await reply(update, context._("Please answer with text."))


def register(app: Application) -> None:
    add_commands(
        MenuCommand("vote", N_("Owners' votes: read, vote, results"), registered, order=40),
        MenuCommand(
            "newvote", N_("Draft an owners' vote"), with_role(Role.COMMITTEE, Role.ADMIN), order=41
        ),
    )
    buttons_only = MessageHandler(~filters.COMMAND, use_the_buttons)

    def step(callback):  # type: ignore[no-untyped-def]
        return [CallbackQueryHandler(callback, pattern=DraftStep.pattern()), buttons_only]

    def typed(callback):  # type: ignore[no-untyped-def]
        return [
            MessageHandler(filters.TEXT & ~filters.COMMAND, callback),
            MessageHandler(~filters.COMMAND, need_text),
        ]

    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("newvote", new_vote)],
            states={
                COMPOUND: step(compound_chosen), TITLE: typed(title_received), BODY: typed(body_received),
                KIND: step(kind_chosen), MATTER: step(matter_chosen), CANDIDATES: typed(candidates_received),
                SEATS: step(seats_chosen), SCOPE: step(scope_chosen), PICK: step(building_toggled),
                TIMES: step(times_chosen), TIMES_TEXT: typed(times_received), PREVIEW: step(publish_chosen),
            },
            fallbacks=conversation_fallbacks(),
            name="newvote",
            persistent=True,
        )
    )  # fmt: skip
    app.add_handler(
        ConversationHandler(
            entry_points=[CallbackQueryHandler(manage, pattern=VoteManage.pattern())],
            states={PAPER_HOME: typed(paper_home), PAPER_CHOICE: typed(paper_candidates)},
            fallbacks=conversation_fallbacks(),
            name="vote-manage",
            persistent=True,
        )
    )
    app.add_handler(CommandHandler("vote", list_votes))
    app.add_handler(CommandHandler("receipt", check_receipt))
    app.add_handler(CallbackQueryHandler(view, pattern=VoteView.pattern()))
    app.add_handler(CallbackQueryHandler(cast, pattern=VoteCast.pattern()))
    app.add_handler(CallbackQueryHandler(elect, pattern=VoteElect.pattern()))
    app.add_handler(CallbackQueryHandler(paper_choice, pattern=PaperChoice.pattern()))
