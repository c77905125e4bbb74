"""The roster (业主名册) and invite cards in the office console, as an administrator uses them:
real office files (a GBK CSV from Chinese Excel with a bad row, an XLSX with a title row and
merged headers), the preview with every problem by row, the fix, "apply" followed on the job's
page, the new homes found, the invite cards (PDF) and list (CSV) downloaded; and what others get:
a liaison, a form from another site, another session, hostile names, a file too large."""

from __future__ import annotations

import asyncio
import csv
import io
from urllib.parse import urljoin

from sqlmodel import col, func, select

from models import AuditEvent, Building, Household, Invite, Role
from tests.test_console import _signed_in
from tests.test_roster_files import CHINESE, _merged_workbook, _sample
from tests.utils.console import Browser, Page
from tests.utils.pdf import pdf_text

HEADER = list(CHINESE)  # city … developer_unit, in the sample's order
REFRESH = 'http-equiv="refresh"'


async def _admin(world):
    await world.seed_roster()
    admin = world.user("孙管理")
    await world.join_as(admin, Role.ADMIN)
    return admin


def _home(building: str, room: str, area: str = "88.00", owner: str = "新业主", **extra: str):
    row = dict.fromkeys(HEADER, "")
    row.update(
        city="武汉市",
        district="江岸区",
        sub_district="后湖街道",
        community="幸福社区",
        compound="幸福家园",
        building=building,
        unit="1单元",
        room=room,
        registered_area=area,
        grid="第一网格",
        owner_name=owner,
        owner_phone="13900000000",
        developer_unit="否",
    )
    row.update(extra)
    return row


def _gbk_csv(rows: list[dict[str, str]], title: str = "幸福家园业主名册（2026年12月）") -> bytes:
    """As Chinese Excel saves a sheet "CSV (逗号分隔)": GBK, a title line above the header."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title])
    writer.writerow([CHINESE[k] for k in HEADER])
    writer.writerows([[r[k] for k in HEADER] for r in rows])
    return out.getvalue().encode("gbk")


async def _upload(browser: Browser, name: str, data: bytes) -> Page:
    page = await browser.open("/roster")
    assert page.status == 200, page.text
    return await browser.submit(page.form("/roster"), files={"file": (name, data)})


async def _follow(browser: Browser, page: Page, seen: list[str] | None = None) -> Page:
    """The job's page, reloaded as its refresh asks, until the import is over."""
    for _ in range(600):
        if REFRESH not in page.html:
            return page
        if seen is not None:
            seen.append(page.text)
        await asyncio.sleep(0.05)
        page = await browser.open(page.url)
    raise AssertionError("the import did not finish")


async def _download(browser: Browser, page: Page, label: str) -> tuple[str, bytes]:
    assert browser.page is not None
    async with browser.http.get(urljoin(page.url, page.link(label))) as response:
        assert response.status == 200
        return response.headers["Content-Type"], await response.read()


async def test_an_administrator_fixes_a_gbk_roster_applies_it_and_prints_its_invites(
    world, console
):
    admin = await _admin(world)
    rows = [_home("9栋", room) for room in ("101", "102", "201")]
    rows.append(_home("1栋", "101", area="90.00", owner="徐丽"))  # the sample's home, larger
    rows.insert(2, _home("9栋", "202", area="九十平"))  # file row 5: not an area
    rows.append(_home("9栋", "301", compound="和平里"))  # a compound this admin does not run
    async with Browser() as browser:
        await _signed_in(world, admin, browser)
        page = await _upload(browser, "名册.csv", _gbk_csv(rows))
        assert page.status == 400
        problems = page.text.split("问题")[-1]
        assert "第 5 行" in page.text and "九十平" in page.text and "面积" in problems
        assert "第 8 行" in page.text and "和平里" in page.text
        assert "/roster/apply" not in page.html  # a roster with problems cannot be applied
        del rows[-1]
        rows[2]["registered_area"] = "90.5㎡"
        page = await _upload(browser, "名册.csv", _gbk_csv(rows))
        assert page.status == 200, page.text
        summary = page.text
        assert "新的房屋 4" in summary and "有变化的房屋 1" in summary
        assert "新建：楼栋 1" in summary and "89.50㎡ → 90.00㎡" in summary
        assert "登记面积和电话" in summary  # what changes in the sample's 1栋 1单元 101
        async with world.session() as session:  # nothing written before "apply"
            assert not (
                await session.exec(select(Building).where(col(Building.name) == "9栋"))
            ).all()
        apply = page.form("/roster/apply")
        page = await browser.submit(apply)
        page = await _follow(browser, page)
        assert "花名册已导入：共 5 户，新增 4 户，更新 1 户，未变 0 户" in page.text, page.text
        again = await browser.submit(apply)  # a double press: the upload is gone
        assert again.status == 410 and "再次上传" in again.text
        page = await browser.open("/households?q=9-1-202")
        assert "9栋 1单元 202" in page.text and "90.50" in page.text
        page = await browser.open("/invites")
        drawing: list[str] = []
        page = await _follow(browser, await browser.submit(page.form("/invites")), drawing)
        assert page.status == 200 and "128 个邀请码" in page.text, page.text
        assert any("正在生成邀请卡" in text for text in drawing)  # 128 cards take a second or two
        kind, sheet = await _download(browser, page, "PDF")
        assert kind == "application/pdf" and sheet.startswith(b"%PDF")
        text = pdf_text(sheet)
        assert "9栋 1单元 202" in text and "t.me/RedPropertyBot" in text
        async with Browser() as laptop:  # the same administrator, another session
            await _signed_in(world, admin, laptop)
            assert (await laptop.open(urljoin(page.url, page.link("PDF")))).status == 404
            assert (await laptop.open(page.url)).status == 404  # the job's page too
        kind, listing = await _download(browser, page, "CSV")
        assert kind.startswith("text/csv") and listing.startswith("\ufeff".encode())
        lines = listing.decode("utf-8-sig").splitlines()
        assert len(lines) == 129 and "https://t.me/RedPropertyBot?start=" in lines[1]
        page = await browser.open("/invites")
        page = await browser.submit(page.form("/invites"), home="9-1-301")
        assert page.status == 400 and "9-1-301" in page.text
        page = await _follow(browser, await browser.submit(page.form("/invites"), home="9-1-101"))
        assert "2 个邀请码" in page.text and "9栋 1单元 101" in page.text
    async with world.session() as session:
        events = (
            await session.exec(
                select(AuditEvent)
                .where(col(AuditEvent.action).in_(["roster.import", "invites.issue"]))
                .order_by(col(AuditEvent.id))
            )
        ).all()
        nine = (
            await session.exec(
                select(func.count())
                .select_from(Household)
                .join(Building, col(Building.id) == col(Household.building_id))
                .where(col(Building.name) == "9栋")
            )
        ).one()
        open_codes = (
            await session.exec(
                select(func.count())
                .select_from(Invite)
                .where(col(Invite.revoked_at).is_(None), col(Invite.household_id).is_not(None))
            )
        ).one()
    by_admin = [e for e in events if e.actor_id is not None]
    assert [e.action for e in by_admin] == ["roster.import", "invites.issue", "invites.issue"]
    assert by_admin[0].subject_id == "名册.csv" and by_admin[0].details["created"] == 4
    assert nine == 4 and open_codes == 128


async def test_an_xlsx_with_a_title_row_and_merged_headers_is_previewed_and_applied(
    world, console, tmp_path
):
    admin = await _admin(world)
    rows = _sample(12)
    for row in rows:
        row["building"] = "2" + row["building"]  # 1栋 → 21栋: new buildings of 幸福家园
    data = _merged_workbook(rows, tmp_path / "名册.xlsx").read_bytes()
    async with Browser() as browser:
        await _signed_in(world, admin, browser)
        page = await _upload(browser, "名册.xlsx", data)
        assert page.status == 200, page.text
        assert "新的房屋 12" in page.text
        page = await _follow(browser, await browser.submit(page.form("/roster/apply")))
        assert "新增 12 户" in page.text
        page = await browser.open("/households?q=21-1-101")
        assert "21栋 1单元 101" in page.text and "徐丽" in page.text


async def test_a_large_roster_is_written_in_the_background_with_its_progress(world, console):
    admin = await _admin(world)
    rows = [
        _home(f"{b}栋", f"{floor}{door:02d}", unit=f"{u}单元")
        for b in range(30, 35)
        for u in range(1, 5)
        for floor in range(1, 26)
        for door in range(1, 11)
    ]
    assert len(rows) == 5000
    async with Browser() as browser:
        await _signed_in(world, admin, browser)
        page = await _upload(browser, "big.csv", _gbk_csv(rows))
        assert page.status == 200 and "新的房屋 5,000" in page.text, page.text[:500]
        seen: list[str] = []
        page = await _follow(browser, await browser.submit(page.form("/roster/apply")), seen)
        assert "新增 5,000 户" in page.text
    assert seen and all(("5,000" in s or "再次检查" in s) for s in seen)
    async with world.session() as session:
        count = (await session.exec(select(func.count()).select_from(Household))).one()
    assert count == 60 + 5000


async def test_others_are_refused_and_hostile_names_are_shown_as_text(world, console):
    admin = await _admin(world)
    liaison = world.user("刘书记")
    await world.join_as(liaison, Role.LIAISON)
    hostile = "<img src=x onerror=alert(1)>"
    async with Browser() as theirs, Browser() as mine, Browser() as other:
        await _signed_in(world, liaison, theirs)
        for address in ("/roster", "/invites"):
            page = await theirs.open(address)
            assert page.status == 403 and "管理员" in page.text
        assert "/roster" not in (await theirs.open("/")).html
        await _signed_in(world, admin, mine)
        page = await mine.open("/roster")
        form = page.form("/roster")
        rows = [_home(f"{hostile}栋", "101", owner=hostile)]
        mine.origin = "https://evil.example.com"
        refused = await mine.submit(form, files={"file": ("x.csv", _gbk_csv(rows))})
        assert refused.status == 403 and "不是从办公后台" in refused.text
        mine.origin = None
        page = await _upload(mine, f"{hostile}.csv", _gbk_csv(rows))
        assert page.status == 200
        assert "<img src=x" not in page.html and "&lt;img src=x onerror=alert(1)&gt;" in page.html
        apply = page.form("/roster/apply")
        await _signed_in(world, admin, other)  # the same person in another browser
        token = (await other.open("/roster")).form("/roster").fields["form_token"]
        page = await other.submit(apply, form_token=token)
        assert page.status == 410  # an upload belongs to the session that sent it
        page = await mine.open("/invites")
        form = page.form("/invites")
        token = (await theirs.open("/")).form("/signout").fields["form_token"]
        page = await theirs.submit(form, form_token=token)  # the liaison's own session
        assert page.status == 403 and "管理员" in page.text
        await mine.open("/invites")
        for forged in ("99999", "-1", "abc", ""):
            page = await mine.submit(form, compound=forged)
            assert page.status in (400, 403) and 'id="issued"' not in page.html, forged
    async with world.session() as session:
        assert not (
            await session.exec(select(Invite).where(col(Invite.household_id).is_not(None)))
        ).all()
        assert not (
            await session.exec(select(Building).where(col(Building.name).contains("img")))
        ).all()


async def test_a_file_over_the_limit_or_no_roster_at_all_is_refused_clearly(world, console):
    admin = await _admin(world)
    world.runtime.settings = world.runtime.settings.model_copy(update={"import_max_mb": 1})
    async with Browser() as browser:
        await _signed_in(world, admin, browser)
        page = await _upload(browser, "big.csv", b"a," * 600_000)
        assert page.status == 400 and "超过 1 MB" in page.text and "IMPORT_MAX_MB" in page.text
        page = await _upload(browser, "huge.csv", b"a," * (13 << 20))  # 26 MB: past any form
        assert page.status == 413 and "超过 25 MB" in page.text
        page = await _upload(browser, "photo.jpg", b"\xff\xd8\xff\xe0 not a roster")
        assert page.status == 400
        page = await _upload(browser, "list.csv", "姓名,电话\n张三,139\n".encode("gbk"))
        assert page.status == 400 and "房号" in page.text  # the columns it lacks, by name
