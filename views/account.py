"""The person's own account: /help, /language, /whoami, /mydata, /setphone, /forgetme, /cancel,
and the polite answers to what the bot does not understand."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from markupsafe import Markup

from core.i18n import LANGUAGE_NAMES, LANGUAGES, N_, Msg, Translator, html, iso_date, join
from core.screen import File, ReplyButton, Screen, button, keyboard
from services.audit import WHAT_SHOWN
from services.personal_data import Read
from services.residents import PersonalData, Profile
from services.tables import Table, xlsx
from views import labels
from views.callbacks import CallbackData


@dataclasses.dataclass(frozen=True)
class LanguageChoice(CallbackData, kind="lang"):
    language: str


@dataclasses.dataclass(frozen=True)
class ForgetConfirm(CallbackData, kind="forget"):
    confirmed: bool


def bold(text: Markup) -> Markup:
    return html("<b>{text}</b>", text=text)


# --- /help ------------------------------------------------------------------------------------
def help_text(commands: Sequence[tuple[str, str]], joined: bool, _: Translator) -> Markup:
    """The commands the person may use (name, description msgid), derived from the policy."""
    lines = [_("Here is what I can do for you:"), Markup("")]
    lines += [
        html("/{name} — {description}", name=name, description=_.plain(description))
        for name, description in commands
    ]
    if not joined:
        lines += [
            Markup(""),
            _("To join, open the invite link from your property office or liaison."),
        ]
    return join(lines)


def help_screen(commands: Sequence[tuple[str, str]], joined: bool, _: Translator) -> Screen:
    return Screen(help_text(commands, joined, _))


# --- /language --------------------------------------------------------------------------------
def language_picker(_: Translator) -> Screen:
    """The three languages, each in its own script."""
    rows = [[button(LANGUAGE_NAMES[code], LanguageChoice(code))] for code in LANGUAGES]
    return Screen(_("Choose your language:"), keyboard(*rows))


def language_set(_: Translator) -> Screen:
    return Screen(_("Language set to English."))


# --- /whoami ----------------------------------------------------------------------------------
def whoami(found: Profile, _: Translator) -> Screen:
    """Name, Telegram id, phone, homes and roles."""
    lines = [_("Telegram ID: {id}").format(id=found.telegram_id)]
    if not found.registered:
        lines.append(
            _("You are not registered yet. Open the invite link from your property office to join.")
        )
        return Screen(join(lines))
    lines.insert(0, _("Name: {name}").format(name=found.name))
    if found.phone:
        lines.append(_("Phone: {phone}").format(phone=found.phone))
    for home, kind in found.households:
        lines.append(
            _("Household: {place} ({membership})").format(
                place=home, membership=labels.membership(kind, _)
            )
        )
    for role, kind, name in found.roles:
        lines.append(
            _("Role: {role}, {scope} {name}").format(
                role=labels.role(role, _), scope=labels.scope(kind, _), name=name
            )
        )
    return Screen(join(lines))


# --- /mydata ----------------------------------------------------------------------------------
def no_personal_data(_: Translator) -> Screen:
    return Screen(_("The bot holds no personal data about you."))


# What another person saw, by the `what` of its audit event.
READ_WHAT: dict[str, Msg] = {**WHAT_SHOWN, "reporter": N_("your contact on a ticket card")}
READS_SHOWN = 5


def _read_line(read: Read, _: Translator, tz: ZoneInfo) -> Markup:
    what = READ_WHAT.get(read.what)
    readers = (
        _("the property office")
        if read.by_office
        else join([labels.role(r, _) for r in read.reader_roles], "、") or _("a role holder")
    )
    return _("{date}: {reader} saw {what}").format(
        date=_.datetime(read.at, tz),
        reader=readers,
        what=_(what) if what else read.what,
    )


def my_data(found: PersonalData, _: Translator, tz: ZoneInfo) -> list[Screen]:
    """A summary of what is held (the homes and roles by name, the latest reads by others),
    then all of it as a JSON file."""
    lines = [
        bold(_("What the bot holds about you")),
        _("Name: {name}").format(name=found.name),
        _("Telegram ID: {id}").format(id=found.telegram_id),
        _("Phone: {phone}").format(phone=found.phone or "—"),
        _("Language: {language}").format(language=LANGUAGE_NAMES.get(found.language or "", "—")),
    ]
    for home, kind in found.households:
        lines.append(
            _("Household: {place} ({membership})").format(
                place=home, membership=labels.membership(kind, _)
            )
        )
    for role, kind, name in found.roles:
        lines.append(
            _("Role: {role}, {scope} {name}").format(
                role=labels.role(role, _), scope=labels.scope(kind, _), name=name
            )
        )
    lines.append(Markup(""))
    if found.reads:
        count = len(found.reads)
        lines.append(
            _.ngettext(
                "Others have seen your data {count} time; the latest:",
                "Others have seen your data {count} times; the latest:",
                count,
            ).format(count=count)
        )
        lines += [_read_line(r, _, tz) for r in found.reads[-READS_SHOWN:][::-1]]
    else:
        lines.append(_("No one else has seen your data through the bot."))
    lines += [
        Markup(""),
        _(
            "The attached file has all of it. To change your phone use /setphone; to delete everything use /forgetme."
        ),
    ]
    return [
        Screen(join(lines)),
        Screen(_("Your data, exported"), document=File(found.content, "my-data.json")),
    ]


# --- /audit (administrators) -----------------------------------------------------------------
def audit_reads(since: date, tables: dict[str, Table], _: Translator) -> list[Screen]:
    """How many reads since the date, with the workbook (one sheet per compound)."""
    count = sum(len(t.rows) for t in tables.values())
    text = _.ngettext(
        "{count} read of personal data since {date}; the file lists each person or home read.",
        "{count} reads of personal data since {date}; the file lists each person or home read.",
        count,
    ).format(count=count, date=_.date(since))
    return [Screen(text, document=File(xlsx(tables, _), f"reads-since-{iso_date(since)}.xlsx"))]


# --- /forgetme --------------------------------------------------------------------------------
def forget_question(_: Translator) -> Screen:
    text = _(
        "This withdraws your consent and deletes your name, phone, language and household "
        "links. Records the law requires us to keep (such as votes cast) stay, without your name. "
        "Are you sure?"
    )
    rows = [
        button(_("Yes, delete my data"), ForgetConfirm(True)),
        button(_("No, keep it"), ForgetConfirm(False)),
    ]
    return Screen(text, keyboard(rows))


def nothing_deleted(_: Translator) -> Screen:
    return Screen(_("Nothing was deleted."))


def forgotten(_: Translator) -> Screen:
    return Screen(_("Your personal data has been deleted. Thank you for using the bot. Goodbye!"))


# --- /setphone --------------------------------------------------------------------------------
def ask_phone(_: Translator) -> Screen:
    """Ask for the number, offering to share the one on the Telegram account."""
    return Screen(
        _(
            "Send your phone number, or tap the button to share the one on your Telegram account. /cancel to stop."
        ),
        reply_keyboard=(ReplyButton(_.plain("Share my phone number"), "contact"),),
    )


def phone_saved(_: Translator) -> Screen:
    return Screen(_("Your phone number is saved."), remove_reply_keyboard=True)


def phone_as_text(_: Translator) -> Screen:
    return Screen(_("Please send a phone number as text, or /cancel."))


# --- /cancel and the catch-alls ---------------------------------------------------------------
def cancelled(_: Translator) -> Screen:
    return Screen(_("Cancelled. Nothing was changed."), remove_reply_keyboard=True)


def busy(_: Translator) -> Screen:
    return Screen(
        _(
            "You are in the middle of something. Please answer the question above, or send /cancel to stop."
        )
    )


def nothing_to_cancel(_: Translator) -> Screen:
    return Screen(_("There is nothing to cancel."), remove_reply_keyboard=True)


def unknown_command(_: Translator) -> Screen:
    return Screen(_("I don't know that command. Send /help to see what I can do."))


def unknown_message(_: Translator) -> Screen:
    return Screen(_("I didn't understand that. Send /help to see what I can do."))


def sorry(_: Translator) -> Screen:
    """An unexpected error: a polite word, never a traceback."""
    return Screen(_("Sorry, something went wrong on our side. Please try again in a moment."))
