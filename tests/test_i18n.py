"""Every message is translated in every catalog, and no handler sends text that bypasses gettext."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core.i18n import LANGUAGES, translator

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "plain": None}


def _extracted() -> set[str | tuple[str, str]]:
    method_map = [
        ("handlers/**.py", "python"),
        ("services/**.py", "python"),
        ("jobs/**.py", "python"),
        ("core/**.py", "python"),
        ("views/**.py", "python"),
        ("bot.py", "python"),
        ("cli/**.py", "python"),
        ("demo/**.py", "python"),
    ]
    found: set[str | tuple[str, str]] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS, comment_tags=("NOTE",)
    ):
        found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    path = ROOT / "locales" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    problems = []
    for message in sorted(_extracted(), key=str):
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(msgid)
        if entry is None:
            problems.append(f"missing: {msgid!r}")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings):
            problems.append(f"untranslated: {msgid!r}")
            continue
        for translated in strings:
            try:
                if (
                    _fields(str(translated))
                    - _fields(msgid if not isinstance(message, tuple) else message[1])
                    - _fields(msgid)
                ):
                    problems.append(
                        f"unknown placeholder in translation of {msgid!r}: {translated!r}"
                    )
            except ValueError as error:
                problems.append(f"bad format in translation of {msgid!r}: {error}")
    assert not problems, f"{language}: {len(problems)} problems:\n" + "\n".join(problems[:40])


def test_catalogs_are_compiled_and_used() -> None:
    assert translator("zh_Hans").gettext("Choose your language:") != "Choose your language:"
    assert translator("zh_Hant").gettext("Choose your language:") != translator("zh_Hans").gettext(
        "Choose your language:"
    )


# Calls whose text reaches a user, and which argument holds the text.
TEXT_CALLS = {
    "reply": 1,
    "edit_or_reply": 1,
    "reply_text": 0,
    "reply_html": 0,
    "send_message": 0,
    "edit_message_text": 0,
    "answer": 0,
    "InlineKeyboardButton": 0,
    "KeyboardButton": 0,
    "BotCommand": 1,
}
TEXT_KEYWORDS = {"text", "caption"}
GETTEXT_NAMES = {"_", "gettext", "ngettext", "help_text", "label", "render"}
LETTERS = re.compile(r"[A-Za-z\u4e00-\u9fff]{2,}")


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _bare_literals(node: ast.AST) -> list[str]:
    """String literals with words in them that are not inside a gettext call."""
    if isinstance(node, ast.Call) and _call_name(node) in GETTEXT_NAMES:
        return []
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join")
    ):
        return _bare_literals(node.func.value) + [x for a in node.args for x in _bare_literals(a)]
    if isinstance(node, ast.Subscript):  # payload["text"]: a key, not text
        return _bare_literals(node.value)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if LETTERS.search(node.value) else []
    found: list[str] = []
    for child in ast.iter_child_nodes(node):
        found += _bare_literals(child)
    return found


def test_no_handler_sends_text_without_gettext() -> None:
    problems = []
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            arguments = [kw.value for kw in node.keywords if kw.arg in TEXT_KEYWORDS]
            if name in TEXT_CALLS and len(node.args) > TEXT_CALLS[name]:
                arguments.append(node.args[TEXT_CALLS[name]])
            for argument in arguments:
                for literal in _bare_literals(argument):
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {literal!r}")
    assert not problems, "user-facing text without gettext:\n" + "\n".join(problems)


def test_the_checker_catches_a_bare_string() -> None:
    tree = ast.parse('await reply(update, "Hello there")\nawait reply(update, _("Hello there"))')
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _call_name(n) == "reply"]
    assert [_bare_literals(c.args[1]) for c in calls] == [["Hello there"], []]
