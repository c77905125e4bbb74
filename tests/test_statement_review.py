"""The office's review of a bank statement's rows that matched no home or several, through the
bot: /statement shows each with its candidate homes, "type the home" and "not a fee payment";
one tap books it with a receipt (once), and importing the statement again books nothing twice."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import col, select

from jobs.fees import tick
from models import Payment, Role, StatementRow
from services import fee_claims
from services.payment_import import import_payments
from tests.test_bank_statements import XINGFU_ACCOUNT, abc_utf8_csv
from tests.test_fees import _people, _set_fee
from views.statement_review import RowDismissed, RowHome


async def _import(world, clock, path):
    async with world.session() as session:
        return await import_payments(session, path, None, today=clock.now().date(), now=clock.now())


def _now(person, card) -> str:
    """The card as it reads now (an answer replaces it)."""
    return person.user.chat.by_id[card.message_id].content


def _card(person, text: str):
    return next(m for m in reversed(person.bot_messages) if text in m.content)


async def test_staff_assign_the_rows_no_single_home_matched(world, clock, tmp_path):
    admin, owner, tenant, staff = await _people(world)
    await _set_fee(admin)
    await tick(world.runtime)
    await world.seed_other_compound(tmp_path)
    stranger = world.user("和平里会计")
    await world.join_as(stranger, Role.STAFF, "compound:和平里")
    async with world.session() as session:
        await fee_claims.set_account(
            session,
            None,
            compound_id=1,
            payee="幸福家园物业",
            image=None,
            bank_account=XINGFU_ACCOUNT,
            now=clock.now(),
        )
    statement = tmp_path / "abc.csv"
    statement.write_bytes(abc_utf8_csv())
    report = await _import(world, clock, statement)
    assert (len(report.booked), report.to_review, report.outgoing) == (2, 3, 1)

    await tenant.send("/statement")
    assert "只有本小区的物业服务人员可以登记缴费" in tenant.last_text
    await stranger.send("/statement")
    assert "没有待认领的银行来账" in stranger.last_text  # another compound's rows are not shown
    await staff.send("/statement")
    several = _card(staff, "101物业费")
    assert "待认领的银行来账" in several.content and "¥88.00" in several.content
    assert "付款人：张三" in several.content and "银行流水号：ABC003" in several.content
    assert several.buttons() == [
        "1栋 1单元 101",
        "1栋 2单元 101",
        "2栋 1单元 101",
        "2栋 2单元 101",
        "3栋 1单元 101",
        "3栋 2单元 101",
        "输入房号",
        "不是物业费",
    ]
    named = _card(staff, "付款人：胡杰")
    assert named.buttons() == ["1栋 2单元 102", "2栋 1单元 102", "输入房号", "不是物业费"]
    nothing = _card(staff, "转账")
    assert "没有与这笔来账相符的房屋" in nothing.content
    assert nothing.buttons() == ["输入房号", "不是物业费"]

    pick = RowHome.parse(several.inline_keyboard[0][0]["callback_data"])
    await tenant.press_data(pick.pack())  # forged: not staff
    assert "只有本小区的物业服务人员可以登记缴费" in tenant.last_text
    await stranger.press_data(pick.pack())  # staff, but of another compound
    assert "只有本小区的物业服务人员可以登记缴费" in stranger.last_text
    await staff.press_data(RowHome(pick.row_id, 61).pack())  # 和平里's home
    assert "该房屋不属于这份流水所在的小区" in staff.last_text
    await staff.press_data("v1:bp:1")  # stale, malformed
    assert "按钮已失效" in staff.last_text or "不再有效" in staff.last_text
    await staff.press("1栋 1单元 101", several.message_id)
    assert "已登记 ¥88.00（银行转账）" in _now(staff, several) and "收据号" in _now(staff, several)
    await staff.press_data(pick.pack(), several.message_id)  # a double tap books nothing more
    assert "已处理：张三 的 ¥88.00 已入账到 1栋 1单元 101" in staff.last_text

    await staff.press("输入房号", named.message_id)
    assert "是哪一户缴纳的" in staff.last_text and "¥66.00" in staff.last_text
    await staff.send("9栋9单元901")
    assert "1栋 1单元 101" in staff.last_text  # no such home: asked again
    await staff.send("1-2-102")
    assert "已登记 ¥66.00（银行转账）" in staff.last_text and "1栋 2单元 102" in staff.last_text
    await staff.press("输入房号", named.message_id)  # the card's old button
    assert "这笔来账已处理" in staff.last_text

    await staff.press("不是物业费", nothing.message_id)
    assert "已搁置：李四 的 ¥50.00 不是物业费" in _now(staff, nothing)
    await staff.press_data(RowDismissed(RowHome.parse(pick.pack()).row_id + 2).pack())
    assert "已处理：李四 的 ¥50.00 已作为非物业费搁置" in staff.last_text
    await staff.send("/statement")
    assert "没有待认领的银行来账" in staff.last_text

    again = await _import(world, clock, statement)  # the same statement once more
    assert (len(again.booked), len(again.already), len(again.dismissed), again.to_review) == (
        0,
        4,
        1,
        0,
    )
    async with world.session() as session:
        booked = (await session.exec(select(Payment).order_by(col(Payment.id)))).all()
        rows = (await session.exec(select(StatementRow).order_by(col(StatementRow.id)))).all()
    assert [(p.reference, p.amount) for p in booked] == [
        ("ABC001", Decimal("107.40")),
        ("ABC002", Decimal("99.42")),
        ("ABC003", Decimal("88.00")),
        ("ABC004", Decimal("66.00")),
    ]
    assert [r.status for r in rows] == ["booked", "booked", "dismissed"]
    assert rows[0].payment_id == booked[2].id
    await world.deliver()
    assert any("¥88.00" in t for t in owner.texts())  # 1栋 1单元 101 is told the money arrived
