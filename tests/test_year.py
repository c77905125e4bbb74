"""A year in the life of one compound of 60 homes, through the bot and the scheduled jobs on the
test clock, from 2 November 2026 to 2 November 2027.

Every day at 09:00 the jobs run as the scheduler runs them (bills, reminders, sales, votes,
notices, surveys, tickets) and the outbox is delivered. Between them people do what a year
brings: monthly billing at ¥1.20/㎡; three payments, one booked on the wrong home and reversed; a
claim made by mistake and withdrawn; a staff member dismissed; a tenant moving out; a price rise
to ¥1.50 announced on 10 January for 16 February (mid-period); a home sold on 1 March and its
buyer joining with a fresh invite; an ordinary owners' vote with bot and paper ballots (a second
paper ballot refused, then confirmed as the replacement and flagged), its preliminary result,
one objection and the final result; a special-matter vote withdrawn with a reason; a switch to
yearly billing from 1 July.

The roster is built here, so every figure can be worked out by hand: buildings 1 and 2 have
89.50 ㎡ (x01) and 118.36 ㎡ (x02) homes, building 3 has 65.20 ㎡ and 132.80 ㎡; the developer
still owns 3栋 2单元 501 and 502 (one owner in the headcount, DOMAIN §5).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from jobs import fees, notices, people, surveys, tickets, votes
from models import (
    Ballot,
    BallotFlag,
    Bill,
    Building,
    ClaimStatus,
    EndReason,
    Household,
    MembershipHistory,
    OutboxMessage,
    Payment,
    PaymentClaim,
    Poll,
    PollStatus,
    Role,
    RoleGrantHistory,
)
from services import billing, role_endings, transfers, vote_ballots
from services.places import resolve_scope
from tests.test_corrections import _payment_account

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal
FEN = D("0.01")
NOTICE = "业主大会表决公告"
OPENING = "业主大会表决开始投票"
PRELIMINARY = "【初步结果】业主大会表决结果"
FINAL = "【最终结果】业主大会表决结果"
WITHDRAWN = "已撤回"
OBJECTION = "计票有误：3栋 1单元 101 交了两张纸质选票，第一张写的是同意"
REASON = "加装电梯方案需重新论证，待规划部门意见后再表决"


# --- the compound ------------------------------------------------------------------------------
def _area(building: int, room: int) -> D:
    small, large = (D("65.20"), D("132.80")) if building == 3 else (D("89.50"), D("118.36"))
    return small if room % 2 else large


HOMES = [
    (b, u, f * 100 + r) for b in (1, 2, 3) for u in (1, 2) for f in range(1, 6) for r in (1, 2)
]
DEVELOPER = {(3, 2, 501), (3, 2, 502)}


def _roster(folder: Path) -> Path:
    """The office's roster of 幸福家园: 3 buildings × 2 units × 5 floors × 2 homes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        "city,district,sub_district,community,compound,building,unit,room,floor,"
        "registered_area,grid,owner_name,owner_phone,developer_unit".split(",")
    )
    for number, (b, u, room) in enumerate(HOMES):
        developer = (b, u, room) in DEVELOPER
        writer.writerow(
            [
                "武汉市",
                "江岸区",
                "后湖街道",
                "幸福社区",
                "幸福家园",
                f"{b}栋",
                f"{u}单元",
                room,
                room // 100,
                _area(b, room),
                "第一网格" if b < 3 else "第二网格",
                "幸福置业有限公司" if developer else f"业主{b}{u}{room}",
                "" if developer else f"139{number:08d}",
                "yes" if developer else "no",
            ]
        )
    path = folder / "幸福家园.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _label(b: int, u: int, room: int) -> str:
    return f"{b}栋 {u}单元 {room}"


def fen(amount: D) -> D:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def _expected_bills(area: D) -> list[tuple[date, date, D]]:
    """Worked out by hand (DOMAIN §9): area × price × months × covered days ÷ period days,
    rounded half up to the fen once per bill. ¥1.20 monthly from November; the rise to ¥1.50 on
    16 February splits February (28 days) into 15 days at the old price and 13 at the new one;
    from 1 July one yearly bill (1 July 2027 – 30 June 2028, 366 of 366 days)."""
    old, new = area * D("1.20"), area * D("1.50")
    months = [
        (date(2026, 11, 1), date(2026, 11, 30), fen(old)),
        (date(2026, 12, 1), date(2026, 12, 31), fen(old)),
        (date(2027, 1, 1), date(2027, 1, 31), fen(old)),
        (date(2027, 2, 1), date(2027, 2, 15), fen(old * 15 / 28)),
        (date(2027, 2, 16), date(2027, 2, 28), fen(new * 13 / 28)),
    ]
    for month in (3, 4, 5, 6):
        last = (date(2027, month + 1, 1) - timedelta(days=1)).day
        months.append((date(2027, month, 1), date(2027, month, last), fen(new)))
    months.append((date(2027, 7, 1), date(2028, 6, 30), fen(new * 12)))
    return months


# --- living through the days ---------------------------------------------------------------------
async def _jobs(world) -> None:
    """One round of every interval job of the scheduler, then the outbox delivered."""
    runtime = world.runtime
    await fees.tick(runtime)
    await people.apply_transfers(runtime)
    await votes.tick(runtime)
    await notices.dispatch_scheduled(runtime)
    await surveys.tick(runtime)
    for job in (
        tickets.escalate_overdue,
        tickets.repeat_urgent,
        tickets.auto_confirm,
        tickets.offer_rating_again,
    ):
        await job(runtime)
    await world.deliver()


class Year:
    def __init__(self, world) -> None:
        self.world = world
        self.today = world.clock.now().astimezone(SHANGHAI).date()

    async def until(self, last: date, hour: int = 10) -> None:
        """Every day up to `last`: the 09:00 jobs; then the clock stands at `hour` on `last`."""
        while self.today < last:
            self.today += timedelta(days=1)
            self.at(self.today, 9)
            await _jobs(self.world)
        self.at(last, hour)

    def at(self, day: date, hour: int, minute: int = 0) -> None:
        self.world.clock.set(datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI))


def _count(person, text: str) -> int:
    return sum(text in t for t in person.texts())


def _last_with(person, text: str):
    return [m for m in person.bot_messages if text in m.content][-1]


async def _book(staff, home: str, amount: str) -> str:
    await staff.send("/payment")
    await staff.send(home)
    await staff.send(amount)
    await staff.press("现金")
    return staff.last_text


async def _new_price(admin, price: str, period: str, due: str, first_day: str) -> str:
    await admin.send("/fees")
    await admin.send(price)
    await admin.press(period)
    await admin.press(due)
    await admin.press("无补贴")
    await admin.press("不收违约金")
    if first_day in ("本月", "下月"):
        await admin.press(first_day)
    else:
        await admin.send(first_day)
    shown = admin.last_text
    await admin.press("保存")
    assert "已保存" in admin.last_text
    return shown


async def _new_vote(committee, title: str, body: str, times: str, special: bool = False) -> str:
    await committee.send("/newvote")
    await committee.send(title)
    await committee.send(body)
    await committee.press("表决事项")
    if special:
        await committee.press("第七项")
        await committee.press("部分楼栋")
        await committee.press("1栋")
        await committee.press("完成")
    else:
        await committee.press("一般事项")
        await committee.press("整个小区")
    await committee.press("修改时间")
    await committee.send(times)
    await committee.press("发布")
    return committee.last_text


async def _paper(staff, home: str, choice: str) -> str:
    await staff.send("/vote")
    await staff.press("#1")
    await staff.press("录入纸质选票")
    await staff.send(home)
    await staff.press(choice)
    return staff.last_text


async def _vote(owner, choice: str) -> str:
    await owner.send("/vote")
    await owner.press("#1")
    await owner.press(choice)
    return owner.last_text


# --- the year ------------------------------------------------------------------------------------
async def test_a_year_in_the_life_of_a_compound(world, clock, tmp_path):
    await world.seed_roster(_roster(tmp_path))
    names = ("管理员", "陈师傅", "李师傅", "周委员", "刘书记", "徐丽", "高静", "租客小王", "胡勇")
    admin, staff, dismissed, committee, liaison, a, b, tenant, seller = map(world.user, names)
    await world.join_as(admin, Role.ADMIN)
    await world.join_as(staff, Role.STAFF)
    await world.join_as(dismissed, Role.STAFF)
    await world.join_as(committee, Role.COMMITTEE)
    await world.join_as(liaison, Role.LIAISON)
    await world.onboard(a, "1栋 1单元 101", "owner")  # 89.50 ㎡
    await world.onboard(b, "1栋 1单元 102", "owner")  # 118.36 ㎡
    await world.onboard(tenant, "1栋 1单元 202", "tenant")
    await world.onboard(seller, "2栋 1单元 101", "owner")
    await _payment_account(world)
    year = Year(world)

    # 2 November: the fee of ¥1.20/㎡ a month from 1 November, due on the 20th.
    shown = await _new_price(admin, "1.20", "按月", "20", "本月")
    assert "新单价自2026年11月1日起执行" in shown
    await _jobs(world)
    await a.send("/bills")
    assert "2026年11月：¥107.40，截止 2026年11月20日" in a.last_text

    # 5 November: three payments at the desk; the second was booked on the wrong home.
    await year.until(date(2026, 11, 5))
    first = await _book(staff, "1栋 1单元 101", "107.40")
    assert "收据号：000001" in first and "待缴：¥0.00" in first
    wrong = await _book(staff, "1栋 1单元 201", "142.03")  # 高静's money, 1-1-102's bill
    assert "收据号：000002" in wrong
    await staff.press("冲正此笔")
    await staff.press("误登记到其他房屋")
    await staff.press("确认冲正")
    assert "已冲正：1栋 1单元 201 的收据 000002（¥142.03）作废。待缴：¥107.40" in staff.last_text
    right = await _book(staff, "1栋 1单元 102", "142.03")
    assert "收据号：000003" in right and "待缴：¥0.00" in right  # never reused: not 000002
    await world.deliver()
    assert "收据号：000001" in a.last_text
    assert "收据号：000003" in b.last_text

    # 10 November: 李师傅 is dismissed; his next /tickets is refused.
    await dismissed.send("/tickets")
    assert "只有本小区的物业服务人员" not in dismissed.last_text
    await year.until(date(2026, 11, 10))
    async with world.session() as session:
        scope = await resolve_scope(session, "compound:幸福家园")
        await role_endings.revoke_role(session, Role.STAFF, scope, dismissed.id, now=clock.now())
    await world.deliver()
    assert "tickets" not in dismissed.commands
    await dismissed.send("/tickets")
    assert "只有本小区的物业服务人员" in dismissed.last_text

    # 3 December: 徐丽 says she paid December by WeChat, then sees she has not, and withdraws it.
    await year.until(date(2026, 12, 3))
    await a.send("/bills")
    assert "2026年12月：¥107.40" in a.last_text
    await a.press("微信、支付宝或银行转账缴费")
    await a.press("我已用微信支付付款")
    await a.send("/bills")
    assert "物业服务中心正在核对" in a.last_text
    assert "微信、支付宝或银行转账缴费" not in a.last_message.buttons()
    await a.press("撤回我的缴费申报")
    await a.press("确认撤回")
    assert "已撤回" in a.last_text
    await a.send("/bills")
    assert "微信、支付宝或银行转账缴费" in a.last_message.buttons()

    # 15 December: the tenant of 1-1-202 moves out; the next day's notice does not reach them.
    await year.until(date(2026, 12, 15))
    await tenant.send("/homes")
    await tenant.press("我已搬走：1栋 1单元 202")
    await tenant.press("是的，我已搬走")
    assert "不再登记" in tenant.last_text
    await year.until(date(2026, 12, 16))
    await liaison.send("/notice")
    await liaison.press("服务通知")
    await liaison.press("全体住户")
    await liaison.send("12月17日9:00至12:00停水检修")
    await liaison.press("否")
    await liaison.press("立即发送")
    await liaison.press("确认发送")
    await world.deliver()
    assert "停水检修" in a.last_text and "停水检修" in seller.last_text
    assert not any("停水检修" in t for t in tenant.texts())

    # 10 January: a rise to ¥1.50 announced for 16 February, in the middle of a month.
    await year.until(date(2027, 1, 10))
    shown = await _new_price(admin, "1.50", "按月", "20", "2027-02-16")
    assert "现行单价 ¥1.20 执行至2027年2月15日，新单价自2027年2月16日起执行。" in shown

    # 16 February: the new price bills the rest of the month by the day.
    await year.until(date(2027, 2, 16))
    await a.send("/bills")
    assert "2027年2月1日 – 2027年2月15日（15 天，按日折算）：¥57.54" in a.last_text
    assert "2027年2月16日 – 2027年2月28日（13 天，按日折算）：¥62.33" in a.last_text

    # 20 February: 2栋 1单元 101 is sold from 1 March; the buyer's owner card is printed now.
    await year.until(date(2027, 2, 20))
    async with world.session() as session:
        sale = await transfers.record_transfer(
            session,
            scope.id,
            "2-1-101",
            date(2027, 3, 1),
            now=clock.now(),
            tz=SHANGHAI,
            ttl=timedelta(days=30),
            buyer_name="孙新",
            buyer_phone="13712345678",
        )
    assert not sale.applied
    owner_code = next(i.code for i in sale.invites if i.kind == "owner")
    await year.until(date(2027, 3, 1))  # the 09:00 job applied the sale
    await seller.send("/bills")
    assert "只对已登记房屋的住户显示" in seller.last_text
    buyer = world.user("孙新")
    await buyer.send(f"/start {owner_code}")
    await buyer.press("同意")
    await buyer.send("/whoami")
    assert "2栋 1单元 101" in buyer.last_text and "业主" in buyer.last_text

    # 2 March: an ordinary vote for the whole compound, and a special matter for building 1.
    await year.until(date(2027, 3, 2))
    published = await _new_vote(
        committee,
        "续聘物业服务企业",
        "是否续聘现物业服务企业三年，服务标准与收费不变。",
        "2027-03-02 11:00\n2027-03-18 09:00\n2027-03-31 18:00",
    )
    assert "表决 #1 已发布" in published
    published = await _new_vote(
        committee,
        "1栋加装电梯",
        "1栋两个单元各加装电梯一部，费用约60万元，由1栋业主按面积分摊。",
        "2027-03-02 11:00\n2027-03-18 09:00\n2027-03-31 18:00",
        special=True,
    )
    assert "表决 #2 已发布" in published
    await year.until(date(2027, 3, 3))
    for owner in (a, b, buyer):
        assert _count(owner, "续聘物业服务企业") == 1
    for owner in (a, b):
        assert _count(owner, "1栋加装电梯") == 1
    assert _count(buyer, "1栋加装电梯") == 0  # building 2 is not in its scope
    for person in (seller, tenant, staff, dismissed):
        assert _count(person, "续聘物业服务企业") == 0 and _count(person, "加装电梯") == 0

    # 10 March: the special matter is withdrawn before voting opens, with a reason.
    await year.until(date(2027, 3, 10))
    await committee.send("/vote")
    await committee.press("#2")
    await committee.press("撤回本次表决")
    await committee.send(REASON)
    await committee.press("确认撤回")
    await world.deliver()
    for owner in (a, b):
        told = _last_with(owner, REASON)
        assert "1栋加装电梯" in told.content
    for person in (buyer, seller, tenant):
        assert _count(person, REASON) == 0

    # 18 March, 09:00: voting opens; the owners with the bot are told both denominators.
    await year.until(date(2027, 3, 18))
    total_area = sum(_area(b_, r) for b_, _u, r in HOMES)
    assert total_area == D("6137.20")
    for owner in (a, b, buyer):
        opening = _last_with(owner, OPENING)
        assert "专有部分总面积：6,137.20㎡" in opening.content
        assert "业主总人数：59 人" in opening.content  # the developer's two homes count once
        assert _count(owner, OPENING) == 1
    for person in (seller, tenant, staff):
        assert _count(person, OPENING) == 0

    # The ballots: three owners in the bot, paper ballots for the others who voted.
    assert "回执码" in await _vote(a, "同意")
    assert "回执码" in await _vote(b, "同意")
    assert "回执码" in await _vote(buyer, "同意")
    await a.send("/vote")
    await a.press("#1")
    assert "您家当前的选择：同意" in a.last_text
    await seller.send("/vote")  # the seller has no vote any more
    assert "目前没有业主大会表决" in seller.last_text and seller.last_message.buttons() == []

    entered = await _paper(staff, "3-1-101", "同意")
    assert "3栋 1单元 101 的纸质选票已录入：同意" in entered
    refused = await _paper(staff, "3栋 1单元 101", "反对")
    assert "已有纸质选票" in refused and "这第二张（反对）未予录入" in refused
    await staff.press(next(label for label in staff.last_message.buttons() if "确认替换" in label))
    assert "3栋 1单元 101 的纸质选票已录入：反对" in staff.last_text
    await world.deliver()
    assert "3栋 1单元 101" in committee.last_text  # the committee is warned of the home

    # The rest of the paper ballots, as staff enter a stack of them: building 1 unit 2 abstains,
    # the rest of building 3 unit 1 says no, the rest of buildings 1 and 2 says yes; building 3
    # unit 2 (with the developer's homes) does not vote.
    choices: dict[tuple[int, int, int], str] = {}
    for home in HOMES:
        bld, unit, _room = home
        if bld == 3 and unit == 2:
            continue
        choices[home] = "abstain" if (bld, unit) == (1, 2) else "disagree" if bld == 3 else "agree"
    in_the_bot = {(1, 1, 101), (1, 1, 102), (2, 1, 101), (3, 1, 101)}
    async with world.session() as session:
        for home, choice in choices.items():
            if home not in in_the_bot:
                home_id = await world.household_id(f"{home[0]}栋", f"{home[1]}单元", str(home[2]))
                await vote_ballots.enter_paper_ballot(
                    session, None, 1, home_id, [choice], now=clock.now()
                )
    # 25 March: 2栋 2单元 101, whose owner voted on paper, is sold while the vote is open. The
    # snapshot keeps the owner of the opening; the record says the home was sold meanwhile.
    async with world.session() as session:
        await transfers.record_transfer(
            session,
            scope.id,
            "2-2-101",
            date(2027, 3, 25),
            now=clock.now(),
            tz=SHANGHAI,
            ttl=timedelta(days=30),
            buyer_name="钱多多",
        )
    await year.until(date(2027, 3, 26))
    await committee.send("/vote")
    await committee.press("#1")
    await committee.press("投票进度")
    assert "参与表决的人数：50 / 59" in committee.last_text
    assert "已达到法定人数" in committee.last_text

    # 1 April, 09:00: the vote closed at 18:00 yesterday; the preliminary result goes out.
    agree_area = sum(_area(h[0], h[2]) for h, c in choices.items() if c == "agree")
    took_part = sum(_area(h[0], h[2]) for h in choices)
    assert (agree_area, took_part) == (D("3117.90"), D("5147.20"))
    await year.until(date(2027, 4, 1))
    for person in (a, b, buyer, committee):
        preliminary = _last_with(person, PRELIMINARY)
        assert "参与表决的人数：50 / 59" in preliminary.content
        assert "5,147.2" in preliminary.content and "3,117.9" in preliminary.content
        assert "通过" in preliminary.content
        assert _count(person, PRELIMINARY) == 1
    for person in (seller, tenant, staff, liaison):
        assert _count(person, PRELIMINARY) == 0

    # 2 April: 徐丽 objects through the bot; the committee has it at once.
    await year.until(date(2027, 4, 2))
    await a.press("提出异议", _last_with(a, PRELIMINARY).message_id)
    await a.send(OBJECTION)
    assert "第 1 条异议" in a.last_text
    await world.deliver()
    assert OBJECTION in _last_with(committee, "初步结果的第 1 条异议").content

    # After the three days of objection, the final result, once, stating the objection.
    await year.until(date(2027, 4, 6))
    for person in (a, b, buyer, committee):
        final = _last_with(person, FINAL)
        assert "异议期内共收到 1 条异议" in final.content
        assert "参与表决的人数：50 / 59" in final.content
        assert _count(person, FINAL) == 1
    for person in (seller, tenant, staff):
        assert _count(person, FINAL) == 0

    # The record: who was eligible (the buyer's home, not the seller), the flags, the figures.
    await committee.send("/vote")
    await committee.press("#1")
    await committee.press("导出表决记录")
    files = {m.document["file_name"]: m for m in committee.bot_messages[-3:]}
    record = json.loads(world.emulator.files[files["vote-1.json"].document["file_id"]].data)
    tally = {row["figure"]: row for row in record["tally"]}
    assert tally["published_total_area_m2"]["value"] == "6137.20"
    assert tally["published_total_headcount"]["value"] == 59
    assert tally["objections"]["value"] == 1
    figures = {name: row["value"] for name, row in tally.items()}
    exact = {name: row["exact"] for name, row in tally.items()}  # the fractions decided on
    assert [exact[f"headcount.{k}"] for k in ("participating", "agree", "disagree", "abstain")] == [
        "50",
        "30",
        "10",
        "10",
    ]
    assert (figures["quorum"], figures["passed"], exact["threshold"]) == (True, True, "1/2")
    assert figures["eligibility"] == "the owners when voting opened"
    assert [Fraction(exact[f"area.{k}"]) for k in ("total", "participating", "agree")] == [
        Fraction(total_area),
        Fraction(took_part),
        Fraction(agree_area),
    ]
    assert Fraction(exact["area.disagree"]) == Fraction("990")  # 5 × 65.20 + 5 × 132.80
    eligible = {row["homes"]: row for row in record["eligible"]}
    assert len(eligible) == 59  # 60 homes; the developer's two are one owner
    assert eligible["3栋 2单元 501; 3栋 2单元 502"]["developer"] is True
    assert sum(1 for row in eligible.values() if row["took_part"]) == 50
    assert eligible["2栋 1单元 101"]["took_part"] is True  # the buyer's home: sold before
    assert eligible["2栋 1单元 101"]["sold_during_vote"] is False
    assert eligible["2栋 2单元 101"]["sold_during_vote"] is True  # its owner at the opening voted
    assert [(f["home"], f["reason"]) for f in record["flags"]] == [
        ("3栋 1单元 101", "paper_refused"),
        ("3栋 1单元 101", "paper_replaced"),
    ]
    async with world.session() as session:
        first_vote, second_vote = (await session.exec(select(Poll).order_by(col(Poll.id)))).all()
        assert first_vote.status == PollStatus.CLOSED and first_vote.result["passed"] is True
        assert second_vote.status == PollStatus.CANCELLED
        assert second_vote.withdrawal_reason == REASON
        sold = await session.get(Household, await world.household_id("2栋", "1单元", "101"))
        assert sold is not None and sold.owner_name == "孙新"
        counted = await vote_ballots.counted_ballots(session, first_vote)
        assert len(counted) == 50
        flags = (await session.exec(select(BallotFlag))).all()
        assert {f.reason for f in flags} == {"paper_refused", "paper_replaced"}
        ballots = (await session.exec(select(Ballot))).all()
        assert sum(1 for x in ballots if x.channel == "bot") == 3  # the seller's never counted

    # 20 May: from 1 July the fee is billed yearly, at the same ¥1.50.
    await year.until(date(2027, 5, 20))
    shown = await _new_price(admin, "1.50", "按年", "15", "2027-07-01")
    assert "现行单价 ¥1.50 执行至2027年6月30日，新单价自2027年7月1日起执行。" in shown

    # To the end of the year: nothing is billed from August to November.
    await year.until(date(2027, 11, 2))

    # --- every bill of every home, to the fen --------------------------------------------------
    async with world.session() as session:
        rows = (
            await session.exec(
                select(Bill, Building.name, Household.unit, Household.room)
                .join(Household, col(Household.id) == col(Bill.household_id))
                .join(Building, col(Building.id) == col(Household.building_id))
                .order_by(col(Bill.household_id), col(Bill.period_start))
            )
        ).all()
    billed: dict[tuple[int, int, int], list[tuple[date, date, D]]] = {}
    for bill, building, unit, room in rows:
        key = (int(building[0]), int(unit[0]), int(room))
        billed.setdefault(key, []).append((bill.period_start, bill.period_end, bill.amount))
    assert set(billed) == set(HOMES)
    for home in HOMES:
        assert billed[home] == _expected_bills(_area(home[0], home[2])), home
    # 徐丽's year by hand: 3 × 107.40, 57.54 + 62.33 for February, 4 × 134.25, 1,611.00.
    assert billed[(1, 1, 101)] == [
        (date(2026, 11, 1), date(2026, 11, 30), D("107.40")),
        (date(2026, 12, 1), date(2026, 12, 31), D("107.40")),
        (date(2027, 1, 1), date(2027, 1, 31), D("107.40")),
        (date(2027, 2, 1), date(2027, 2, 15), D("57.54")),
        (date(2027, 2, 16), date(2027, 2, 28), D("62.33")),
        (date(2027, 3, 1), date(2027, 3, 31), D("134.25")),
        (date(2027, 4, 1), date(2027, 4, 30), D("134.25")),
        (date(2027, 5, 1), date(2027, 5, 31), D("134.25")),
        (date(2027, 6, 1), date(2027, 6, 30), D("134.25")),
        (date(2027, 7, 1), date(2028, 6, 30), D("1611.00")),
    ]
    # 高静's: 142.03 (118.36 × 1.20 = 142.032), February 76.09 + 82.43, then 177.54, 2,130.48.
    assert [amount for _s, _e, amount in billed[(1, 1, 102)]] == [
        D("142.03"),
        D("142.03"),
        D("142.03"),
        D("76.09"),
        D("82.43"),
        D("177.54"),
        D("177.54"),
        D("177.54"),
        D("177.54"),
        D("2130.48"),
    ]

    # --- the money and the people, at the end of the year ---------------------------------------
    async with world.session() as session:
        payments = (await session.exec(select(Payment).order_by(col(Payment.id)))).all()
        assert [(p.receipt_no, p.amount, p.reversed_at is not None) for p in payments] == [
            (1, D("107.40"), False),
            (2, D("142.03"), True),
            (3, D("142.03"), False),
        ]
        home_a = await world.household_id("1栋", "1单元", "101")
        owed_a = sum(amount for _s, _e, amount in billed[(1, 1, 101)]) - D("107.40")
        assert owed_a == D("2482.67")
        assert await billing.outstanding(session, home_a) == owed_a
        home_201 = await world.household_id("1栋", "1单元", "201")
        assert await billing.outstanding(session, home_201) == sum(
            amount for _s, _e, amount in billed[(1, 1, 201)]
        )  # the reversed payment paid nothing
        (claim,) = (await session.exec(select(PaymentClaim))).all()
        assert claim.status == ClaimStatus.WITHDRAWN
        reasons = Counter(h.reason for h in (await session.exec(select(MembershipHistory))).all())
        assert reasons == {
            EndReason.MOVED_OUT: 1,
            EndReason.SOLD: 1,
        }  # 2-2-101's owner never joined
        (role_ended,) = (await session.exec(select(RoleGrantHistory))).all()
        assert role_ended.role == Role.STAFF and role_ended.reason == EndReason.OFFICE
        purposes = Counter(
            (m.purpose, m.chat_id) for m in (await session.exec(select(OutboxMessage))).all()
        )
    assert max(purposes.values()) == 1  # nobody was queued the same thing twice all year
    await a.send("/bills")
    assert "待缴：¥2,482.67" in a.last_text  # what she owes is what the bills say, to the fen
    assert "2027年7月 – 2028年6月：¥1,611.00，截止 2027年7月15日" in a.last_text
