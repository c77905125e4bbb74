"""A second paper ballot for a home in the console's batch entry: the checked batch shows it as
needing confirmation, and it is entered as the replacement of the earlier ballot only when the
line is ticked (naming that ballot, as the bot's confirmation does); flagged either way, and the
committee warned. Unticked, forged, malformed and repeated confirmations change nothing else."""

from __future__ import annotations

from models import BallotChannel, BallotFlagReason
from services import vote_ballots
from tests.test_console_votes import _ballots, _flags, _open_vote, _signed_in
from tests.utils.console import Browser, Page


async def _check(browser: Browser, lines: str) -> Page:
    page = await browser.open("/votes/1/paper")
    page = await browser.submit(page.form("/votes/1/paper"), lines=lines, do="check")
    assert page.status == 200, page.text
    return page


async def test_a_second_paper_ballot_is_entered_as_a_confirmed_replacement(
    world, console, clock, tmp_path
):
    committee, _owner, staff, _liaison, _stranger, codes = await _open_vote(world, clock, tmp_path)
    home = codes["1栋 1单元 102"]
    async with Browser() as browser:
        await _signed_in(staff, browser)
        page = await _check(browser, f"{home} 同意")
        page = await browser.submit(page.form("/votes/1/paper"), do="enter")
        assert "已录入纸质选票：1" in page.text
        [first] = [b for b in await _ballots(world) if b.channel == BallotChannel.PAPER]

        # The owner hands in a new signed paper: checked, the line needs confirmation.
        page = await _check(browser, f"{home} 反对\n{codes['1栋 1单元 201']} 同意")
        line = page.html.split('id="line-1"')[1].split("</tr>")[0]
        assert "已有" in line and "第二张" in line
        enter = page.form("/votes/1/paper")
        assert "replace_1" not in enter.fields  # unticked unless the office ticks it
        assert 'name="replace_1"' in page.html and 'id="replacements"' in page.html
        assert "需要您确认" in page.text
        page = await browser.submit(enter, do="enter", replace_1=str(first.id))
        assert page.status == 200 and "已录入纸质选票：2" in page.text, page.text
        entered = page.html.split('id="entered"')[1].split("</section>")[0]
        assert "按确认取代纸质选票" in entered
        again = await browser.submit(enter, do="enter", replace_1=str(first.id))
        assert again.status == 400 and "已经录入" in again.text  # the form sent twice
    paper = [b for b in await _ballots(world) if b.channel == BallotChannel.PAPER]
    assert len(paper) == 3
    assert [b.choice for b in paper if b.voter_key == first.voter_key] == [
        ["agree"],
        ["disagree"],
    ]
    async with world.session() as session:
        counting = await vote_ballots.current(session, 1, first.voter_key)
    assert counting is not None and counting.choice == ["disagree"]
    assert await _flags(world) == [BallotFlagReason.PAPER_REPLACED]
    await world.deliver()
    assert "1栋 1单元 102" in committee.last_text and "反对" not in committee.last_text


async def test_unticked_forged_and_malformed_confirmations(world, console, clock, tmp_path):
    _committee, _owner, staff, _liaison, _stranger, codes = await _open_vote(world, clock, tmp_path)
    home = codes["1栋 1单元 102"]
    async with Browser() as browser:
        await _signed_in(staff, browser)
        page = await _check(browser, f"{home} 同意")
        await browser.submit(page.form("/votes/1/paper"), do="enter")
        [first] = [b for b in await _ballots(world) if b.channel == BallotChannel.PAPER]

        # unticked: refused as a second paper ballot, and the home flagged
        page = await _check(browser, f"{home} 反对")
        page = await browser.submit(page.form("/votes/1/paper"), do="enter")
        assert page.status == 200 and "已拒绝" in page.text
        # malformed confirmations: nothing entered, and the checked batch can still be entered
        page = await _check(browser, f"{home} 弃权")
        enter = page.form("/votes/1/paper")
        for forged in ({"replace_1": "abc"}, {"replace_x": "1"}, {"replace_1": "-1"}):
            page = await browser.submit(enter, do="enter", **forged)
            assert page.status == 400 and "不是核对后的这批选票提供的" in page.text, forged
        # a ballot id that is not the home's earlier paper ballot: refused, as unticked
        page = await browser.submit(enter, do="enter", replace_1=str(first.id + 1000))
        assert page.status == 200 and "已拒绝" in page.text
        # a confirmation for a line that is no second ballot is no replacement: entered as is
        page = await _check(browser, f"{codes['1栋 1单元 201']} 同意")
        page = await browser.submit(
            page.form("/votes/1/paper"), do="enter", replace_1=str(first.id)
        )
        assert page.status == 200 and "已录入纸质选票：1" in page.text
    async with world.session() as session:
        counting = await vote_ballots.current(session, 1, first.voter_key)
    assert counting is not None and counting.choice == ["agree"]  # the first paper still counts
    assert await _flags(world) == [BallotFlagReason.PAPER_REFUSED, BallotFlagReason.PAPER_REFUSED]
