"""The callback-data codec: every kind round-trips, and anything malformed is refused."""

from __future__ import annotations

import dataclasses

import pytest

import handlers.app  # noqa: F401  - registers every feature's callback kinds
from views.callbacks import CallbackData, InvalidCallback, callback_kinds


def _example(cls: type[CallbackData]) -> CallbackData:
    values = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        kind = field.type if isinstance(field.type, str) else field.type.__name__
        values[field.name] = {"int": 123456789, "bool": True}.get(kind, "abc_DEF-9")
    return cls(**values)


@pytest.mark.parametrize("cls", list(callback_kinds().values()), ids=lambda c: c.kind)
def test_every_kind_round_trips_within_64_bytes(cls: type[CallbackData]) -> None:
    example = _example(cls)
    packed = example.pack()
    assert len(packed.encode()) <= 64
    assert packed.startswith(f"v1:{cls.kind}")
    assert cls.parse(packed) == example


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("lang", ""),
        ("lang", "v2:lang:en"),
        ("lang", "v1:lang"),
        ("lang", "v1:lang:en:extra"),
        ("lang", "v1:lang:<script>"),
        ("lang", "v1:forget:1"),
        ("forget", "v1:forget:2"),
        ("forget", "v1:forget:yes"),
        ("lang", "v1:lang:en\n"),
        ("vv", "v1:vv:-1"),
        ("vv", "v1:vv:01"),
        ("vv", "v1:vv:１２"),
        ("vv", "v1:vv:2147483648"),
        ("vv", "v1:vv:999999999999999999"),
        # Forged ids beyond the database's INTEGER (PostgreSQL raised instead of finding nothing;
        # found by tests/test_fuzz.py).
        ("vtn", "v1:vtn:-68867322764"),
        ("ack", "v1:ack:2147483648"),
        ("tk", "v1:tk:view:999999999999999999"),
        ("tk", "v1:tk:view:-2147483649"),
    ],
)
def test_malformed_data_is_refused(kind: str, data: str) -> None:
    with pytest.raises(InvalidCallback):
        callback_kinds()[kind].parse(data)


def test_the_largest_id_fits() -> None:
    assert callback_kinds()["vv"].parse("v1:vv:2147483647").poll_id == 2**31 - 1  # type: ignore[attr-defined]


def test_packing_refuses_unsafe_text() -> None:
    from handlers.account import LanguageChoice

    with pytest.raises(ValueError):
        LanguageChoice("a:b").pack()


def test_numbers_fit_the_database() -> None:
    from views.notices import AckNotice

    assert AckNotice.parse(f"v1:ack:{2**31 - 1}") == AckNotice(2**31 - 1)
    with pytest.raises(InvalidCallback):
        AckNotice.parse(f"v1:ack:{-(2**31)}")
    with pytest.raises(ValueError):
        AckNotice(2**31).pack()
