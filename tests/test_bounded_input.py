"""Bounded input through the bot: a file too large is refused from the update's own size before
anything is downloaded; numbers typed any way (1e400, nan, --3, full-width, huge) get the step's
own answer; markup typed into any field comes back as typed; and every refusal keeps the draft,
so the next answer goes on from the same question."""

from __future__ import annotations

import io

from sqlmodel import select

from models import Ballot, Payment, PaymentAccount, Role
from tests.test_fees import _people, _set_fee
from tests.test_ticket_places import _describe
from tests.test_vote_office import _office

MB = 1024 * 1024
MARKUP = ("<b>", "&", "<", "a<b>&c</i>")


def _payment_code() -> bytes:
    import segno

    out = io.BytesIO()
    segno.make("wxp://f2f0-demo-幸福家园物业").save(out, kind="png", scale=4)
    return out.getvalue()


def _downloads(world) -> int:
    return world.emulator.stats["methods"].get("getFile", 0)


async def test_a_payment_code_too_large_is_refused_before_any_download(world):
    admin, *_ = await _people(world)
    await admin.send("/paycode")
    for size in (30 * MB, 6 * MB):  # over Telegram's 20 MB for bots; over the product's 5 MB
        before = _downloads(world)
        await admin.send_photo(b"\x89PNG\r\n\x1a\n" + bytes(size), caption="幸福家园物业")
        assert "5 MB" in admin.last_text, admin.last_text  # 文件过大：请发送不超过 5 MB 的文件
        assert _downloads(world) == before  # refused from the update, nothing fetched
    await admin.send_photo(_payment_code(), caption="幸福家园物业")  # the step waited
    assert "住户现在可在 /bills 中看到 幸福家园物业 的收款码" in admin.last_text
    async with world.session() as session:
        assert len((await session.exec(select(PaymentAccount))).all()) == 1


async def test_telegram_refuses_a_bot_a_file_over_20_mb(world):
    """The emulator answers getFile as Telegram does for a file a bot may not download."""
    owner = world.user("王芳")
    await owner.send("/start")
    await owner.send_photo(bytes(21 * MB))
    file_id = list(world.emulator.files)[-1]
    from telegram.error import BadRequest

    try:
        await world.app.bot.get_file(file_id)
    except BadRequest as error:
        assert "file is too big" in str(error).lower()
    else:  # pragma: no cover
        raise AssertionError("getFile served a file over 20 MB")


AMOUNTS = ("1e400", "nan", "inf", "-inf", "-0", "0", "--3", "99999999999", "1.234", *MARKUP)


async def test_amounts_typed_any_way_get_the_amount_answer_and_keep_the_draft(world):
    admin, _owner, _tenant, staff = await _people(world)
    await _set_fee(admin)
    await staff.send("/payment")
    for home in MARKUP:
        await staff.send(f"1栋 {home}")
        assert f"“1栋 {home}”" in staff.last_text, staff.last_text  # as typed, not as markup
    await staff.send("1栋 1单元 101")
    for amount in AMOUNTS:
        await staff.send(amount)
        assert f"“{amount}”不是有效的金额" in staff.last_text, (amount, staff.last_text)
    await staff.send("１２３")  # full-width digits, as a Chinese keyboard types them
    assert "¥123.00" in staff.last_text, staff.last_text
    await staff.press("现金")
    async with world.session() as session:
        paid = (await session.exec(select(Payment))).all()
    assert [str(p.amount) for p in paid] == ["123.00"]


async def test_a_fee_price_typed_any_way_gets_the_price_answer(world):
    admin, *_ = await _people(world)
    await admin.send("/fees")
    for price in ("1e400", "nan", "inf", "-0", "1e-9", *MARKUP):
        await admin.send(price)
        assert "单价须在" in admin.last_text, (price, admin.last_text)
    await admin.send("１.２")
    assert "按月" in admin.last_message.buttons() or "按月" in str(admin.last_message.buttons())


async def test_floors_typed_any_way_get_the_floor_answer_and_keep_the_step(world):
    await world.seed_roster()
    owner = world.user("王芳")
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await _describe(owner, "楼道灯<b>坏了</b> & 闪")
    await owner.press("在楼栋里")
    await owner.press("1栋")
    await owner.press("2单元")
    for floor in ("--3", "1e3", "nan", "-", "99999999999", "3.5", *MARKUP):
        await owner.send(floor)
        assert "请用数字发送楼层" in owner.last_text, (floor, owner.last_text)
    await owner.send("9999")
    assert "1栋没有 9999 层" in owner.last_text
    await owner.send("③")  # a circled digit reads as the digit
    assert "地点：幸福家园 1栋 2单元，3层" in owner.last_text
    assert "楼道灯<b>坏了</b> & 闪" in owner.last_text  # the description, as typed


async def test_markup_typed_into_a_liaisons_household_and_a_vote_comes_back_as_typed(world, clock):
    await world.seed_roster()
    liaison = world.user("刘书记")
    await world.join_as(liaison, Role.LIAISON)
    await liaison.send("/report")
    await liaison.press("替住户代办")
    for home in MARKUP:
        await liaison.send(f"1栋 {home}")
        assert f"“1栋 {home}”" in liaison.last_text, liaison.last_text
    await liaison.send("/cancel")

    committee = world.user("业委会")
    await world.join_as(committee, Role.COMMITTEE)
    await committee.send("/newvote")
    await committee.send("加装<b>电梯</b> & <i")
    await committee.send("说明 <b> & <")
    await committee.press("表决事项")
    await committee.press("一般事项")
    await committee.press("整个小区")
    await committee.press("使用这些时间")
    preview = "\n".join(committee.texts()[-3:])
    assert "加装<b>电梯</b> & <i" in preview and "说明 <b> & <" in preview, preview


async def test_a_paper_ballots_home_typed_with_markup_is_answered_as_typed(world, clock):
    _committee, _owner, staff, *_ = await _office(world, clock)
    await staff.send("/vote")
    await staff.press("#1")
    await staff.press("录入纸质选票")
    for home in MARKUP:
        await staff.send(f"1栋 {home}")
        assert f"“1栋 {home}”" in staff.last_text, staff.last_text
    await staff.send("1-1-102")
    await staff.press("反对")
    async with world.session() as session:
        assert len((await session.exec(select(Ballot))).all()) == 1


LOCKED = "邀请码错误次数过多，请等待 15 分钟后再试"


async def test_forged_consent_presses_count_toward_the_wrong_code_lockout(world, clock):
    await world.seed_roster()
    invites = await world.issue_invites()
    good = invites[("1栋 1单元 101", "owner")].code
    guesser = world.user("猜码的人")
    await guesser.send("/start")
    for number in range(3):
        await guesser.send(f"/start Wrong{number}Code")
        assert LOCKED not in guesser.last_text
    for number in range(2):  # the consent button carries the code: a forged one is a guess too
        await guesser.press_data(f"v1:consent:Guess{number}Code")
        assert LOCKED not in guesser.last_text
    await guesser.press_data(f"v1:consent:{good}")  # the right code, but after five guesses
    assert LOCKED in guesser.last_text
    await guesser.send(f"/start {good}")
    assert LOCKED in guesser.last_text
    async with world.session() as session:
        from models import Membership

        assert (await session.exec(select(Membership))).all() == []
    clock.advance(minutes=16)
    await guesser.send(f"/start {good}")
    await guesser.press_data(guesser.button_data())
    await guesser.send("/whoami")
    assert "1栋 1单元 101" in guesser.last_text
