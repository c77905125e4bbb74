"""Gettext per user with Babel: catalogs in locales/, formatting of numbers, money and dates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, timedelta
from datetime import date as Date
from datetime import datetime as DateTime
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


@dataclass(frozen=True)
class Formats:
    """The one pattern per kind a language shows (CLDR date patterns, rendered by Babel)."""

    date: str
    month: str
    time: str
    datetime: str
    area: str  # {number} is the area to two decimals


_CHINESE_FORMATS = Formats(
    date="y年M月d日", month="y年M月", time="HH:mm", datetime="y年M月d日 HH:mm", area="{number}㎡"
)
# One format per kind for the whole product; Babel's own zh_Hant_HK short forms are day-first
# (8/12/2026 上午4:20) and its medium time has seconds, so the patterns are written out here.
FORMATS = {
    "zh_Hans": _CHINESE_FORMATS,
    "zh_Hant": _CHINESE_FORMATS,
    "en": Formats(
        date="MMM d, y",
        month="MMMM y",
        time="h:mm a",
        datetime="MMM d, y, h:mm a",
        area="{number} m²",
    ),
}
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
        """An amount of money to the cent with Babel's currency sign: ¥1,234.50, CN¥1,234.50."""
        return format_currency(amount, currency, locale=self.locale)

    def price(self, amount: Decimal, currency: str = "CNY") -> str:
        """A unit price as money with its 3rd and 4th decimals when it has them: ¥1.20, ¥1.2345."""
        return format_currency(
            Decimal(amount).normalize(), currency, locale=self.locale, decimal_quantization=False
        )

    def number(self, value: int | Decimal | float, *, places: int | None = None) -> str:
        """A count or a measure with grouping; `places` fixes the decimals (4.50, not 4.5)."""
        pattern = "#,##0" + ("." + "0" * places if places else "") if places is not None else None
        return format_decimal(value, format=pattern, locale=self.locale)

    def area(self, value: int | Decimal | float) -> str:
        """An area in ㎡, always to two decimals, the unit right after it: 2,078.60㎡."""
        number = format_decimal(value, format="#,##0.00", locale=self.locale)
        return self._formats.area.format(number=number)

    def percent(self, value: Decimal | float) -> str:
        """A share as a percentage with two decimals (display only; decisions use exact fractions)."""
        return format_percent(value, format="#,##0.00%", locale=self.locale)

    @property
    def _formats(self) -> Formats:
        return FORMATS.get(self.language, FORMATS["zh_Hans"])

    def date(self, value: Date | DateTime, tz: ZoneInfo | None = None) -> str:
        """A day: 2026年12月8日, Dec 8, 2026. A moment is first put in the compound's zone `tz`."""
        return babel_format_date(_local_day(value, tz), self._formats.date, locale=self.locale)

    def month(self, value: Date | DateTime, tz: ZoneInfo | None = None) -> str:
        """A month: 2026年12月, December 2026."""
        return babel_format_date(_local_day(value, tz), self._formats.month, locale=self.locale)

    def datetime(self, value: DateTime, tz: ZoneInfo) -> str:
        """A moment in the compound's zone: 2026年12月8日 04:20, Dec 8, 2026, 4:20 AM."""
        return babel_format_datetime(
            _aware(value), self._formats.datetime, tzinfo=tz, locale=self.locale
        )

    def time(self, value: DateTime, tz: ZoneInfo) -> str:
        """The time of day of a moment in the compound's zone: 04:20, 4:20 AM."""
        return babel_format_datetime(
            _aware(value), self._formats.time, tzinfo=tz, locale=self.locale
        )

    def duration(self, value: timedelta) -> str:
        """How long, rounded to its largest unit: "3 小时", "3 hours" (at least a minute)."""
        value = max(value, timedelta(minutes=1))
        return babel_format_timedelta(value, granularity="minute", locale=self.locale)

    def span(self, value: timedelta) -> str:
        """A short span, to the second: "40 秒", "40 seconds", "2 minutes" (at least a second)."""
        value = max(value, timedelta(seconds=1))
        return babel_format_timedelta(value, granularity="second", locale=self.locale)

    def ago(self, value: timedelta) -> str:
        """How long ago: "2 小时前", "2 hours ago"; under a minute "just now"."""
        if value < timedelta(minutes=1):
            return self.plain("just now")
        return babel_format_timedelta(
            -value, granularity="minute", add_direction=True, locale=self.locale
        )


def _aware(value: DateTime) -> DateTime:
    """A moment without a zone is UTC, as the database's UTC column reads one (models.base)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _local_day(value: Date | DateTime, tz: ZoneInfo | None) -> Date:
    """The day a reader in the compound sees: a moment needs the compound's zone."""
    if isinstance(value, DateTime):
        if tz is None:
            raise ValueError("a moment shown as a day needs the compound's zone")
        return _aware(value).astimezone(tz).date()
    return value


def iso_date(value: Date) -> str:
    """A day for machines (file names, spreadsheet cells, callback data): 2026-12-08. Never for
    a sentence a person reads; that is `Translator.date`."""
    return value.isoformat()


def iso_month(value: Date) -> str:
    """A month for machines (file names, command arguments): 2026-12."""
    return f"{value.year:04d}-{value.month:02d}"


def from_iso_month(text: str) -> Date:
    """The first day of a month kept for machines as 2026-12, to show it with `Translator.month`."""
    return Date.fromisoformat(f"{text}-01")


@cache
def translator(language: str) -> Translator:
    return Translator(language if language in LANGUAGES else "zh_Hans")
