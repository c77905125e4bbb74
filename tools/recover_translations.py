"""Fill untranslated catalog entries from earlier versions of the catalogs in git (a msgid that
was removed and came back, or a singular message that became a plural one):
`python tools/recover_translations.py [REV ...]` (default: HEAD)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]


def old_catalog(rev: str, language: str):
    path = f"locales/{language}/LC_MESSAGES/messages.po"
    data = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    return read_po(io.BytesIO(data))


def main(revisions: list[str]) -> int:
    for language in ("zh_Hans", "zh_Hant", "en"):
        po = ROOT / "locales" / language / "LC_MESSAGES" / "messages.po"
        with po.open("rb") as handle:
            catalog = read_po(handle)
        memory: dict[str, object] = {}
        for rev in revisions:
            for message in old_catalog(rev, language):
                if message.id and message.string and not message.fuzzy:
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    memory.setdefault(key, message.string)
        filled = 0
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if all(strings):
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            plural_key = message.id[1] if isinstance(message.id, tuple) else None
            found = memory.get(key) or (memory.get(plural_key) if plural_key else None)
            if found is None:
                continue
            if isinstance(message.id, tuple):
                forms = found if isinstance(found, tuple) else (found,)
                if language == "en" and len(forms) == 1:
                    forms = (message.id[0], message.id[1])
                message.string = forms
            elif isinstance(found, str):
                message.string = found
            filled += 1
        with po.open("wb") as handle:
            write_po(handle, catalog, width=76, ignore_obsolete=True, include_previous=False)
        print(f"{language}: {filled} recovered")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["HEAD"]))
