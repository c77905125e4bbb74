"""Values for every parameter of a view, built from its annotations, with hostile text in every
text field: markup (`<3 & <b>`), format fields (`{0}`), printf fields (`%s`) and a 1,000-character
Chinese string. Used to render every screen and check it against Telegram's HTML rules."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections import abc
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal, Union
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from pydantic import BaseModel
from sqlmodel import SQLModel

from core.i18n import Msg, Translator
from services.errors import DomainError

HOSTILE = ("<3 & <b>{0}%s</b> &amp; <i", "{0} {name} %s %(x)s {", "测" * 1000, '=HYPERLINK("x")')
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Text fields that must hold a specific shape to be read at all (a month, a code).
SHAPED = {
    "month": "2026-11",
    "language": "zh_Hans",
    "code": "Xa3kYYYY",
    "currency": "CNY",
    "bot_username": "RedPropertyBot",  # Telegram's shape: 5-32 of [A-Za-z0-9_]
}


class Factory:
    """Builds a value of a type; `text` is the hostile string of this round."""

    def __init__(self, text: str, _: Translator, overrides: dict[type, Callable[[Factory], Any]]):
        self.text = text
        self.translator = _
        self.overrides = overrides

    def value(self, annotation: Any, name: str = "") -> Any:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if annotation in self.overrides:
            return self.overrides[annotation](self)
        if origin in (Union, types.UnionType):
            chosen = [a for a in args if a is not type(None)]
            return self.value(chosen[0], name)
        if origin is Literal:
            return args[0]
        if origin is abc.Callable:  # a callback (progress): one that does nothing
            return lambda *_args, **_kwargs: None
        if origin in (list, tuple, set, frozenset, abc.Sequence, abc.Iterable) or (
            isinstance(origin, type) and issubclass(origin, (list, tuple))
        ):
            if origin is tuple and args and args[-1] is not Ellipsis:
                return tuple(self.value(a, name) for a in args)
            item = self.value(args[0], name) if args else self.text
            other = self.value(args[0], name) if args else self.text
            built = [item, other]
            return (
                tuple(built)
                if origin is tuple
                else (set(built) if origin in (set, frozenset) else built)
            )
        if origin in (dict, abc.Mapping):
            return {self.value(args[0], name): self.value(args[1], name)}
        if annotation is Any or annotation is object:
            return self.text
        if annotation is Translator:
            return self.translator
        if annotation is ZoneInfo:
            return SHANGHAI
        if annotation is Markup:
            return escape(self.text)
        if isinstance(annotation, type) and issubclass(annotation, DomainError):
            # A refusal that names what was typed.
            return annotation(Msg("No such file: {path}"), path=self.text)
        if annotation is Msg:  # a msgid: real text of the catalog, not user input
            return Msg("owner")
        if annotation is str:
            return SHAPED.get(name, self.text)
        if annotation is bool:
            return True
        if annotation is int:
            return 3
        if annotation is float:
            return 30.6215
        if annotation is Decimal:
            return Decimal("1234.56")
        if annotation is datetime:
            return NOW
        if annotation is date:
            return date(2026, 11, 15)
        if annotation is time:
            return time(9, 0)
        if annotation is timedelta:
            return timedelta(minutes=3)
        if annotation is bytes:
            return b"\x89PNG\r\n\x1a\n"
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            return next(iter(annotation))
        if isinstance(annotation, type) and issubclass(annotation, SQLModel):
            return self.model(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return self.pydantic(annotation)
        if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
            hints = typing.get_type_hints(annotation)
            return annotation(
                **{
                    f.name: self.value(hints[f.name], f.name)
                    for f in dataclasses.fields(annotation)
                    if f.init
                }
            )
        raise TypeError(f"no hostile value for {annotation!r} ({name}); add one to the overrides")

    def model(self, model: type[SQLModel]) -> SQLModel:
        """A table row with every field filled: text hostile, enums a real member."""
        hints = typing.get_type_hints(model)
        columns = model.__table__.columns  # type: ignore[attr-defined]
        values = {}
        for name in model.model_fields:
            column = columns.get(name)
            kind = column.info.get("enum") if column is not None else None
            if kind is not None:
                values[name] = next(iter(kind)).value
            elif name == "id" or name.endswith("_id"):
                values[name] = 7
            else:
                values[name] = self.value(hints[name], name)
        return model(**values)

    def pydantic(self, model: type[BaseModel], step: str | None = None) -> BaseModel:
        """A draft with every answer given (at `step`, else its first step)."""
        hints = typing.get_type_hints(model)
        values = {n: self.value(hints[n], n) for n in model.model_fields if n != "step"}
        steps = getattr(model, "steps", None)
        if "step" in model.model_fields:
            values["step"] = step or (next(iter(steps)).value if steps else self.text)
        return model.model_validate(values)


def call(
    function: Callable[..., Any], factory: Factory, extra: dict[str, Any] | None = None
) -> Any:
    """Call a view with a value for each of its parameters (keyword-only ones too)."""
    import inspect

    hints = typing.get_type_hints(function)
    arguments: dict[str, Any] = {}
    positional: list[Any] = []
    for name, parameter in inspect.signature(function).parameters.items():
        if extra and name in extra:
            value = extra[name]
        elif parameter.default is not inspect.Parameter.empty and name not in hints:
            continue
        else:
            value = factory.value(hints[name], name)
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            arguments[name] = value
        else:
            positional.append(value)
    return function(*positional, **arguments)
