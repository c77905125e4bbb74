"""The office console in Debian's Chromium (Playwright), on the demo: the administrator sends
/console in the demo chat, opens the link, finds a home and grants and ends a role; the persona
list's "open the console as …" link signs a district officer in. Screenshots go to
docs/screenshots/console-*.png (shown in the README).

Run with `make e2e`; plain `make test` skips it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.settings import Settings
from demo.app import Demo

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TIMEOUT = 20_000  # ms


@pytest.fixture
async def demo(tmp_path):
    running = Demo(Settings(_env_file=None), port=0, database=tmp_path / "demo.db")
    await running.start(reset=True)
    try:
        yield running
    finally:
        await running.stop()


async def test_an_administrator_signs_in_from_the_chat_finds_a_home_and_grants_a_role(demo):
    from playwright.async_api import async_playwright, expect

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is missing: `make e2e` installs Debian's chromium package"
    SHOTS.mkdir(parents=True, exist_ok=True)
    ids = {p["name"]: p["user_id"] for p in demo.personas("zh_Hans")}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, headless=True)
        context = await browser.new_context(viewport={"width": 1100, "height": 760}, locale="zh-CN")
        chat = await context.new_page()
        chat.set_default_timeout(TIMEOUT)
        await chat.goto(f"{demo.url}/#user={ids['孙管理']}")
        await expect(chat.locator("#chat-name")).to_have_text("孙管理")
        await chat.locator("#text").fill("/console")
        await chat.locator("#send").click()
        await expect(chat.locator(".message").last).to_contain_text("办公后台链接")
        await chat.screenshot(path=str(SHOTS / "console-link-in-the-chat.png"))
        async with context.expect_page() as opened:
            await chat.locator(".message").last.locator("a[href*='/console/signin']").click()
        console = await opened.value
        console.set_default_timeout(TIMEOUT)
        await expect(console.locator("main")).to_contain_text("以孙管理身份继续")
        await console.get_by_role("button", name="继续").click()
        await expect(console.locator("h1")).to_contain_text("欢迎，孙管理")
        await expect(console.locator("main")).to_contain_text("管理员")

        # A home by its number, then its page: who is registered, the bills, the votes.
        await console.get_by_role("link", name="住户").first.click()
        await console.locator("#q").fill("1-1-101")
        await console.get_by_role("button", name="搜索").click()
        await console.get_by_role("link", name="1栋 1单元 101").click()
        await expect(console.locator("main")).to_contain_text("王芳")
        await expect(console.locator("main")).to_contain_text("业主表决")
        await console.screenshot(path=str(SHOTS / "console-household.png"), full_page=True)

        # A role granted to a person who has opened the bot, told in the chat, then ended.
        await console.get_by_role("link", name="角色").first.click()
        await console.locator("#person").fill("王芳")
        await console.locator("#role").select_option("liaison")
        await console.get_by_role("button", name="授予", exact=True).click()
        await expect(console.locator(".notice")).to_contain_text("角色已授予")
        await expect(console.locator("#current")).to_contain_text("王芳")
        await console.screenshot(path=str(SHOTS / "console-roles.png"), full_page=True)
        owner = await context.new_page()
        owner.set_default_timeout(TIMEOUT)
        await owner.goto(f"{demo.url}/#user={ids['王芳']}")
        await expect(owner.locator("#messages")).to_contain_text("党员联络员")
        await console.get_by_role("button", name="结束 王芳 党员联络员").click()
        await expect(console.locator(".notice")).to_contain_text("角色已结束")
        await expect(console.locator("#ended")).to_contain_text("王芳")

        # "Sign out everywhere" in the chat: the console page is signed out.
        await chat.locator("#text").fill("/console")
        await chat.locator("#send").click()
        await expect(chat.locator(".message").last).to_contain_text("您已在 1 个浏览器登录")
        await chat.locator(".message").last.get_by_role("button", name="在所有浏览器退出").click()
        await expect(chat.locator(".message").last).to_contain_text("已在 1 个浏览器退出")
        await console.reload()
        await expect(console.locator("main")).to_contain_text("您已退出")

        # The persona list's link signs the district officer in, with no chat at all.
        async with context.expect_page() as opened:
            await chat.get_by_role("link", name="以周科长身份打开办公后台").click()
        officer = await opened.value
        officer.set_default_timeout(TIMEOUT)
        await officer.get_by_role("button", name="继续").click()
        await expect(officer.locator("main")).to_contain_text("主管部门工作人员")
        await browser.close()
