"""Sentences the code puts side by side read as the language writes them: in Chinese no ASCII
space between two Chinese characters or after 。！？，：；, in English one space; and the message
left after joining says what the person is now, not what the invite will make them."""

from __future__ import annotations

import re

import pytest

from core.i18n import LANGUAGE_NAMES, translator
from models import Role
from views.surveys import SurveyScore

TELEGRAM_CODES = {"zh_Hans": "zh-hans", "en": "en", "zh_Hant": "zh-hant"}
# A Chinese character, CJK punctuation or a full-width form (（）：，…).
CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
SPACE_IN_CHINESE = re.compile(rf"[{CJK}][ \u00a0]+[{CJK}]|[。！？，：；][ \u00a0]")
# Two spaces, or a sentence end with no space before the next sentence.
SPACE_IN_ENGLISH = re.compile(r"\S  +\S|[a-z][.!?][A-Z]")


def assert_spaced(text: str, language: str) -> None:
    pattern = SPACE_IN_ENGLISH if language == "en" else SPACE_IN_CHINESE
    found = [text[max(m.start() - 12, 0) : m.end() + 12] for m in pattern.finditer(text)]
    assert not found, f"{language}: spaced wrong in {found}"


async def _speak(person, language: str) -> None:
    await person.send("/language")
    await person.press(LANGUAGE_NAMES[language])


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant", "en"])
async def test_the_invitation_and_the_welcome_after_joining(world, language):
    await world.seed_roster()
    invites = await world.issue_invites()
    owner, staff = world.user("王芳", TELEGRAM_CODES[language]), world.user("陈师傅", "zh-hans")
    await owner.send(f"/start {invites[('1栋 1单元 101', 'owner')].code}")
    invitation = owner.last_text
    assert_spaced(invitation, language)
    await owner.press_data(owner.button_data())
    welcome = [t for t in owner.texts() if "101" in t][-1]
    assert_spaced(welcome, language)
    expected = {
        "zh_Hans": "欢迎！您已登记为1栋 1单元 101的业主。",
        "zh_Hant": "歡迎！您已登記為1栋 1单元 101的業主。",
        "en": "Welcome! You are registered as the owner of 1栋 1单元 101.",
    }[language]
    assert welcome == expected  # the place is data, as the roster writes it
    assert "此邀请" not in welcome and "此邀請" not in welcome and "invite" not in welcome

    await _speak(staff, language)
    code = await world.role_invite(Role.STAFF, "compound:幸福家园")
    await staff.send(f"/start {code}")
    assert_spaced(staff.last_text, language)
    await staff.press_data(staff.button_data())
    welcome = [t for t in staff.texts() if "幸福家园" in t][-1]
    assert_spaced(welcome, language)
    now = {"zh_Hans": "您现在是", "zh_Hant": "您現在是", "en": "You are now"}[language]
    assert now in welcome and "invite" not in welcome and "邀" not in welcome


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant", "en"])
async def test_joined_sentences_on_the_staff_prompt_and_the_vote_preview(world, language):
    await world.seed_roster()
    owner, staff, committee = world.user("王芳"), world.user("陈师傅"), world.user("周委员")
    await world.onboard(owner)
    await world.join_as(staff, Role.STAFF)
    await world.join_as(committee, Role.COMMITTEE)
    await owner.send("/report")
    await owner.press("公共部位日常维修")
    await owner.press("不紧急")
    await owner.send("3楼楼道灯不亮")
    await owner.press("不加照片")
    await owner.press("在我家")
    await owner.press("提交报事")
    await world.deliver()

    _ = translator(language)
    await _speak(staff, language)
    await staff.send("/tickets")
    await staff.press("#1")
    await staff.press(_.plain("Note to resident"))
    prompt = staff.last_text
    assert _.plain("/cancel to stop.") in prompt
    assert_spaced(prompt, language)

    await _speak(committee, language)
    await committee.send("/newvote")
    await committee.send("续聘物业服务企业")
    await committee.send("是否续聘现物业服务企业三年。")
    await committee.press(_.plain("A resolution: agree / disagree / abstain"))
    await committee.press(_.plain("Ordinary matter"))
    await committee.press(_.plain("The whole compound"))
    await committee.press(_.plain("Use these times"))
    preview = committee.last_text
    assert "60" in preview
    assert_spaced(preview, language)


async def test_service_names_that_begin_a_line_begin_with_a_capital_in_english(world):
    await world.seed_roster()
    owner = world.user("Wang Fang", "en")
    await world.onboard(owner)
    await owner.press_data(SurveyScore("2026-11", 0, 5).pack())
    lines = owner.last_text.splitlines()
    assert "Cleaning: ★★★★★" in lines and "Overall service: —" in lines, lines
    assert {"Cleaning", "Common-area repair"} <= set(owner.last_message.buttons())


def test_sentences_join_as_each_language_writes_and_escape_plain_text():
    from markupsafe import Markup

    assert translator("en").sentences("Saved.", "", "/cancel to stop.") == "Saved. /cancel to stop."
    assert (
        translator("zh_Hans").sentences("已保存。", "发送 /cancel 停止。")
        == "已保存。发送 /cancel 停止。"
    )
    assert translator("zh_Hant").sentences("<b>", Markup("<i>x</i>")) == "&lt;b&gt;<i>x</i>"
