"""Owners' votes in the office console, signed in through the bot: the votes with their status,
a vote's live turnout (headcount and area, never a choice) for the committee, and paper ballots
entered in a batch by staff — checked line by line (a typo, a duplicate, a home that voted in
the bot), then booked once, with the flag and the committee's warning the bot gives."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from jobs.votes import tick
from models import Ballot, BallotChannel, BallotFlag, BallotFlagReason, Draft, Role
from services import vote_documents, vote_lifecycle
from tests.utils.console import Browser, link_in

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _signed_in(person, browser: Browser):
    await person.send("/console")
    page = await browser.open(link_in(person.last_text))
    page = await browser.submit(page.form("/signin"))
    assert page.status == 200, page.text
    return page


async def _open_vote(world, clock, tmp_path):
    """幸福家园 with an open vote (its snapshot taken), the office, an owner who voted in the
    bot, and a staff member of another compound."""
    await world.seed_roster()
    await world.seed_other_compound(tmp_path)
    names = ("周委员", "徐丽", "陈师傅", "刘书记", "钱师傅")
    committee, owner, staff, liaison, stranger = (world.user(n) for n in names)
    await world.join_as(committee, Role.COMMITTEE)
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.join_as(staff, Role.STAFF)
    await world.join_as(liaison, Role.LIAISON)
    await world.join_as(stranger, Role.STAFF, "compound:和平里")
    now = clock.now()
    async with world.session() as session:
        await vote_lifecycle.draft(
            session,
            None,
            compound_id=1,
            title="续聘物业服务企业<b>",
            body="",
            notice_at=now,
            opens_at=now + timedelta(days=15),
            closes_at=datetime(2026, 11, 25, 18, 0, tzinfo=SHANGHAI),
            now=now,
        )
    clock.advance(days=15, minutes=1)
    assert (await tick(world.runtime))["opened"] == 1
    await world.deliver()
    await owner.send("/vote")
    await owner.press("#1")
    await owner.press("同意")
    assert "回执码" in owner.last_text
    async with world.session() as session:  # the codes printed on the ballots
        printed = await vote_documents.paper_ballots(session, None, 1, now=clock.now())
        codes = {home.label: home.code for home in printed.homes}
    return committee, owner, staff, liaison, stranger, codes


async def _ballots(world) -> list[Ballot]:
    async with world.session() as session:
        return list((await session.exec(select(Ballot).order_by(col(Ballot.id)))).all())


async def _flags(world) -> list[str]:
    async with world.session() as session:
        return [f.reason for f in (await session.exec(select(BallotFlag))).all()]


async def test_staff_enter_a_batch_of_paper_ballots_checked_line_by_line(
    world, console, clock, tmp_path
):
    committee, owner, staff, _liaison, _stranger, codes = await _open_vote(world, clock, tmp_path)
    typo = codes["1栋 1单元 202"][:-1] + ("A" if codes["1栋 1单元 202"][-1] != "A" else "B")
    batch = "\n".join(
        [
            f"{codes['1栋 1单元 102']} 同意",
            f"反对 {codes['1栋 1单元 201']}",
            f"{typo} 弃权",
            f"  {codes['1栋 1单元 201'].lower()}  反对 ",  # the same paper scanned twice
            codes["1栋 1单元 101"],  # only the code: the batch's choice; voted in the bot
        ]
    )
    async with Browser() as browser:
        page = await _signed_in(staff, browser)
        page = await browser.open(page.link("业主表决"))
        assert page.status == 200 and "续聘物业服务企业<b>" in page.text
        assert "<b>续聘" not in page.html and "&lt;b&gt;" in page.html
        page = await browser.open(page.link("续聘物业服务企业"))
        assert page.status == 200 and "投票中" in page.text
        assert "参与表决的人数" not in page.text  # staff do not follow the turnout
        async with browser.http.get(urljoin(page.url, page.link("打印"))) as response:
            assert response.status == 200 and response.content_type == "application/pdf"
            assert (await response.read()).startswith(b"%PDF")
        page = await browser.open(page.link("录入纸质选票"))
        assert page.status == 200
        form = page.form("/votes/1/paper")
        page = await browser.submit(form, lines=batch, default="agree", do="check")
        assert page.status == 200, page.text
        checked = {n: page.html.split(f'id="line-{n}"')[1].split("</tr>")[0] for n in range(1, 6)}
        assert "可以录入" in checked[1] and "可以录入" in checked[2]
        assert "不是有效的纸质选票编码" in checked[3]
        assert "与第 2 行是同一张选票" in checked[4]
        assert "1栋 1单元 101" in checked[5] and "已在机器人中投票" in checked[5]
        assert "同意" in checked[5]  # the batch's choice
        assert len(await _ballots(world)) == 1  # checking books nothing

        # Fixed: the typo corrected, the duplicate removed; checked again, then entered.
        fixed = "\n".join(
            [
                f"{codes['1栋 1单元 102']} 同意",
                f"反对 {codes['1栋 1单元 201']}",
                f"{codes['1栋 1单元 202']} 弃权",
                codes["1栋 1单元 101"],
            ]
        )
        page = await browser.submit(page.form("/votes/1/paper"), lines=fixed, do="check")
        assert "有问题：0" in page.text, page.text
        enter = page.form("/votes/1/paper")
        assert enter.fields["lines"] == fixed and enter.fields["default"] == "agree"
        page = await browser.submit(enter, do="enter")
        assert page.status == 200, page.text
        assert "已录入纸质选票：4" in page.text
        entered = page.html.split('id="entered"')[1].split("</section>")[0]
        assert "已在机器人中投票" in entered and "1栋 1单元 101" in entered

        # The same form posted again (a reload, a double click): nothing more is booked.
        again = await browser.submit(enter, do="enter")
        assert again.status == 400 and "已经录入" in again.text
        # The same batch checked again: each home now has its paper ballot, shown per line.
        page = await browser.submit(
            (await browser.open("/votes/1/paper")).form("/votes/1/paper"),
            lines=fixed,
            default="agree",
            do="check",
        )
        assert page.text.count("已有") >= 4 and "第二张" in page.text

    ballots = await _ballots(world)
    paper = [b for b in ballots if b.channel == BallotChannel.PAPER]
    assert len(ballots) == 5 and len(paper) == 4
    assert sorted(b.choice[0] for b in paper) == ["abstain", "agree", "agree", "disagree"]
    assert await _flags(world) == [BallotFlagReason.PAPER_AND_BOT]
    async with world.session() as session:
        # only the last check's batch is kept, to be entered or checked again
        assert [d.flow for d in (await session.exec(select(Draft))).all()] == [
            "console_paper_batch"
        ]

    # The committee is warned of the home that voted twice (never how), and sees the turnout.
    await world.deliver()
    assert "1栋 1单元 101" in committee.last_text and "同意" not in committee.last_text
    await owner.send("/vote")
    await owner.press("#1")
    assert "已由工作人员录入纸质选票" in owner.last_text
    async with Browser() as browser:
        await _signed_in(committee, browser)
        page = await browser.open("/votes/1")
        assert page.status == 200
        turnout = page.html.split('id="turnout"')[1].split("</section>")[0]
        # 4 owners of 59 (60 homes, the developer's two unsold ones count once); 89.50 +
        # 118.36 + 89.50 + 118.36 ㎡ taking part
        assert "参与表决的人数：4 / 59" in turnout
        assert "415.72" in turnout
        assert "同意" not in turnout and "反对" not in turnout
        # Committee members enter a batch too (the rule; DOMAIN.md says staff)
        page = await browser.open(page.link("录入纸质选票"))
        page = await browser.submit(
            page.form("/votes/1/paper"), lines=f"{codes['1栋 1单元 301']} 同意", do="check"
        )
        assert "有问题：0" in page.text, page.text
        page = await browser.submit(page.form("/votes/1/paper"), do="enter")
        assert page.status == 200 and "已录入纸质选票：1" in page.text
    assert len(await _ballots(world)) == 6


async def test_who_may_not_enter_ballots_is_refused_and_nothing_is_booked(
    world, console, clock, tmp_path
):
    _committee, _owner, staff, liaison, stranger, codes = await _open_vote(world, clock, tmp_path)
    line = f"{codes['1栋 1单元 102']} 同意"
    async with Browser() as browser:
        await _signed_in(liaison, browser)
        page = await browser.open("/votes/1")
        assert page.status == 200 and "参与表决的人数：1 / 59" in page.text
        assert "录入纸质选票" not in page.text
        page = await browser.open("/votes/1/paper")
        assert page.status == 403 and "物业服务人员" in page.text
    async with Browser() as browser:
        await _signed_in(stranger, browser)
        page = await browser.open("/votes")
        assert "续聘物业服务企业" not in page.text
        for url in ("/votes/1", "/votes/1/paper", "/votes/1/ballots.pdf"):
            assert (await browser.open(url)).status == 403, url
        for forged in ("abc", "99999999999", "-1", "1%27%20OR%201=1"):
            assert (await browser.open(f"/votes/{forged}")).status == 404
    async with Browser() as browser:
        await _signed_in(staff, browser)
        page = await browser.open("/votes/1/paper")
        form = page.form("/votes/1/paper")
        page = await browser.submit(form, lines=line, do="check")
        enter = page.form("/votes/1/paper")
        browser.origin = "https://evil.example.com"
        page = await browser.submit(enter, do="enter")
        assert page.status == 403 and "不是从办公后台" in page.text
        browser.origin = None
        enter.fields["form_token"] = "forged"
        assert (await browser.submit(enter, do="enter")).status == 403
        enter = (await browser.submit(form, lines=line, do="check")).form("/votes/1/paper")
        enter.fields["token"] = "forged"
        page = await browser.submit(enter, do="enter")
        assert page.status == 400 and "已经录入" in page.text
        # Hostile text and an empty batch are answered on the page, escaped.
        page = await browser.submit(form, lines="<script>alert(1)</script>", do="check")
        assert page.status == 200 and "<script>alert" not in page.html
        assert "&lt;script&gt;" in page.html and "不是有效的纸质选票编码" in page.text
        page = await browser.submit(form, lines="  \n ", do="check")
        assert page.status == 400 and "至少" in page.text
        page = await browser.submit(form, lines="\n".join([line] * 501), do="check")
        assert page.status == 400 and "500" in page.text
    assert [b.channel for b in await _ballots(world)] == [BallotChannel.BOT]


async def test_a_committee_member_drafts_a_vote_with_the_checks_of_newvote(world, console, clock):
    await world.seed_roster()
    committee, owner, liaison = (world.user(n) for n in ("周委员", "徐丽", "刘书记"))
    await world.join_as(committee, Role.COMMITTEE)
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.join_as(liaison, Role.LIAISON)
    soon = (clock.now() + timedelta(days=3)).astimezone(SHANGHAI)
    async with Browser() as browser:
        page = await _signed_in(committee, browser)
        page = await browser.open(page.link("业主表决"))
        page = await browser.open(page.link("起草表决"))
        assert page.status == 200
        form = page.form("/votes/new")
        assert [label for _v, label in form.selects["compound_id"]] == ["幸福家园"]
        page = await browser.submit(form, title="  ", do="preview")
        assert page.status == 400 and "200" in page.text
        page = await browser.submit(
            page.form("/votes/new"),
            title="加装电梯<script>",
            body="1栋加装电梯，费用由1栋业主分摊。",
            opens_at=f"{soon:%Y-%m-%d} 09:00",
            closes_at=f"{soon + timedelta(days=7):%Y-%m-%d} 18:00",
            do="preview",
        )
        assert page.status == 400 and "15 天" in page.text
        assert 'value="加装电梯&lt;script&gt;"' in page.html  # what was typed stays, escaped
        page = await browser.submit(
            page.form("/votes/new"), opens_at="", closes_at="", matter="7", do="preview"
        )
        assert page.status == 200, page.text
        preview = page.html.split('id="preview"')[1].split("</section>")[0]
        assert "加装电梯&lt;script&gt;" in preview and "第七项" in preview
        assert "60 户" in preview
        publish = page.form("/votes/new")
        page = await browser.submit(publish, do="publish")
        assert page.status == 200 and "已发布" in page.text, page.text
        assert "/votes/1" in page.url and "已公告" in page.text
        again = await browser.submit(publish, do="publish")  # a double click
        assert again.status == 400 and "已经发布" in again.text
    async with world.session() as session:
        from models import Poll

        polls = (await session.exec(select(Poll))).all()
    assert [(p.title, p.special_item) for p in polls] == [("加装电梯<script>", 7)]
    await tick(world.runtime)
    await world.deliver()
    assert "加装电梯" in owner.last_text
    async with Browser() as browser:
        await _signed_in(liaison, browser)
        assert "起草表决" not in (await browser.open("/votes")).text
        assert (await browser.open("/votes/new")).status == 403


async def test_an_election_batch_and_the_record_of_a_closed_vote(world, console, clock):
    await world.seed_roster()
    committee, staff = world.user("周委员"), world.user("陈师傅")
    await world.join_as(committee, Role.COMMITTEE)
    await world.join_as(staff, Role.STAFF)
    now = clock.now()
    async with world.session() as session:
        await vote_lifecycle.draft(
            session,
            None,
            compound_id=1,
            title="选举业委会委员",
            body="",
            notice_at=now,
            opens_at=now + timedelta(days=15),
            closes_at=now + timedelta(days=23),
            now=now,
            candidates=["张三", "李四", "王五"],
            seats=2,
        )
    clock.advance(days=15, minutes=1)
    await tick(world.runtime)
    async with world.session() as session:
        printed = await vote_documents.paper_ballots(session, None, 1, now=clock.now())
        codes = {home.label: home.code for home in printed.homes}
    batch = "\n".join(
        [
            f"{codes['1栋 1单元 101']} 1,3",
            f"0 {codes['1栋 1单元 102']}",
            f"{codes['1栋 1单元 201']} 4",
            f"{codes['1栋 1单元 202']} 1，2，3",
        ]
    )
    async with Browser() as browser:
        await _signed_in(staff, browser)
        page = await browser.open("/votes/1/paper")
        assert "default" not in page.form("/votes/1/paper").selects  # no batch choice
        page = await browser.submit(page.form("/votes/1/paper"), lines=batch, do="check")
        lines = {n: page.html.split(f'id="line-{n}"')[1].split("</tr>")[0] for n in range(1, 5)}
        assert "张三、王五" in lines[1] and "可以录入" in lines[1]
        assert "可以录入" in lines[2]
        assert "不是本次表决的选项" in lines[3]
        assert "最多可选 2 名候选人" in lines[4]
        page = await browser.submit(page.form("/votes/1/paper"), do="enter")
        assert "已录入纸质选票：2" in page.text
        left = page.form("/votes/1/paper").fields["lines"]
        assert left.splitlines() == batch.splitlines()[2:]  # what is left to fix
        page = await browser.open("/votes/1")
        assert "XLSX" not in page.text  # not closed yet; staff export nothing anyway
    async with world.session() as session:
        paper = (await session.exec(select(Ballot))).all()
    assert sorted(tuple(b.choice) for b in paper) == [(), ("张三", "王五")]

    clock.advance(days=9)
    await tick(world.runtime)
    async with Browser() as browser:
        await _signed_in(committee, browser)
        page = await browser.open("/votes/1")
        assert "已截止" in page.text and "参与表决的人数" not in page.text
        for label, start in (("XLSX", b"PK"), ("JSON", b"{"), ("表决结果公告", b"%PDF")):
            async with browser.http.get(urljoin(page.url, page.link(label))) as response:
                assert response.status == 200, label
                assert (await response.read()).startswith(start), label
        assert (await browser.open("/votes/1/record.exe")).status == 404
    async with Browser() as browser:
        await _signed_in(staff, browser)
        async with browser.http.get(urljoin(page.url, "/votes/1/record.xlsx")) as response:
            assert response.status == 403
        assert (await browser.open("/votes/1/paper")).status == 400  # closed: no more ballots
