"""How the monthly survey looks: the invitation, and the card where each question is scored."""

from __future__ import annotations

import dataclasses

from core.i18n import N_, Translator, translator
from models import SurveyAnswer, TicketCategory
from services.surveys import QUESTIONS
from views.callbacks import CallbackData
from views.tickets import CATEGORY_SHORT

QUESTION = {**{c.value: CATEGORY_SHORT[c] for c in TicketCategory if c != TicketCategory.OTHER},
            "overall": N_("overall service")}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class SurveyScore(CallbackData, kind="sv"):
    month: str  # YYYY-MM
    question: int  # index in QUESTIONS
    score: int  # 1–5; 0 is the row's label


@dataclasses.dataclass(frozen=True)
class SurveyComment(CallbackData, kind="sc"):
    month: str


def card(
    answer: SurveyAnswer | None, month: str, _: Translator
) -> tuple[str, list[list[tuple[str, str]]]]:
    """The text and the buttons: one row per question, its label then 1–5 (the chosen one ticked)."""
    lines = ["<b>" + _("Satisfaction survey for {month}").format(month=month) + "</b>",
             _("How satisfied is your home with each service? 1 = very unsatisfied, 5 = very satisfied. "
               "Any member of your home can change the answer until the end of the month.")]  # fmt: skip
    rows = []
    for index, question in enumerate(QUESTIONS):
        chosen = getattr(answer, question, None) if answer else None
        label = _(QUESTION[question])
        lines.append(
            _("{question}: {stars}").format(question=label, stars="★" * chosen if chosen else "—")
        )
        row = [(label, SurveyScore(month, index, 0).pack())]
        row += [(("✅" if chosen == value else "") + str(value), SurveyScore(month, index, value).pack())
                for value in range(1, 6)]  # fmt: skip
        rows.append(row)
    if answer and answer.comment:
        lines.append(_("Comment: {comment}").format(comment=answer.comment))
    rows.append([(_("Add a comment"), SurveyComment(month).pack())])
    if answer and all(getattr(answer, q) for q in QUESTIONS):
        lines.append("✅ " + _("Thank you! Your home's answer is recorded."))
    return "\n".join(lines), rows


def invitation_payload(language: str, month: str, reminder: bool) -> dict:
    _ = translator(language or "zh_Hans")
    text = (
        _("A reminder: your home has not answered this month's satisfaction survey yet. It takes one minute.")
        if reminder
        else _("This month's satisfaction survey is open. How are cleaning, greening, order, repairs and facilities in your compound? It takes one minute.")
    )  # fmt: skip
    return {
        "text": text,
        "buttons": [[{"text": _("Rate the services"), "data": SurveyScore(month, 0, 0).pack()}]],
    }
