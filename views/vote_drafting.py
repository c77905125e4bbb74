"""How /newvote reads: one question per step of the draft, the preview (the notice exactly as
owners will read it, with how many it reaches) and the published vote."""

from __future__ import annotations

import dataclasses
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import Translator, join
from core.screen import Button, Screen, button, keyboard
from models import Poll, PollKind
from services.tally import MatterType
from services.vote_drafts import Preview, Question, VoteDraft, VoteStep
from views.callbacks import CallbackData
from views.common import stale_button
from views.votes import SPECIAL_ITEM, poll_text

SEAT_BUTTONS = 8


@dataclasses.dataclass(frozen=True)
class DraftStep(CallbackData, kind="vd"):
    """One answer in the drafting flow: the step it answers and the value."""

    step: str
    value: str


def times_text(draft: VoteDraft, _: Translator, tz: ZoneInfo) -> Markup:
    if not (draft.notice_at and draft.opens_at and draft.closes_at):
        return Markup("")
    return _("Notice to owners: {notice}\nVoting opens: {opens}\nVoting closes: {closes}").format(
        notice=_.datetime(draft.notice_at, tz),
        opens=_.datetime(draft.opens_at, tz),
        closes=_.datetime(draft.closes_at, tz),
    )


def preview(found: Preview, draft: VoteDraft, _: Translator, tz: ZoneInfo) -> Screen:
    homes = _.ngettext(
        "{count} home is in scope.", "{count} homes are in scope.", found.homes
    ).format(count=_.number(found.homes))
    owners = _.ngettext(
        "{count} of their owners uses this bot and gets the notice; the others need the paper "
        "notice and ballot: once it is published, “Print paper ballots” on the vote's card gives "
        "one per home, with the full text and a code.",
        "{count} of their owners use this bot and get the notice; the others need the paper "
        "notice and ballot: once it is published, “Print paper ballots” on the vote's card gives "
        "one per home, with the full text and a code.",
        found.owners,
    ).format(count=_.number(found.owners))
    text = join(
        [
            poll_text(found.poll, _, tz, found.buildings),
            Markup(""),
            times_text(draft, _, tz),
            Markup(""),
            _.sentences(homes, owners),
        ]
    )
    step = VoteStep.PREVIEW.value
    return Screen(
        text,
        keyboard(
            [button(_("Publish"), DraftStep(step, "1")), button(_("Cancel"), DraftStep(step, "0"))]
        ),
    )


def question(asked: Question, _: Translator, tz: ZoneInfo) -> Screen:
    """The question of the draft's step, with its answers as buttons."""
    draft, S = asked.draft, VoteStep
    if draft.step not in set(S):
        return stale_button(_)
    step = S(draft.step)

    def answer(label: Markup | str, value: object) -> Button:
        return button(label, DraftStep(step.value, str(value)))

    if step == S.COMPOUND:
        rows = [[answer(c.name, c.id)] for c in asked.compounds]
        return Screen(_("Which compound is this vote for?"), keyboard(*rows))
    if step == S.TITLE:
        return Screen(
            _("New owners' vote. Send its title (at most 200 characters). /cancel to stop.")
        )
    if step == S.BODY:
        return Screen(
            _("Send the full text of the matter owners decide on: what, why, cost, who pays.")
        )
    if step == S.KIND:
        return Screen(
            _("What kind of vote is it?"),
            keyboard(
                [answer(_("A resolution: agree / disagree / abstain"), PollKind.RESOLUTION)],
                [answer(_("An election of candidates"), PollKind.ELECTION)],
            ),
        )
    if step == S.CANDIDATES:
        return Screen(_("Send the candidates, one per line (at most 20)."))
    if step == S.MATTER:
        rows = [[answer(_("Ordinary matter (more than 1/2)"), MatterType.ORDINARY)]]
        rows += [[answer(_(label) + " (≥ 3/4)", item)] for item, label in SPECIAL_ITEM.items()]
        return Screen(
            _(
                "Which kind of matter is it (Civil Code Art. 278)? Items 6–8 need at least 3/4; all others, including using the maintenance fund and hiring a property company, need more than 1/2."
            ),
            keyboard(*rows),
        )
    if step == S.SEATS:
        seats = range(1, min(len(draft.candidates), SEAT_BUTTONS) + 1)
        return Screen(
            _("How many seats are there (how many candidates can each owner choose)?"),
            keyboard([answer(str(n), n) for n in seats]),
        )
    if step == S.SCOPE:
        return Screen(
            _("Whose owners vote?"),
            keyboard(
                [answer(_("The whole compound"), "all")],
                [answer(_("Only some buildings"), "pick")],
            ),
        )
    if step == S.PICK:
        chosen = set(draft.buildings)
        rows = [[answer(("✅ " if b.id in chosen else "") + b.name, b.id)] for b in asked.buildings]
        rows.append([answer(_("Done"), "done")])
        return Screen(_("Tap the buildings whose owners vote, then Done."), keyboard(*rows))
    if step == S.TIMES:
        return Screen(
            times_text(draft, _, tz),
            keyboard(
                [
                    answer(_("Use these times"), "keep"),
                    answer(_("Change them"), "change"),
                ]
            ),
        )
    if step == S.TIMES_TEXT:
        return Screen(
            _(
                "Send the opening and closing times on two lines as YYYY-MM-DD HH:MM, for example:\n2026-12-20 09:00\n2026-12-27 18:00\nTo give the notice later than now, put its time on a first line."
            )
        )
    if asked.preview is None:
        return stale_button(_)
    return preview(asked.preview, draft, _, tz)


def published(poll: Poll | None, _: Translator, tz: ZoneInfo) -> Screen:
    if poll is None:
        return Screen(_("Cancelled. Nothing was published."))
    return Screen(
        _(
            "Vote #{id} is published. Owners get the notice at {notice}; voting opens {opens} and closes {closes}."
        ).format(
            id=poll.id,
            notice=_.datetime(poll.notice_at, tz),
            opens=_.datetime(poll.opens_at, tz),
            closes=_.datetime(poll.closes_at, tz),
        )
    )
