"""Fill translations into the catalogs: `python tools/translate.py entries.py`.

entries.py defines ENTRIES = {msgid: (zh_Hans, zh_Hant)} or {msgid: (zh_Hans, zh_Hant, en)};
plural entries are keyed by (singular, plural) with tuples of forms per language:
{("1 home", "{count} homes"): (("{count} 户",), ("{count} 戶",), ("{count} home", "{count} homes"))}.
English falls back to the msgid (and the plural msgid for the plural form).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]


def main(path: str) -> int:
    entries = runpy.run_path(path)["ENTRIES"]
    missing = 0
    for index, language in enumerate(("zh_Hans", "zh_Hant", "en")):
        po = ROOT / "locales" / language / "LC_MESSAGES" / "messages.po"
        with po.open("rb") as handle:
            catalog = read_po(handle)
        for key, values in entries.items():
            message = catalog.get(key[0] if isinstance(key, tuple) else key)
            if message is None:
                print(f"{language}: not in the catalog (run make messages): {key!r}")
                missing += 1
                continue
            if index < len(values) and values[index]:
                value = values[index]
            elif index == 2:
                value = key
            else:
                continue
            if isinstance(key, tuple):
                forms = tuple(value) if isinstance(value, tuple | list) else (value,)
                message.string = forms
            else:
                message.string = value
            message.flags.discard("fuzzy")
        with po.open("wb") as handle:
            write_po(handle, catalog, width=76, ignore_obsolete=True, include_previous=False)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
