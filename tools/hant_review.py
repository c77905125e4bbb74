"""Review Traditional Chinese: `python tools/hant_review.py` prints where zh_Hant differs from a draft.

The draft is the zh_Hans entry through OpenCC's plain `s2t` table (no Taiwan or Hong Kong phrase
table), then the few character forms and fixes below. A difference the reviewer has read and kept
goes into `locales/zh_Hant/reviewed.txt` (one `msgid<TAB>zh_Hant text` a line, forms of a plural
numbered `msgid[1]`); `--write` copies the draft into every entry that is neither reviewed nor equal.
Needs `pip install opencc==1.4.2` (a dev dependency; the tests do not need it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
REVIEWED = ROOT / "locales" / "zh_Hant" / "reviewed.txt"

# OpenCC's s2t writes the "standard" forms; Hong Kong and Taiwan print these instead.
VARIANTS = str.maketrans(
    {
        "爲": "為",
        "啓": "啟",
        "裏": "裡",
        "纔": "才",
        "覈": "核",
        "泄": "洩",
        "臺": "台",
        "衆": "眾",
        "僞": "偽",
        "綫": "線",
        "“": "「",
        "”": "」",
        "‘": "『",
        "’": "』",
    }
)

# s2t word splits that read wrongly, and the plain word a property notice uses instead.
PHRASES = {
    "對錶決": "對表決",
    "看錶決": "看表決",
    "和麪積": "和面積",
    "衝正": "沖正",
    "實時": "即時",
    "聯繫方式": "聯絡方式",
    "賬單隻": "賬單只",
}


def _converter():
    try:
        import opencc
    except ImportError:
        sys.exit("needs OpenCC: pip install opencc==1.4.2")
    return opencc.OpenCC("s2t")


def draft(simplified: str, converter) -> str:
    """The zh_Hant draft of one zh_Hans text."""
    text = converter.convert(simplified).translate(VARIANTS)
    for wrong, right in PHRASES.items():
        text = text.replace(wrong, right)
    return text


def _catalog(language: str):
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def reviewed() -> set[tuple[str, str]]:
    if not REVIEWED.exists():
        return set()
    pairs = set()
    for line in REVIEWED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, text = line.partition("\t")
            pairs.add((key, text))
    return pairs


def differences(hans, hant, converter) -> Iterator[tuple[str, Message, int, str, str, str]]:
    """(key, message, form, zh_Hans, draft, zh_Hant) for every form that differs from its draft."""
    for message in hans:
        if not message.id:
            continue
        other = hant.get(message.id)
        if other is None:
            continue
        simplified = message.string if isinstance(message.string, tuple) else (message.string,)
        traditional = other.string if isinstance(other.string, tuple) else (other.string,)
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        for form, (source, current) in enumerate(zip(simplified, traditional, strict=False)):
            proposed = draft(source, converter)
            if proposed != current:
                key = f"{msgid}[{form}]" if isinstance(message.id, tuple) else msgid
                yield key, other, form, source, proposed, current


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the draft where not reviewed")
    parser.add_argument("--all", action="store_true", help="also print reviewed differences")
    args = parser.parse_args(argv)
    converter = _converter()
    hans, hant = _catalog("zh_Hans"), _catalog("zh_Hant")
    kept = reviewed()
    open_count = 0
    for key, message, form, source, proposed, current in list(differences(hans, hant, converter)):
        if (key, current) in kept:
            if args.all:
                print(f"reviewed  {key}\n  draft   {proposed}\n  catalog {current}\n")
            continue
        open_count += 1
        if args.write:
            if isinstance(message.string, tuple):
                forms = list(message.string)
                forms[form] = proposed
                message.string = tuple(forms)
            else:
                message.string = proposed
            continue
        print(f"{key}\n  zh_Hans {source}\n  draft   {proposed}\n  catalog {current}\n")
    if args.write:
        path = ROOT / "locales" / "zh_Hant" / "LC_MESSAGES" / "messages.po"
        with path.open("wb") as handle:
            write_po(handle, hant, width=76, ignore_obsolete=True, include_previous=False)
        print(f"{open_count} entries set to the draft")
        return 0
    print(f"{open_count} differences not reviewed")
    return 1 if open_count else 0


if __name__ == "__main__":
    sys.exit(main())
