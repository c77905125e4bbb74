"""How the live turnout of an open vote reads to the committee and liaisons: who has taken part
so far, by headcount and by area, against the denominators, and whether that already makes the
quorum — never a choice."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import Translator, join
from core.screen import Screen, button, keyboard
from services.vote_turnout import Turnout
from views.callbacks import CallbackData
from views.vote_results import bold, ratio_text


@dataclasses.dataclass(frozen=True)
class VoteTurnout(CallbackData, kind="vtn"):
    """The live turnout of a vote, anew."""

    poll_id: int


def _percent(part: Decimal | int, whole: Decimal | int, _: Translator) -> str:
    return _.percent(Decimal(part) / Decimal(whole)) if whole else "–"


def turnout_text(found: Turnout, _: Translator) -> Markup:
    """Participation so far against the denominators of the snapshot."""
    return join(
        [
            bold(_("Live turnout (quorum: at least 2/3 of the owners and of the area)")),
            _("Owners taking part: {share}").format(
                share=ratio_text(
                    _.number(found.head_taking_part),
                    _.number(found.head_total),
                    _percent(found.head_taking_part, found.head_total, _),
                    _,
                )
            ),
            _("Area taking part: {share}").format(
                share=ratio_text(
                    _.area(found.area_taking_part),
                    _.area(found.area_total),
                    _percent(found.area_taking_part, found.area_total, _),
                    _,
                )
            ),
            _("Quorum reached") if found.quorum else _("Quorum not reached yet"),
            _("Only who has taken part is shown; the choices are counted at the close."),
        ]
    )


def turnout(found: Turnout, _: Translator, tz: ZoneInfo) -> Screen:
    """The turnout on its own, with a button to see it again later."""
    poll = found.poll
    lines = [bold(_("Vote #{id}: {title}").format(id=poll.id, title=poll.title))]
    if found.at is not None:
        lines.append(_("As of {when}").format(when=_.datetime(found.at, tz)))
    return Screen(
        join([*lines, turnout_text(found, _)]),
        keyboard([button(_("Refresh the turnout"), VoteTurnout(poll.id or 0))]),
    )
