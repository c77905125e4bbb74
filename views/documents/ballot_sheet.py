"""A vote's paper ballots (纸质选票): one A4 page per eligible home with the vote's title and full
text, the legal basis and the threshold, the home, the choices with boxes (an election: the
candidates and the seats), lines to sign and date, and the ballot's code as text and QR code."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from core.i18n import N_, Msg, Translator, plain
from core.pdf import Document
from core.screen import File, Screen
from models import Poll, PollKind
from services.tally import Choice, MatterType
from services.vote_documents import BallotHome, PaperBallots
from views.documents.layout import box, facts, heading, qr_code, sheet, signature_lines, text
from views.vote_results import CHOICE
from views.votes import SPECIAL_ITEM, matter_text, rule_text, scope_text

ELECTION_ITEM = N_("Art. 278 item 3: electing or replacing members of the owners' committee")
ORDINARY_ITEM = N_("Art. 278: an ordinary matter (items 1–5 or 9)")
QR_SIZE = 32


def legal_basis(poll: Poll, _: Translator) -> str:
    """The law the vote rests on: the Civil Code's Art. 278 and the item."""
    item: Msg = ORDINARY_ITEM
    if poll.kind == PollKind.ELECTION:
        item = ELECTION_ITEM
    elif poll.matter == MatterType.SPECIAL:
        item = SPECIAL_ITEM.get(poll.special_item or 6, SPECIAL_ITEM[6])
    code = _.plain("Civil Code of the PRC")
    return f"{code} {_.plain(item)}"


def vote_facts(
    poll: Poll, _: Translator, tz: ZoneInfo, buildings: list[str]
) -> list[tuple[str, str]]:
    """What every document of a vote states about it."""
    return [
        (_.plain("Matter"), plain(matter_text(poll, _))),
        (_.plain("Legal basis"), legal_basis(poll, _)),
        (_.plain("Threshold"), plain(rule_text(poll, _))),
        (_.plain("Who votes"), plain(scope_text(poll, _, buildings))),
        (
            _.plain("Voting period"),
            f"{_.datetime(poll.opens_at, tz)} – {_.datetime(poll.closes_at, tz)}",
        ),
    ]


def _choices(document: Document, poll: Poll, _: Translator) -> None:
    if poll.kind == PollKind.RESOLUTION:
        text(document, _.plain("Tick one box:"), bold=True)
        document.ln(2)
        document.set_font(size=13)
        for choice in Choice:
            box(document, _.plain(CHOICE[choice]), gap=22)
        document.ln(12)
        return
    line = _.ngettext(
        "Tick at most {seats} of the {count} candidate:",
        "Tick at most {seats} of the {count} candidates:",
        len(poll.candidates),
    )
    text(document, plain(line).format(seats=poll.seats, count=len(poll.candidates)), bold=True)
    document.ln(2)
    document.set_font(size=12)
    for number, name in enumerate(poll.candidates, start=1):
        box(document, f"{number}. {name}")
        document.ln(9)
    document.ln(3)


def _page(
    document: Document, found: PaperBallots, home: BallotHome, _: Translator, tz: ZoneInfo
) -> None:
    poll = found.poll
    document.add_page()
    heading(
        document,
        found.compound,
        _.plain("Owners' assembly paper ballot"),
        _.plain("Vote #{id}").format(id=poll.id),
    )
    text(document, poll.title, size=14, bold=True)
    document.ln(1)
    if poll.body:
        text(document, poll.body, size=10.5)
        document.ln(2)
    facts(document, [(_.plain("Home"), home.label), *vote_facts(poll, _, tz, found.buildings)])
    _choices(document, poll, _)
    signature_lines(document, [_.plain("Owner's signature"), _.plain("Date")])
    top = document.get_y()
    if top + QR_SIZE + 8 > document.h - document.b_margin:
        document.add_page()
        top = document.get_y()
    qr_code(document, home.code, document.w - document.r_margin - QR_SIZE, top, QR_SIZE)
    document.set_font(size=10)
    width = document.w - document.l_margin - document.r_margin - QR_SIZE - 6
    document.multi_cell(
        width,
        6,
        align="L",
        text=_.plain(
            "Ballot code: {code}\nReturn the signed ballot to the property service centre before "
            "{closes}. Staff enter it with this code; a home's paper ballot replaces its vote in "
            "the bot, and a second paper ballot for the home is caught."
        ).format(code=home.code, closes=_.datetime(poll.closes_at, tz)),
    )
    document.set_font(size=11)


def ballots_pdf(found: PaperBallots, _: Translator, tz: ZoneInfo) -> bytes:
    poll = found.poll
    document = sheet(
        _.plain("{compound} paper ballots #{id}").format(compound=found.compound, id=poll.id),
        f"paper-ballots {poll.id}",
    )
    for home in found.homes:
        _page(document, found, home, _, tz)
    if not found.homes:
        document.add_page()
        text(document, _.plain("No home is in this vote's scope."))
    return document.content()


def ballots_screen(found: PaperBallots, content: bytes, _: Translator) -> Screen:
    """The ballots (drawn beforehand, off the event loop), with what to do with them."""
    caption = _.ngettext(
        "{count} paper ballot for vote #{id}, one page per home. Each carries a code: when "
        "entering a returned ballot, type or scan it instead of the home.",
        "{count} paper ballots for vote #{id}, one page per home. Each carries a code: when "
        "entering a returned ballot, type or scan it instead of the home.",
        len(found.homes),
    ).format(count=_.number(len(found.homes)), id=found.poll.id)
    return Screen(caption, document=File(content, f"vote-{found.poll.id}-paper-ballots.pdf"))
