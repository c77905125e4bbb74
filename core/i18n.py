"""Gettext per user with Babel: catalogs in locales/, formatting of numbers, money and dates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_timedelta as babel_format_timedelta
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations
from markupsafe import Markup

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
LANGUAGES = ("zh_Hans", "en", "zh_Hant")
# NOTE: shown in the language picker in their own script, never translated.
LANGUAGE_NAMES = {"zh_Hans": "简体中文", "en": "English", "zh_Hant": "繁體中文"}
# Babel locales used for formatting, by our language code.
_BABEL_LOCALES = {"zh_Hans": "zh_Hans_CN", "en": "en_US", "zh_Hant": "zh_Hant_HK"}
# Telegram's two-letter menu language for each of ours (Telegram cannot tell Hans from Hant).
TELEGRAM_MENU_LANGUAGE = {"zh_Hans": "zh", "en": "en"}


class Msg(str):
    """A msgid marked with N_(): translated where it is shown. A DomainError parameter that is a
    Msg is translated; any other text parameter is data and only escaped."""

    __slots__ = ()


def N_(message: str) -> Msg:
    """Mark a string for extraction without translating it now (module-level labels)."""
    return Msg(message)


def html(template: str | Markup, **params: object) -> Markup:
    """`template` (trusted markup) with every parameter escaped unless it is Markup already."""
    return Markup(template).format(**params)


def join(parts: Iterable[Markup | str], separator: str = "\n") -> Markup:
    """Lines (or parts) joined as markup: plain strings among them are escaped."""
    return Markup(separator).join(parts)


def capitalised(text: Markup) -> Markup:
    """A label that begins a line, a button or an axis, with a capital first letter where the
    language has capitals ("cleaning" → "Cleaning"; Chinese is left as it is)."""
    return text[:1].upper() + text[1:]


def plain(text: Markup | str) -> str:
    """The text without markup, for buttons, files and the command line."""
    return text.unescape() if isinstance(text, Markup) else text


@cache
def babel_locale(language: str) -> Locale:
    """Babel's locale of one of our languages, parsed once (every money, number and date needs it)."""
    return Locale.parse(_BABEL_LOCALES.get(language, "zh_Hans_CN"))


@cache
def translations(language: str) -> NullTranslations:
    """One cached catalog per language; an unknown language falls back to the msgids."""
    if language not in LANGUAGES:
        return NullTranslations()
    return Translations.load(str(LOCALES_DIR), [language], DOMAIN)


def language_from_telegram(code: str | None, default: str) -> str:
    """Map Telegram's IETF language_code (zh-hans, zh-TW, en-GB, ...) to one of ours."""
    if not code:
        return default
    code = code.lower().replace("_", "-")
    if code.startswith("zh"):
        traditional = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")
        return "zh_Hant" if code.startswith(traditional) else "zh_Hans"
    if code.startswith("en"):
        return "en"
    return default


@dataclass(frozen=True)
class Translator:
    """Everything a screen needs to speak one language: gettext, plurals and Babel formats."""

    language: str

    @property
    def _catalog(self) -> NullTranslations:
        return translations(self.language)

    @property
    def locale(self) -> Locale:
        return babel_locale(self.language)

    def gettext(self, message: str) -> Markup:
        """The translation as markup: `.format()` on it escapes every value it is given, so a
        name or a note typed by a user cannot change the HTML Telegram reads."""
        return Markup(self._catalog.gettext(message))

    __call__ = gettext

    def ngettext(self, singular: str, plural: str, n: int) -> Markup:
        """The plural form for n (Chinese has one form; English two)."""
        return Markup(self._catalog.ngettext(singular, plural, n))

    def sentences(self, *parts: Markup | str) -> Markup:
        """Translated sentences (or clauses) side by side, as markup: one space between them in
        English, none in Chinese, where 。！？ and full-width brackets carry their own spacing.
        Empty parts are left out."""
        separator = "" if self.language.startswith("zh") else " "
        return join([part for part in parts if part], separator)

    def plain(self, message: str) -> str:
        """The translation as plain text (the command line, spreadsheets, chart labels)."""
        return str(self._catalog.gettext(message))

    def money(self, amount: Decimal, currency: str = "CNY") -> str:
        return format_currency(amount, currency, locale=self.locale)

    def number(self, value: int | Decimal | float) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, value: Decimal | float) -> str:
        """A share as a percentage with two decimals (display only; decisions use exact fractions)."""
        return format_percent(value, format="#,##0.00%", locale=self.locale)

    def date(self, value: date | datetime, tz: ZoneInfo | None = None, fmt: str = "medium") -> str:
        if isinstance(value, datetime) and tz is not None:
            value = value.astimezone(tz)
        return babel_format_date(value, format=fmt, locale=self.locale)

    def datetime(self, value: datetime, tz: ZoneInfo, fmt: str = "medium") -> str:
        return babel_format_datetime(value, format=fmt, tzinfo=tz, locale=self.locale)

    def duration(self, value: timedelta) -> str:
        """How long, rounded to its largest unit: "3 小时", "3 hours" (at least a minute)."""
        value = max(value, timedelta(minutes=1))
        return babel_format_timedelta(value, granularity="minute", locale=self.locale)

    def ago(self, value: timedelta) -> str:
        """How long ago: "2 小时前", "2 hours ago"; under a minute "just now"."""
        if value < timedelta(minutes=1):
            return self.plain("just now")
        return babel_format_timedelta(
            -value, granularity="minute", add_direction=True, locale=self.locale
        )


@cache
def translator(language: str) -> Translator:
    return Translator(language if language in LANGUAGES else "zh_Hans")
