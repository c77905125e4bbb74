"""The catalogs use the domain's words (locales/glossary.csv), no Taiwan-software phrase-table words, and
Chinese punctuation and spacing."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "locales" / "glossary.csv"
CHINESE = ("zh_Hans", "zh_Hant")
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

# (msgid, glossary en cell): why the term does not apply in that entry. Keep this short.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("Invite for", "invite"): "a column of the invite list: the role the invite is for (身份)",
    ("Exclusive area in the vote (㎡)", "vote"): "a row of the vote's own record file",
    ("Owners in the vote", "vote"): "a row of the vote's own record file",
    ("Keep the vote", "vote"): "a button under the question naming the vote",
    ("Withdraw the vote", "vote"): "a button under the question naming the vote",
    ("Your home’s ballot: {choice}", "ballot"): "the home's choice in the vote (您家的表决)",
    ("Reverse this payment", "payment"): "a button on the payment's card (冲正此笔)",
    ("overdue, escalated to the liaison", "escalate|escalation|escalated"): "the escalation is "
    "the liaison being told (已通知联络员)",
    ("That time has already passed. Please give a time in the future.", "passed|passes|pass"): (
        "time has gone by, not a vote passing"
    ),
    (
        "{home} has passed to its new owner on {date}, and your registration with it has ended. "
        "Thank you for being part of the compound!",
        "passed|passes|pass",
    ): "a home sold (过户), not a vote passing",
}

# Words the Taiwan software phrase table (OpenCC s2twp) puts in; a Hong Kong or Taiwan property
# notice writes the word on the right.
WRONG_IN_HANT = {
    "透過": "通過 (passes; 透過 means 'by means of')",
    "型別": "類型",
    "裝置執行": "設備運行",
    "設施裝置": "設施設備",
    "裝置": "設備",
    "設施執行": "設施運行",
    "檢視": "查看",
    "訊息": "消息 or 信息",
    "資訊": "信息",
    "使用者": "用戶 or 住戶",
    "傳送": "發送",
    "儲存": "保存",
    "檔案": "文件",
    "檔名": "文件名",
    "列印": "打印",
    "匯出": "導出",
    "匯入": "導入",
    "連結": "鏈接",
    "選單": "菜單",
    "資料": "數據 or 信息",
    "存取": "訪問",
    "支援": "支持",
    "字元": "字符",
    "雜湊": "哈希",
    "釋出": "發佈",
    "重新整理": "刷新",
    "回饋": "反饋",
    "指令": "命令",
    "佇列": "隊列",
    "社群": "社區",
    "設定": "設置",
    "預設": "默認",
    "開啟": "打開",
    "產生": "生成",
    "合約": "合同",
    "軟體": "軟件",
    "程式": "程序",
    "伺服器": "服務器",
    "網路": "網絡",
    "帳單": "賬單",
    "帳戶": "賬戶",
    "帳號": "賬號",
    "入帳": "入賬",
    "轉帳": "轉賬",
    "來帳": "來賬",
    "到帳": "到賬",
    "賬單隻": "賬單只",
    "衝正": "沖正",
    "對錶決": "對表決",
    "和麪積": "和面積",
}

SPACE_BETWEEN_CJK = re.compile(f"[{CJK}] +[{CJK}]")
SPACE_AFTER_FULL_STOP = re.compile(f"[。！？：；，、] +[{CJK}]")
# A command with its arguments ("/tickets 我的 超时") is typed as it stands, spaces and all.
COMMAND_EXAMPLE = re.compile(f"/\\w+(?: [\\w{CJK}-]+)+")
HALF_WIDTH_BETWEEN_CJK = re.compile(
    f"[{CJK}][,:;()][{CJK}]|[{CJK}]\\([{CJK}]|[{CJK}]\\)[{CJK}]|[{CJK}][,:;!?](?: |$)"
)


@dataclass(frozen=True)
class Term:
    en: str
    variants: dict[str, tuple[str, ...]]
    pattern: str


def _pattern(english: str) -> str:
    """A regular expression for one English term: either apostrophe, "community" or "communities"."""
    pattern = re.escape(english).replace("'", "['’]")
    return pattern[:-1] + "(?:y|ie)" if pattern.endswith("y") else pattern


def _glossary() -> list[Term]:
    with GLOSSARY.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    terms = []
    for row in rows:
        for english in row["en"].split("|"):
            terms.append(
                Term(
                    en=row["en"],
                    variants={language: tuple(row[language].split("|")) for language in CHINESE},
                    pattern=_pattern(english.strip()),
                )
            )
    return terms


TERMS = _glossary()
# The longest term wins: "fee collection rate" is not also checked as "fee collection".
_BY_LENGTH = sorted(TERMS, key=lambda term: len(term.pattern), reverse=True)
MATCHER = re.compile(
    "|".join(f"(?P<t{index}>{term.pattern})" for index, term in enumerate(_BY_LENGTH)),
    re.IGNORECASE,
)
WORD = re.compile(
    rf"(?<![\w-])(?:{MATCHER.pattern})(?:s|es)?(?![\w-])",
    re.IGNORECASE,
)
# Placeholders, commands, options and tags are not words a reader reads.
NOT_WORDS = re.compile(r"\{[^}]*\}|/\w+|--[\w-]+|<[^>]*>|%\(\w+\)s|[A-Z_]{3,}")


def terms_in(english: str) -> list[Term]:
    text = NOT_WORDS.sub(" ", english)
    found = []
    for match in WORD.finditer(text):
        name = next(key for key, value in match.groupdict().items() if value is not None)
        found.append(_BY_LENGTH[int(name[1:])])
    return found


def _catalog(language: str):
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


CATALOGS = {language: _catalog(language) for language in CHINESE}


def _entries(language: str) -> Iterator[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(msgid, English texts, translated forms) of every entry."""
    for message in CATALOGS[language]:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        yield ids[0], tuple(ids), tuple(str(form) for form in forms if form)


def test_the_glossary_is_well_formed() -> None:
    with GLOSSARY.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["en", "zh_Hans", "zh_Hant", "note"]
        rows = list(reader)
    assert 60 <= len(rows) <= 150
    seen: set[str] = set()
    for row in rows:
        assert len(row) == 4 and all(row[:3]), row
        for english in row[0].split("|"):
            assert english.lower() not in seen, f"{english!r} is in the glossary twice"
            seen.add(english.lower())
        assert len(row[1].split("|")) == len(row[2].split("|")), row
    assert [t.en for t in terms_in("The fee collection rate of owners' committee members")] == [
        "fee collection rate|fee collection|collection rate",
        "owners' committee member|committee member",
    ]
    assert [t.en for t in terms_in("{owner} sent /tickets to the owners")] == ["owner"]
    assert [t.en for t in terms_in("Communities")] == ["community"]


@pytest.mark.parametrize("language", CHINESE)
def test_every_entry_uses_the_glossary(language: str) -> None:
    problems = []
    used = set()
    for msgid, english, forms in _entries(language):
        for term in {term.en: term for text in english for term in terms_in(text)}.values():
            if (msgid, term.en) in EXCEPTIONS:
                used.add((msgid, term.en))
                continue
            variants = term.variants[language]
            for form in forms:
                if not any(variant in form for variant in variants):
                    problems.append(
                        f"{msgid!r}: {term.en.split('|')[0]!r} should read "
                        f"{' or '.join(variants)}: {form!r}"
                    )
    assert not problems, f"{language}: {len(problems)} entries:\n" + "\n".join(problems)
    assert used == set(EXCEPTIONS), f"exceptions no longer needed: {set(EXCEPTIONS) - used}"


def test_no_taiwan_software_words_in_traditional() -> None:
    problems = [
        f"{msgid!r}: {wrong} → {right}: {form!r}"
        for msgid, _english, forms in _entries("zh_Hant")
        for form in forms
        for wrong, right in WRONG_IN_HANT.items()
        if wrong in form
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", CHINESE)
def test_chinese_spacing_and_punctuation(language: str) -> None:
    problems = []
    for msgid, _english, forms in _entries(language):
        for form in (COMMAND_EXAMPLE.sub("/command", form) for form in forms):
            for rule, pattern in (
                ("ASCII space between Chinese characters", SPACE_BETWEEN_CJK),
                ("space after Chinese punctuation", SPACE_AFTER_FULL_STOP),
                ("half-width punctuation between Chinese characters", HALF_WIDTH_BETWEEN_CJK),
            ):
                for match in pattern.finditer(form):
                    problems.append(f"{msgid!r}: {rule}: {match.group()!r} in {form!r}")
    assert not problems, f"{language}: {len(problems)} problems:\n" + "\n".join(problems)


def test_traditional_is_not_the_simplified_text() -> None:
    # Characters the glossary writes differently in the two scripts.
    simplified_only = {
        hans
        for term in TERMS
        for simplified, traditional in zip(
            term.variants["zh_Hans"], term.variants["zh_Hant"], strict=True
        )
        for hans, hant in zip(simplified, traditional, strict=False)
        if hans != hant
    }
    hant = {msgid: forms for msgid, _english, forms in _entries("zh_Hant")}
    problems = [
        f"{msgid!r}: {forms!r}"
        for msgid, _english, forms in _entries("zh_Hans")
        if set("".join(forms)) & simplified_only and hant.get(msgid) == forms
    ]
    assert not problems, "zh_Hant copies zh_Hans:\n" + "\n".join(problems)


def test_no_simplified_characters_left_in_traditional() -> None:
    opencc = pytest.importorskip("opencc")
    converter = opencc.OpenCC("s2t")
    problems = []
    for msgid, _english, forms in _entries("zh_Hant"):
        for form in forms:
            for index, character in enumerate(form):
                # 台 is the Hong Kong and Taiwan form of 臺 (平台).
                if re.match(f"[{CJK}]", character) and character != "台":
                    if converter.convert(character) != character:
                        problems.append(
                            f"{msgid!r}: {character!r} in {form[index - 3 : index + 3]!r}"
                        )
    assert not problems, "\n".join(problems)


def test_the_spacing_rules_catch_what_the_issue_saw() -> None:
    assert SPACE_AFTER_FULL_STOP.search("…的业主。 隐私说明")
    assert SPACE_BETWEEN_CJK.search("请按 年-月 格式")
    assert HALF_WIDTH_BETWEEN_CJK.search("类型: 维修")
    assert not SPACE_BETWEEN_CJK.search(
        COMMAND_EXAMPLE.sub("/command", "例如 /tickets 我的 超时。")
    )


# A placeholder filled with a date (2026年12月1日) or a Chinese label (小区:幸福家园, 物业服务人员)
# ends in a Chinese character once shown, so a space next to it is a space between two Chinese
# characters on the screen: "自 {day} 起" reads "自 2026年12月1日 起".
_DATE_FIELDS = "day|date|start|end|month|earliest|latest"
_LABEL_FIELDS = "compound|kpi|scope|role"
_SHOWN_SPACES = [
    re.compile(rf"\{{(?:{_DATE_FIELDS})\}} (?=[{CJK}])(?!日)"),
    re.compile(rf"(?<=[{CJK}]) \{{(?:{_DATE_FIELDS})\}}(?! 日)"),  # 每期 {day} 日: a number
    re.compile(rf"\{{(?:{_LABEL_FIELDS})\}} (?=[{CJK}])"),
    re.compile(rf"(?<=[在的有]) \{{(?:{_LABEL_FIELDS})\}}"),
]


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant"])
def test_no_space_beside_a_date_or_a_label_placeholder(language: str) -> None:
    problems = [
        f"{msgid!r}: {form!r}"
        for msgid, _english, forms in _entries(language)
        for form in forms
        if any(pattern.search(form) for pattern in _SHOWN_SPACES)
    ]
    assert not problems, f"{language}: a space beside a date or a label:\n" + "\n".join(problems)
