"""Reading a domain value someone typed (a service model, a role, a place kind, a fee period, a
ticket category): its code (`professional`) or its name in any of the three languages (`专业化`,
`專業化`, `professional takeover`); the names are the msgids the screens show."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from core.i18n import LANGUAGES, N_, Msg, Translator, translator
from models import BillingPeriod, MembershipKind, Role, ScopeKind, ServiceModel, TicketCategory
from services.errors import DomainError

# The names each value is shown by (the first) and may be typed as (all of them).
MEMBERSHIP: dict[str, Msg] = {
    MembershipKind.OWNER: N_("owner"),
    MembershipKind.CO_OWNER: N_("co-owner"),
    MembershipKind.TENANT: N_("tenant"),
    MembershipKind.FAMILY: N_("family member"),
}
ROLE: dict[str, Msg] = {
    Role.LIAISON: N_("Party-member liaison"),
    Role.STAFF: N_("property staff"),
    Role.SUPERVISOR: N_("quality supervisor"),
    Role.COMMITTEE: N_("owners' committee member"),
    Role.OFFICER: N_("officer"),
    Role.ADMIN: N_("administrator"),
}
SCOPE: dict[str, Msg] = {
    ScopeKind.CITY: N_("city"),
    ScopeKind.DISTRICT: N_("district"),
    ScopeKind.SUB_DISTRICT: N_("sub-district"),
    ScopeKind.COMMUNITY: N_("community"),
    ScopeKind.COMPOUND: N_("compound"),
    ScopeKind.GRID: N_("grid"),
    ScopeKind.BUILDING: N_("building"),
}
SERVICE_MODEL: dict[str, Msg] = {
    ServiceModel.PROFESSIONAL: N_("professional takeover"),
    ServiceModel.SELF_HELP: N_("self-help"),
    ServiceModel.PUBLIC_WELFARE: N_("public-welfare custody"),
    ServiceModel.GUIDED: N_("professional guidance with community co-management"),
    ServiceModel.NONE: N_("none yet"),
}
# NOTE: the short names of the four service models, as an administrator types them on the
# command line (`--service-model 专业化`): 专业化, 自助型, 公益性, 指导帮扶; and "no model yet" 无.
SERVICE_MODEL_SHORT: dict[str, Msg] = {
    ServiceModel.PROFESSIONAL: N_("professional"),
    ServiceModel.SELF_HELP: N_("self-help model"),
    ServiceModel.PUBLIC_WELFARE: N_("public welfare"),
    ServiceModel.GUIDED: N_("guided"),
    ServiceModel.NONE: N_("no model"),
}
PERIOD: dict[str, Msg] = {
    BillingPeriod.MONTHLY: N_("monthly"),
    BillingPeriod.QUARTERLY: N_("quarterly"),
    BillingPeriod.HALF_YEARLY: N_("half-yearly"),
    BillingPeriod.YEARLY: N_("yearly"),
}
# The same msgids as the ticket screens' labels (views/tickets.py).
CATEGORY_SHORT: dict[str, Msg] = {
    TicketCategory.CLEANING: N_("cleaning"),
    TicketCategory.GREENING: N_("greening"),
    TicketCategory.ORDER: N_("order and security"),
    TicketCategory.REPAIR: N_("common-area repair"),
    TicketCategory.FACILITY: N_("facilities"),
    TicketCategory.OTHER: N_("other"),
}
SWITCH: dict[str, Msg] = {"on": N_("yes"), "off": N_("no")}
_SEPARATORS = re.compile(r"[\s_\-‐‑–]+")
_CJK = re.compile(r"[\u3400-\u9fff]")


def normal(text: str) -> str:
    """What is compared: full-width as ASCII, lower case, `self help` = `self-help` = `self_help`."""
    return _SEPARATORS.sub("_", unicodedata.normalize("NFKC", text).strip().casefold())


class Choices(tuple[Msg, ...]):
    """Names to list in an error, translated when it is shown (a DomainError parameter)."""

    __slots__ = ()

    def render(self, _: Translator) -> str:
        return _.plain(N_(", ")).join(_.plain(m) for m in self)


@dataclass(frozen=True)
class PlaceName:
    """`小区:幸福家园`: a place as it is typed, its kind translated when it is shown (a
    DomainError parameter, or the command line's output)."""

    kind: str
    name: str

    def render(self, _: Translator) -> str:
        kind = SCOPE.get(self.kind)
        return f"{_.plain(kind) if kind else self.kind}:{self.name}"


@dataclass(frozen=True)
class EnumWords:
    """The values of one enum by every name they have: the code, and each msgid in `names`
    translated into every language. A unique beginning of a name is enough (`自助型`, `公益`)."""

    names: Mapping[str, Msg | Sequence[Msg]]

    def _msgids(self, code: str) -> tuple[Msg, ...]:
        found = self.names[code]
        return (found,) if isinstance(found, str) else tuple(found)

    @cached_property
    def _words(self) -> dict[str, set[str]]:
        words: dict[str, set[str]] = {}
        for code in self.names:
            words.setdefault(normal(code), set()).add(code)
            for msgid in self._msgids(code):
                for language in LANGUAGES:
                    words.setdefault(normal(translator(language).plain(msgid)), set()).add(code)
        return words

    def parse(self, text: str | None) -> str | None:
        """The code `text` names, or None if it names none or several."""
        word = normal(text or "")
        if not word:
            return None
        exact = self._words.get(word, set())
        if len(exact) == 1:
            return next(iter(exact))
        if exact or len(word) < (2 if _CJK.search(word) else 4):
            return None
        starts = {
            code for name, codes in self._words.items() if name.startswith(word) for code in codes
        }
        return next(iter(starts)) if len(starts) == 1 else None

    def choices(self) -> Choices:
        """The names to list when a value is not understood: the last of each value's names
        (its short name where it has one)."""
        return Choices(self._msgids(code)[-1] for code in self.names)


SERVICE_MODEL_WORDS = EnumWords(
    {code: (SERVICE_MODEL[code], short) for code, short in SERVICE_MODEL_SHORT.items()}
)
ROLE_WORDS = EnumWords(ROLE)
SCOPE_WORDS = EnumWords(SCOPE)
PERIOD_WORDS = EnumWords(PERIOD)
CATEGORY_WORDS = EnumWords(CATEGORY_SHORT)
SWITCH_WORDS = EnumWords(SWITCH)


def service_model(text: str) -> ServiceModel:
    """`professional`, `专业化`, `專業化企業承接`… as the service model, or a DomainError."""
    code = SERVICE_MODEL_WORDS.parse(text)
    if code is None:
        raise DomainError(
            N_("Unknown service model {model!r}; use one of: {models}."),
            model=text,
            models=SERVICE_MODEL_WORDS.choices(),
        )
    return ServiceModel(code)


def role(text: str) -> Role:
    """`staff`, `物业服务人员`, `property staff`… as the role, or a DomainError."""
    code = ROLE_WORDS.parse(text)
    if code is None:
        raise DomainError(
            N_("Unknown role {role}; use one of: {roles}."), role=text, roles=ROLE_WORDS.choices()
        )
    return Role(code)


def scope_kind(text: str) -> ScopeKind:
    """`compound`, `小区`, `district`, `区`… as the kind of place, or a DomainError."""
    code = SCOPE_WORDS.parse(text)
    if code is None:
        raise DomainError(
            N_("Unknown scope kind {kind!r}; use one of: {kinds}."),
            kind=text,
            kinds=SCOPE_WORDS.choices(),
        )
    return ScopeKind(code)


def _unknown(text: str, words: EnumWords) -> DomainError:
    return DomainError(
        N_("“{value}” is not one of: {choices}."), value=text, choices=words.choices()
    )


def period(text: str) -> BillingPeriod:
    """`monthly`, `按月`, `half_yearly`, `按半年`… as the billing period, or a DomainError."""
    code = PERIOD_WORDS.parse(text)
    if code is None:
        raise _unknown(text, PERIOD_WORDS)
    return BillingPeriod(code)


def category(text: str) -> TicketCategory:
    """`repair`, `维修`, `common-area repair`, `保洁`… as the ticket category, or a DomainError."""
    from services.ticket_queue import category_of

    found = category_of(text)
    if found is None:
        raise _unknown(text, CATEGORY_WORDS)
    return found


def switch(text: str) -> bool:
    """`on`/`off`, `是`/`否`, `yes`/`no` as a yes or no, or a DomainError."""
    code = SWITCH_WORDS.parse(text)
    if code is None:
        raise _unknown(text, SWITCH_WORDS)
    return code == "on"
