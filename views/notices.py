"""How a notice looks to residents (in each language, with its "I have read it" button), and
what they and its sender read in /notices.

The notice's text is the sender's own message as Telegram gave it to the bot (text_html or
caption_html: the entities of what they typed, every character they typed escaped). It is shown
as that HTML, re-read so that only Telegram's tags pass, balanced; anything cut from it (a first
line, an excerpt) is made plain text first, then escaped.
"""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from core.i18n import N_, Msg, Translator, html, join
from core.screen import Button, Keyboard, Screen, button, keyboard
from models import Notice, NoticeCategory, NoticeStatus
from services.notices import NOTICE, Listing
from services.notify import renders
from views.callbacks import CallbackData

LISTED_LINE = 60  # characters of a notice's first line in a resident's /notices
LISTED_TEXT = 500  # characters of the text under a sender's own notice
CATEGORY: dict[str, Msg] = {
    NoticeCategory.POLICY: N_("Policy notice"),
    NoticeCategory.SERVICE: N_("Service notice"),
    NoticeCategory.EMERGENCY: N_("Emergency notice"),
}


@dataclasses.dataclass(frozen=True)
class AckNotice(CallbackData, kind="ack"):
    notice_id: int


@dataclasses.dataclass(frozen=True)
class NoticeManage(CallbackData, kind="nm"):
    action: str  # report | remind | cancel | edit | print | knock
    notice_id: int


# What Telegram's HTML allows, with the attributes each tag may carry (python-telegram-bot's
# text_html writes only these).
TAGS: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        ("b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "pre"),
        frozenset(),
    ),
    "span": frozenset({"class"}),
    "code": frozenset({"class"}),
    "a": frozenset({"href"}),
    "blockquote": frozenset({"expandable"}),
    "tg-emoji": frozenset({"emoji-id"}),
}
LINKS = ("http://", "https://", "tg://", "mailto:")


class _Text(HTMLParser):
    """Reads Telegram HTML: the text as plain characters (`text`) and again as HTML that keeps
    only Telegram's tags, balanced, with everything else escaped (`markup`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.markup: list[Markup] = []
        self.open: list[tuple[str, bool]] = []  # each open tag, and whether it was written

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        self.markup.append(escape(data))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            self.markup.append(escape(self.get_starttag_text() or ""))
            return
        if tag == "a" and not (dict(attrs).get("href") or "").startswith(LINKS):
            self.open.append((tag, False))  # a link Telegram would not take: its text only
            return
        kept = [
            html(" {name}", name=name)
            if value is None
            else html(' {name}="{value}"', name=name, value=value)
            for name, value in attrs
            if name in TAGS[tag]
        ]
        self.markup.append(html("<{tag}{attrs}>", tag=tag, attrs=Markup("").join(kept)))
        self.open.append((tag, True))

    def handle_endtag(self, tag: str) -> None:
        if tag not in (name for name, _ in self.open):
            self.markup.append(escape(f"</{tag}>") if tag not in TAGS else Markup(""))
            return
        while self.open:
            closing, written = self.open.pop()
            if written:
                self.markup.append(html("</{tag}>", tag=closing))
            if closing == tag:
                break

    def handle_comment(self, data: str) -> None:
        self.markup.append(escape(f"<!--{data}-->"))

    def handle_decl(self, decl: str) -> None:
        self.markup.append(escape(f"<!{decl}>"))

    def unknown_decl(self, data: str) -> None:
        self.markup.append(escape(f"<![{data}]>"))

    def handle_pi(self, data: str) -> None:
        self.markup.append(escape(f"<?{data}>"))


def _read(text_html: str) -> _Text:
    parser = _Text()
    parser.feed(text_html)
    parser.close()
    return parser


def plain_text(text_html: str) -> str:
    """Telegram HTML as the text a reader sees: tags dropped, entities decoded."""
    return "".join(_read(text_html).text)


def telegram_html(text_html: str) -> Markup:
    """The sender's formatted text as Telegram HTML: their tags kept, balanced; anything that is
    not one of Telegram's tags is shown as the text it is."""
    parser = _read(text_html)
    closing = [html("</{tag}>", tag=tag) for tag, written in reversed(parser.open) if written]
    return Markup("").join(parser.markup + closing)


def first_line(text_html: str, limit: int = LISTED_LINE) -> str:
    """The first non-empty line of the text, as plain text, at most `limit` characters."""
    lines = [line.strip() for line in plain_text(text_html).splitlines() if line.strip()]
    return lines[0][:limit] if lines else ""


def excerpt(text_html: str, limit: int = LISTED_TEXT) -> Markup:
    """The text as sent when it is short, else the start of it as plain text."""
    if len(text_html) <= limit:
        return telegram_html(text_html)
    text = plain_text(text_html)
    return html("{text}…", text=text[:limit]) if len(text) > limit else html("{text}", text=text)


def category_text(category: str, _: Translator) -> Markup:
    msgid = CATEGORY.get(category)
    return _(msgid) if msgid else html("{c}", c=category)


def when_text(notice: Notice, _: Translator, tz: ZoneInfo) -> Markup:
    if notice.send_at is None:
        return _("now")
    return html("{when}", when=_.datetime(notice.send_at, tz))


@renders(NOTICE)
def notice_message(
    _: Translator, *, tz: ZoneInfo, notice: Notice, reminder: bool = False
) -> Screen:
    """Exactly what a resident sees: a category line, then the sender's text (or a photo or file
    with it as caption), and "I have read it" when the sender asks for it."""
    header = html("【{category}】", category=category_text(notice.category, _))
    if reminder:
        header = join([_("Reminder: please read this notice."), header])
    lines = [html("<b>{header}</b>", header=header)]
    if notice.text:
        lines.append(telegram_html(notice.text))
    buttons: Keyboard = ()
    if notice.ask_ack:  # a preview has no id yet: its button answers "not sent to you"
        buttons = keyboard([button(_("I have read it"), AckNotice(notice.id or 0))])
    return Screen(
        join(lines),
        buttons,
        photo=notice.photo_file_id or None,
        document=None if notice.photo_file_id else notice.document_file_id or None,
    )


def acknowledged(first: bool, _: Translator) -> Screen:
    if first:
        return Screen(_("Thank you, your reading is recorded."))
    return Screen(_("You had already confirmed reading this notice."))


def people(count: int, _: Translator) -> Markup:
    return _.ngettext("{count} person", "{count} people", count).format(count=_.number(count))


def households(count: int, _: Translator) -> Markup:
    return _.ngettext("{count} household", "{count} households", count).format(
        count=_.number(count)
    )


# --- /notices -------------------------------------------------------------------------------
def listing(found: Listing, _: Translator, tz: ZoneInfo) -> list[Screen]:
    """Residents: their recent notices (✅ when confirmed); senders: each of their own notices
    with what can be done with it."""
    screens: list[Screen] = []
    if found.received:
        lines = [_("<b>Recent notices</b>")]
        for item in found.received:
            notice = item.notice
            lines.append(
                html(
                    "#{id} {when} 【{category}】{line}{mark}",
                    id=notice.id,
                    when=_.date(notice.queued_at or notice.created_at, tz),
                    category=category_text(notice.category, _),
                    line=first_line(notice.text),
                    mark=" ✅" if item.acknowledged else "",
                )
            )
        screens.append(Screen(join(lines)))
    for notice in found.sent:
        screens.append(Screen(sender_line(notice, _, tz), manage_buttons(notice, _)))
    return screens or [Screen(_("There are no notices for you yet."))]


def status_text(notice: Notice, _: Translator, tz: ZoneInfo) -> Markup:
    if notice.status == NoticeStatus.SCHEDULED:
        return _("scheduled for {when}").format(when=when_text(notice, _, tz))
    if notice.status == NoticeStatus.QUEUED:
        return _.ngettext(
            "sent to {count} person", "sent to {count} people", notice.recipients
        ).format(count=_.number(notice.recipients))
    if notice.status == NoticeStatus.CANCELLED:
        return _("cancelled")
    return html("{status}", status=notice.status)


def sender_line(notice: Notice, _: Translator, tz: ZoneInfo) -> Markup:
    """One of the sender's own notices: its state, its category and (the start of) its text."""
    return join(
        [
            _("Your notice #{id}: {status}").format(
                id=notice.id, status=status_text(notice, _, tz)
            ),
            html("<b>【{category}】</b>", category=category_text(notice.category, _)),
            excerpt(notice.text),
        ]
    )


def manage_buttons(notice: Notice, _: Translator, *, may_remind: bool | None = None) -> Keyboard:
    """Change or cancel a scheduled notice; the report of a sent one, and reminding (the
    sender, when it asks for acknowledgement)."""
    notice_id = notice.id or 0
    printing = [button(_("Print the notice (PDF)"), NoticeManage("print", notice_id))]
    if notice.status == NoticeStatus.SCHEDULED:
        return keyboard(
            [
                button(_("Change text"), NoticeManage("edit", notice_id)),
                button(_("Cancel it"), NoticeManage("cancel", notice_id)),
            ],
            printing,
        )
    if notice.status != NoticeStatus.QUEUED:
        return ()
    row: list[Button] = [button(_("Delivery report"), NoticeManage("report", notice_id))]
    if notice.ask_ack if may_remind is None else may_remind:
        row.append(
            button(_("Remind those who have not read it"), NoticeManage("remind", notice_id))
        )
    return keyboard(row, printing)


# --- the sender changes or cancels a scheduled notice -----------------------------------------
def cancelled(notice: Notice, _: Translator) -> Screen:
    return Screen(_("Notice #{id} is cancelled; nothing was sent.").format(id=notice.id))


def ask_new_text(notice: Notice, _: Translator) -> Screen:
    return Screen(
        _("Send the new text for notice #{id}. /cancel to keep the old one.").format(id=notice.id)
    )


def edited(notice: Notice, _: Translator, tz: ZoneInfo) -> list[Screen]:
    """The changed notice, as residents will get it."""
    return [
        Screen(_("Notice #{id} now reads:").format(id=notice.id)),
        notice_message(_, tz=tz, notice=notice),
    ]


def need_text(_: Translator) -> Screen:
    return Screen(_("Please send the notice as text, or a photo or file with a caption."))
