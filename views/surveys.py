"""How the monthly survey looks: the invitation, the reminder, and the card where each question
is scored. The home's comment is shown as it was typed (escaped, whatever it contains)."""

from __future__ import annotations

import dataclasses
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from core.i18n import N_, Msg, Translator, capitalised, from_iso_month, html, join
from core.screen import Screen, button, keyboard
from models import TicketCategory
from services.notify import renders
from services.surveys import INVITATION, QUESTIONS, REMINDER, Card
from views.callbacks import CallbackData
from views.tickets import CATEGORY_SHORT

QUESTION: dict[str, Msg] = {
    **{c.value: CATEGORY_SHORT[c] for c in TicketCategory if c != TicketCategory.OTHER},
    "overall": N_("overall service"),
}


@dataclasses.dataclass(frozen=True)
class SurveyScore(CallbackData, kind="sv"):
    month: str  # YYYY-MM
    question: int  # index in QUESTIONS
    score: int  # 1–5; 0 is the row's label (and the invitation's button): show the card


@dataclasses.dataclass(frozen=True)
class SurveyComment(CallbackData, kind="sc"):
    month: str


def question_label(question: str, _: Translator) -> Markup:
    """A service's name on its own (a line of the card, a button, the chart): capitalised, since
    the same short names run lower-case inside sentences."""
    msgid = QUESTION.get(question)
    return capitalised(_(msgid)) if msgid else escape(question)


def card(found: Card, _: Translator) -> Screen:
    """One row per question: its label, then 1–5 (the chosen one ticked); the comment button."""
    answer, month = found.answer, found.month
    lines = [
        html(
            "<b>{title}</b>",
            title=_("Satisfaction survey for {month}").format(month=_.month(from_iso_month(month))),
        ),
        _(
            "How satisfied is your home with each service? 1 = very unsatisfied, 5 = very satisfied. "
            "Any member of your home can change the answer until the end of the month."
        ),
    ]
    rows = []
    for index, question in enumerate(QUESTIONS):
        chosen = getattr(answer, question, None) if answer is not None else None
        label = question_label(question, _)
        stars = "★" * chosen if isinstance(chosen, int) and chosen > 0 else "—"
        lines.append(_("{question}: {stars}").format(question=label, stars=stars))
        row = [button(label, SurveyScore(month, index, 0))]
        row += [
            button(("✅" if chosen == value else "") + str(value), SurveyScore(month, index, value))
            for value in range(1, 6)
        ]
        rows.append(row)
    if answer is not None and answer.comment:
        lines.append(_("Comment: {comment}").format(comment=answer.comment))
    rows.append([button(_("Add a comment"), SurveyComment(month))])
    if found.complete:
        lines.append(join(["✅", _("Thank you! Your home's answer is recorded.")], " "))
    return Screen(join(lines), keyboard(*rows))


def ask_comment(_: Translator) -> Screen:
    return Screen(_("Send your comment (at most 500 characters). /cancel to stop."))


def comment_recorded(_: Translator) -> Screen:
    return Screen(_("Thank you, your comment is recorded."))


@renders(INVITATION)
def invitation(_: Translator, *, tz: ZoneInfo, month: str) -> Screen:
    """The survey day: every registered resident is asked, with a button to the card."""
    return Screen(
        _(
            "This month's satisfaction survey is open. How are cleaning, greening, order, repairs "
            "and facilities in your compound? It takes one minute."
        ),
        keyboard([button(_("Rate the services"), SurveyScore(month, 0, 0))]),
    )


@renders(REMINDER)
def reminder(_: Translator, *, tz: ZoneInfo, month: str) -> Screen:
    """A few days later, once, to the residents of homes that have not answered."""
    return Screen(
        _(
            "A reminder: your home has not answered this month's satisfaction survey yet. It takes one minute."
        ),
        keyboard([button(_("Rate the services"), SurveyScore(month, 0, 0))]),
    )
