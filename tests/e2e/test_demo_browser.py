"""The demo in a real browser (Debian's Chromium driven by Playwright): a new resident joins by
invite and reports a broken light with a photo, the staff member sees it arrive in another page,
and an owner votes. Screenshots go to docs/screenshots/ (shown in the README).

Run with `make e2e` (it installs Chromium if needed); plain `make test` skips it.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from core.settings import Settings
from demo.app import Demo

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TIMEOUT = 20_000  # ms


def _png() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure = pyplot.figure(figsize=(3, 2), dpi=60)
    figure.patches.append(
        pyplot.Circle((0.5, 0.5), 0.3, color="#ffca28", transform=figure.transFigure)
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    pyplot.close(figure)
    return buffer.getvalue()


@pytest.fixture
async def demo(tmp_path):
    running = Demo(Settings(_env_file=None), port=0, database=tmp_path / "demo.db")
    await running.start(reset=True)
    try:
        yield running
    finally:
        await running.stop()


async def test_join_report_see_it_arrive_and_vote_in_a_browser(demo, tmp_path):
    from playwright.async_api import async_playwright, expect

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is missing: `make e2e` installs Debian's chromium package"
    SHOTS.mkdir(parents=True, exist_ok=True)
    ids = {p["name"]: p["user_id"] for p in demo.personas("zh_Hans")}
    assert (
        demo.runtime.settings.quiet_window is None
    )  # alerts show at once, whatever the hour of the run
    photo = tmp_path / "light.png"
    photo.write_bytes(_png())
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, headless=True)
        context = await browser.new_context(viewport={"width": 1100, "height": 760}, locale="zh-CN")
        staff, newcomer, owner = [await context.new_page() for _ in range(3)]
        for page in (staff, newcomer, owner):
            page.set_default_timeout(TIMEOUT)
        await staff.goto(f"{demo.url}/#user={ids['陈师傅']}")
        await expect(staff.locator("#chat-name")).to_have_text("陈师傅")

        # A new resident joins with an invite.
        await newcomer.goto(f"{demo.url}/#user={ids['新住户']}")
        await newcomer.get_by_role("button", name="凭邀请码加入").click()
        await newcomer.locator(".message").get_by_role("button", name="同意").last.click()
        await expect(newcomer.locator("#messages")).to_contain_text(
            "/bills"
        )  # the help of a registered owner

        # ... and reports a broken light with a photo.
        await newcomer.locator("#text").fill("/report")
        await newcomer.locator("#send").click()
        await newcomer.get_by_role("button", name="公共部位日常维修").last.click()
        await newcomer.get_by_role("button", name="不紧急").last.click()
        await expect(newcomer.locator(".message").last).to_contain_text("描述")
        await newcomer.locator("#text").fill("3楼楼道灯不亮，晚上很黑")
        await newcomer.locator("#send").click()
        await expect(newcomer.get_by_role("button", name="不加照片").last).to_be_visible()
        await newcomer.locator("#photo").set_input_files(str(photo))
        await expect(newcomer.locator(".message.me img")).to_have_count(1)
        await newcomer.get_by_role("button", name="完成").last.click()
        await newcomer.get_by_role("button", name="在我家").last.click()
        await newcomer.get_by_role("button", name="提交报事").last.click()
        await expect(newcomer.locator(".message").last).to_contain_text("工单 #3")
        await newcomer.screenshot(path=str(SHOTS / "resident-report.png"))

        # The staff member's page shows the new ticket as it arrives, with no reload.
        await expect(staff.locator(".message").last).to_contain_text("新工单 #3", timeout=TIMEOUT)
        await staff.screenshot(path=str(SHOTS / "staff-new-ticket.png"))
        # ... opens it: the staff card, with the reporter, the place, the deadline and the moves.
        await staff.get_by_role("button", name="查看工单").last.click()
        card = staff.locator(".message").last
        await expect(card).to_contain_text("报事人：新住户")
        await expect(card).to_contain_text("处理时限")
        await staff.screenshot(path=str(SHOTS / "staff-ticket-card.png"))

        # An owner votes in the open owners' assembly vote.
        await owner.goto(f"{demo.url}/#user={ids['王芳']}")
        await owner.locator("#text").fill("/vote")
        await owner.locator("#send").click()
        await owner.get_by_role("button", name="#1").last.click()
        await owner.locator(".message").last.get_by_role("button", name="同意").click()
        await expect(owner.locator(".message").last).to_contain_text("回执码")
        await owner.screenshot(path=str(SHOTS / "owner-vote.png"))

        # The owner rates this month's services; the district officer reads last month's report.
        await owner.locator("#text").fill("/rate")
        await owner.locator("#send").click()
        for row in range(6):
            await (
                owner.locator(".message")
                .last.locator(".inline-keyboard .row")
                .nth(row)
                .get_by_role("button", name="4", exact=True)
                .click()
            )
            await expect(owner.locator(".message").last).to_contain_text("★★★★", timeout=TIMEOUT)
        await expect(owner.locator(".message").last).to_contain_text("您家的评价已记录")
        await owner.screenshot(path=str(SHOTS / "owner-survey.png"))
        officer = await context.new_page()
        officer.set_default_timeout(TIMEOUT)
        await officer.goto(f"{demo.url}/#user={ids['周科长']}")
        await officer.locator("#text").fill("/kpi")
        await officer.locator("#send").click()
        await expect(officer.locator("#messages")).to_contain_text("月报：江岸区")
        await expect(officer.locator(".message img")).to_have_count(1)
        await expect(officer.locator("#messages")).to_contain_text(".xlsx")
        await officer.screenshot(path=str(SHOTS / "officer-kpi.png"))

        # The owner pays this month's fee with the compound's WeChat code; staff confirm it.
        await owner.locator("#text").fill("/bills")
        await owner.locator("#send").click()
        await owner.get_by_role("button", name="微信、支付宝或银行转账缴费").last.click()
        await expect(owner.locator(".message img").last).to_be_visible()
        await owner.get_by_role("button", name="我已用微信支付付款").last.click()
        await expect(owner.locator(".message").last).to_contain_text("核对账户后将确认")
        await owner.screenshot(path=str(SHOTS / "owner-pays-by-code.png"))
        await expect(staff.locator(".message").last).to_contain_text("1栋 1单元 101 报告已缴纳")
        await staff.screenshot(path=str(SHOTS / "staff-confirms-payment.png"))
        await staff.get_by_role("button", name="款项已到账").last.click()
        await expect(staff.locator("#messages")).to_contain_text("已登记")
        await expect(owner.locator("#messages")).to_contain_text("我们已收到")

        # The reset button brings back the seeded state.
        owner.on("dialog", lambda dialog: dialog.accept())
        await owner.get_by_role("button", name="重置演示").click()
        await expect(owner.locator("#messages")).to_contain_text(
            "业主大会表决公告", timeout=TIMEOUT
        )
        await expect(owner.locator("#messages")).not_to_contain_text("回执码")
        await browser.close()
