"""Every screen, with hostile values in every field it shows, is HTML Telegram accepts.

Each function of every views module is called with values built from its annotations
(tests/utils/hostile.py): text fields hold `<3 & <b>{0}%s`, format fields, a 1,000-character
Chinese string and a spreadsheet formula, in each language. What it returns is parsed by the
emulator's strict parser of Telegram's HTML; a workbook it returns is read back and must hold no
formula. A view the factory cannot call fails the test, so a new screen is covered as it lands.
"""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import typing
from collections.abc import Callable, Iterator
from typing import Any

import openpyxl
import pytest
from markupsafe import Markup

import views
from core.i18n import LANGUAGES, translator
from core.screen import File, Screen
from emulator.formatting import ParseError, parse_html
from services.drafts import Draft
from tests.utils.hostile import HOSTILE, Factory, call

SKIP = {"pattern", "pack", "parse"}  # callback data methods, not screens


def _view_functions() -> Iterator[tuple[str, Callable[..., Any]]]:
    for info in pkgutil.iter_modules(views.__path__):
        if info.name == "callbacks":  # the codec of button data, not a screen
            continue
        module = importlib.import_module(f"views.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            # Private helpers are checked through the screens that use them.
            if (
                function.__module__ == module.__name__
                and not name.startswith("_")
                and name not in SKIP
            ):
                yield f"views.{info.name}.{name}", function


VIEWS = dict(_view_functions())


def _drafts(function: Callable[..., Any]) -> list[tuple[str, type[Draft]]]:
    hints = typing.get_type_hints(function)
    return [(n, t) for n, t in hints.items() if isinstance(t, type) and issubclass(t, Draft)]


def _screens(result: Any) -> Iterator[Screen]:
    if isinstance(result, Screen):
        yield result
    elif isinstance(result, Markup):
        yield Screen(result)
    elif isinstance(result, list | tuple):
        for item in result:
            yield from _screens(item)


def _check_screen(screen: Screen, where: str) -> None:
    try:
        parse_html(str(screen.text))
    except ParseError as error:
        raise AssertionError(
            f"{where}: Telegram would refuse this HTML ({error}): {screen.text[:300]!r}"
        ) from None
    for attachment in (screen.document, screen.photo):
        if isinstance(attachment, File) and attachment.filename.endswith(".xlsx"):
            _check_workbook(attachment.content, where)


def _check_workbook(content: bytes, where: str) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (
                    f"{where}: a formula in {sheet.title}!{cell.coordinate}"
                )


def _calls(function: Callable[..., Any], factory: Factory) -> Iterator[Any]:
    """The view once, or once per step of each draft it shows."""
    drafts = _drafts(function)
    if not drafts:
        yield call(function, factory)
        return
    name, kind = drafts[0]
    for step in kind.steps or [None]:
        draft = factory.pydantic(kind, step.value if step is not None else None)
        yield call(function, factory, {name: draft})


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_every_screen_with_hostile_values_is_valid_telegram_html(name: str) -> None:
    function = VIEWS[name]
    for language in LANGUAGES:
        for text in HOSTILE:
            factory = Factory(text, translator(language), OVERRIDES)
            for result in _calls(function, factory):
                if isinstance(result, bytes) and result[:2] == b"PK":
                    _check_workbook(result, name)
                for screen in _screens(result):
                    _check_screen(screen, f"{name} [{language}]")


def test_every_views_module_is_covered() -> None:
    """The collection above finds the views (a module that fails to import fails here)."""
    modules = {name.rsplit(".", 1)[0] for name in VIEWS}
    assert {"views.bills", "views.fee_office"} <= modules


# Values the generic factory cannot guess: structures read by key.
OVERRIDES: dict[type, Callable[[Factory], Any]] = {}
