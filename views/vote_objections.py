"""How objections to a preliminary result read: the question to the owner, their confirmation,
the alert each committee member gets at once, and the list the committee reads. Whatever the
owner typed is shown as typed, escaped, on lines of its own (no tag spans it, so a long list
can be cut into messages anywhere)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import Translator, html, join
from core.screen import Screen, button, keyboard
from models import Poll, VoteObjection
from services.notify import renders
from services.vote_objections import OBJECTION, Listed, Raised
from views.callbacks import CallbackData
from views.vote_results import bold


@dataclasses.dataclass(frozen=True)
class ObjectionList(CallbackData, kind="vol"):
    """The committee's list of a vote's objections."""

    poll_id: int


def _until(poll: Poll, _: Translator, tz: ZoneInfo) -> str:
    return _.datetime(poll.objection_until or poll.closes_at, tz)


def ask(poll: Poll, _: Translator, tz: ZoneInfo) -> Screen:
    """After "Raise an objection": what to send, and who will read it."""
    return Screen(
        _(
            "Objection to the preliminary result of vote #{id} “{title}”.\nSend your objection in "
            "one message (at most 1,000 characters). The owners’ committee will read it with your "
            "home, not your name. You can object until {until}. /cancel to stop."
        ).format(id=poll.id, title=poll.title, until=_until(poll, _, tz))
    )


def recorded(done: Raised, _: Translator, tz: ZoneInfo) -> Screen:
    """The owner's confirmation, with their text as it was stored."""
    poll = done.poll
    text = _(
        "Your objection no. {number} to vote #{id} is recorded ({when}) and has been sent to the "
        "owners’ committee. You may send another until {until}."
    ).format(
        number=done.number,
        id=poll.id,
        when=_.datetime(done.objection.created_at, tz),
        until=_until(poll, _, tz),
    )
    return Screen(join([text, html("{text}", text=done.objection.text)]))


@renders(OBJECTION)
def alert(
    _: Translator,
    *,
    tz: ZoneInfo,
    poll: Poll,
    number: int,
    home: str,
    text: str,
    at: datetime,
) -> Screen:
    """To each committee member, at once."""
    heading = _(
        "⚠️ Objection no. {number} to the preliminary result of vote #{id} “{title}”, from {home} "
        "at {when}:"
    ).format(number=number, id=poll.id, title=poll.title, home=home, when=_.datetime(at, tz))
    closing = _("The objection period ends {until}; then the final result is published.").format(
        until=_until(poll, _, tz)
    )
    return Screen(
        join([bold(heading), html("{text}", text=text), closing]),
        keyboard([button(_("All objections"), ObjectionList(poll.id or 0))]),
    )


def _entry(number: int, objection: VoteObjection, home: str, _: Translator, tz: ZoneInfo) -> Markup:
    line = html(
        "<b>{number}.</b> {home} · {when}",
        number=number,
        home=home,
        when=_.datetime(objection.created_at, tz),
    )
    return join([line, html("{text}", text=objection.text)])


def objection_list(found: Listed, _: Translator, tz: ZoneInfo) -> Screen:
    """The committee's list, oldest first (cut into several messages when long)."""
    poll, count = found.poll, len(found.objections)
    heading = _.ngettext(
        "Vote #{id} “{title}”: {count} objection to the preliminary result.",
        "Vote #{id} “{title}”: {count} objections to the preliminary result.",
        count,
    ).format(id=poll.id, title=poll.title, count=_.number(count))
    entries = [
        _entry(number, objection, home, _, tz)
        for number, (objection, home) in enumerate(found.objections, start=1)
    ]
    return Screen(join([bold(heading), *entries], "\n\n"))
