"""Files the bot sends to many chats go by Telegram's file id once uploaded; when Telegram no
longer accepts that id (a new bot token, an expired file reference), the next send uploads the
stored copy again, once, and keeps the new id."""

from __future__ import annotations

import io

from PIL import Image
from sqlmodel import col, select

from emulator.forget import forget_file_ids
from models import Media, OutboxMessage, OutboxStatus
from services import media, outbox
from services.outbox import Outgoing


def _chart() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


async def _send_chart(world, person, media_id: int, key: str) -> None:
    async with world.session() as session:
        await outbox.enqueue(
            session,
            key,
            [Outgoing(chat_id=person.id, payload={"text": "投票结果", "photo_media": media_id})],
            now=world.clock.now(),
            quiet=None,
        )
    await world.deliver()


async def _cached_id(world, media_id: int) -> str | None:
    async with world.session() as session:
        stored = await session.get(Media, media_id)
        assert stored is not None
        return stored.telegram_file_id


async def test_a_file_id_telegram_forgot_is_uploaded_again_once(world):
    first, second, third = world.user("王芳"), world.user("李明"), world.user("张伟")
    async with world.session() as session:
        media_id = await media.store(session, _chart(), "chart.png", now=world.clock.now())
    await _send_chart(world, first, media_id, "result:1:a")
    old = await _cached_id(world, media_id)
    assert old is not None and first.last_message.photo_file_id == old

    assert forget_file_ids(world.emulator, [old]) == [old]
    calls = world.emulator.stats["methods"]["sendPhoto"]
    await _send_chart(world, second, media_id, "result:1:b")
    # it arrived, as a fresh upload, and the cache holds the new id
    message = second.last_message
    assert message.kind == "photo" and message.caption == "投票结果"
    new = await _cached_id(world, media_id)
    assert new is not None and new != old and message.photo_file_id == new
    # one refused send by the old id, one upload: no loop
    assert world.emulator.stats["methods"]["sendPhoto"] == calls + 2

    # the next person gets it by the new id, without another upload
    files = len(world.emulator.files)
    await _send_chart(world, third, media_id, "result:1:c")
    assert third.last_message.photo_file_id == new and len(world.emulator.files) == files
    stale = [r for r in world.emulator.refused if "wrong file identifier" in r[1]]
    assert [method for method, _ in stale] == ["sendPhoto"]


async def test_when_the_upload_fails_too_the_message_fails_without_a_loop(world):
    first, second = world.user("王芳"), world.user("李明")
    async with world.session() as session:
        media_id = await media.store(session, _chart(), "chart.png", now=world.clock.now())
    await _send_chart(world, first, media_id, "result:2:a")
    old = await _cached_id(world, media_id)
    assert old is not None
    forget_file_ids(world.emulator, [old])
    async with world.session() as session:
        stored = await session.get(Media, media_id)
        assert stored is not None
        stored.content = b""  # a copy Telegram refuses too ("file must be non-empty")
    calls = world.emulator.stats["methods"]["sendPhoto"]
    await _send_chart(world, second, media_id, "result:2:b")
    assert world.emulator.stats["methods"]["sendPhoto"] == calls + 2
    assert second.bot_messages == []
    async with world.session() as session:
        (message,) = (
            await session.exec(select(OutboxMessage).where(col(OutboxMessage.chat_id) == second.id))
        ).all()
    assert message.status == OutboxStatus.FAILED


async def test_the_payment_code_still_shows_when_telegram_forgot_its_file_id(world):
    """The compound's QR code is sent by the id of the photo the office sent; with a new bot
    token that id is refused, and the resident still gets the code (uploaded again)."""
    from jobs.fees import tick
    from models import PaymentAccount
    from tests.test_fees import _payment_code, _people, _set_fee

    admin, owner, _tenant, _staff = await _people(world)
    await _set_fee(admin)
    await tick(world.runtime)
    await admin.send("/paycode")
    await admin.send("幸福家园物业服务中心")
    await admin.send_photo(_payment_code(), caption="幸福家园物业服务中心")
    await owner.send("/bills")
    await owner.press("微信、支付宝或银行转账缴费")
    old = owner.last_message.photo_file_id
    assert old is not None

    forget_file_ids(world.emulator, [old])
    await owner.send("/bills")
    await owner.press("微信、支付宝或银行转账缴费")
    code = owner.last_message
    assert code.kind == "photo" and code.photo_file_id != old
    assert world.emulator.files[code.photo_file_id].data == _payment_code()
    async with world.session() as session:
        account = (await session.exec(select(PaymentAccount))).one()
        picture = await session.get(Media, account.qr_media_id)
        assert picture is not None and picture.telegram_file_id == code.photo_file_id
