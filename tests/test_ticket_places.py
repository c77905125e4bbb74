"""Places as residents describe them: the home with its 单元, a building's unit and floor (within
its floors), a common area picked or typed, a shared location with a map; and homes typed the
usual ways (1栋1单元201, 1-1-201, 1号楼1单元201室, full-width digits)."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from models import Building, Draft, Role, Ticket
from services.places import floor_of_room, home_words
from tests.test_cli import _cli
from tests.utils.paths import SAMPLE_ROSTER

HEADER = "city,district,sub_district,community,compound,building,unit,room,registered_area,grid\n"
PLACE = "武汉市,江岸区,后湖街道,幸福社区,幸福家园"


async def _cast(world, tmp_path):
    """The sample compound, plus 4栋: one unit, six floors, rooms 101 … 602 (no floor column)."""
    await world.seed_roster()
    rows = [
        f"{PLACE},4栋,1单元,{floor}0{door},80.00,第二网格\n"
        for floor in range(1, 7)
        for door in (1, 2)
    ]
    path = tmp_path / "building4.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    await world.seed_roster(path)
    owner, staff, liaison = (world.user(name) for name in ("王芳", "陈师傅", "刘书记"))
    await world.onboard(owner, "1栋 1单元 101", "owner")
    await world.join_as(staff, Role.STAFF)
    await world.join_as(liaison, Role.LIAISON)
    return owner, staff, liaison


async def _describe(person, text="灯坏了"):
    """/report up to the where question."""
    await person.send("/report")
    await person.press("公共部位日常维修")
    await person.press("不紧急")
    await person.send(text)
    await person.press("不加照片")


def _question(person):
    """The latest message with buttons (a button's answer replaces the question it was on)."""
    return [m for m in person.bot_messages if m.inline_keyboard][-1]


async def _ticket(world, ticket_id: int = 1) -> Ticket:
    async with world.session() as session:
        return await session.get(Ticket, ticket_id)


async def _staff_card(staff, ticket_id: int = 1) -> str:
    await staff.send("/tickets")
    await staff.press(f"#{ticket_id}")
    return staff.last_text


async def test_a_lobby_report_reads_lobby_everywhere_not_the_reporters_door(world, tmp_path):
    owner, staff, _liaison = await _cast(world, tmp_path)
    await _describe(owner, "大堂的灯坏了")
    assert "在我家（1栋 1单元 101）" in _question(owner).buttons()[0]  # the home, with 单元
    await owner.press("在公共区域")
    assert _question(owner).buttons()[:4] == ["大堂", "南门", "北门", "地下车库"]
    await owner.press("大堂")
    assert "地点：幸福家园 · 大堂" in owner.last_text and "101" not in owner.last_text
    await owner.press("提交报事")
    await world.deliver()
    alert = staff.last_text
    assert "新工单 #1" in alert and "幸福家园 · 大堂" in alert and "101" not in alert
    card = await _staff_card(staff)
    assert "地点：幸福家园 · 大堂" in card and "101" not in card and "1栋" not in card
    ticket = await _ticket(world)
    assert (ticket.place_kind, ticket.area, ticket.building_id) == ("area", "大堂", None)
    assert ticket.household_id == await world.household_id("1栋", "1单元", "101")  # whose


async def test_a_place_typed_at_the_where_step_is_kept_as_written(world, tmp_path):
    owner, staff, _liaison = await _cast(world, tmp_path)
    await _describe(owner, "门口有积水")
    await owner.send("在南门")
    assert "地点：幸福家园 · 南门" in owner.last_text
    await owner.press("提交报事")
    assert "地点：幸福家园 · 南门" in await _staff_card(staff)
    # typed instead of picking from the list, too; and a description nobody listed
    await _describe(owner, "花坛里有垃圾")
    await owner.press("在公共区域")
    await owner.send("3栋楼下的花坛")
    assert "地点：幸福家园 · 3栋楼下的花坛" in owner.last_text
    await owner.press("提交报事")
    assert (await _ticket(world, 2)).area == "3栋楼下的花坛"
    await _describe(owner, "又有垃圾")
    await owner.send("在" + "很远的地方" * 30)
    assert "少于 100 个字" in owner.last_text
    await owner.send("在")
    assert "请写出地点" in owner.last_text


async def test_a_shared_location_has_no_room_and_opens_on_the_map(world, tmp_path):
    owner, staff, _liaison = await _cast(world, tmp_path)
    await _describe(owner, "路灯不亮")
    await owner.send_location(30.6215, 114.2995)
    assert "地点：幸福家园 · 共享位置 30.62150, 114.29950" in owner.last_text
    assert "1栋" not in owner.last_text and "101" not in owner.last_text
    await owner.press("提交报事")
    await world.deliver()
    assert "共享位置 30.62150, 114.29950" in staff.last_text and "101" not in staff.last_text
    assert staff.last_message.buttons() == ["查看工单", "📍 在地图上查看"]
    await staff.press("📍 在地图上查看")
    venue = staff.last_message
    assert venue.kind == "venue" and venue.location == {"latitude": 30.6215, "longitude": 114.2995}
    assert venue.venue["title"] == "工单 #1 · 公共部位维修"
    assert venue.venue["address"] == "幸福家园 · 共享位置 30.62150, 114.29950"
    card = await _staff_card(staff)
    assert "共享位置" in card and "101" not in card
    assert "📍 在地图上查看" in staff.last_message.buttons()
    ticket = await _ticket(world)
    assert (ticket.place_kind, ticket.building_id) == ("location", None)
    # only those who may open the ticket see it on the map; a ticket elsewhere has no map
    neighbour = world.user("陈邻居")
    await world.onboard(neighbour, "1栋 1单元 202", "owner")
    await neighbour.press_data("v1:tk:map:1")
    assert "不存在" in neighbour.last_text
    await _describe(owner, "楼道灯")
    await owner.send("南门")
    await owner.press("提交报事")
    await staff.press_data("v1:tk:map:2")
    assert "没有地图上的位置" in staff.last_text


async def test_a_building_report_has_its_unit_and_floor(world, tmp_path):
    owner, staff, _liaison = await _cast(world, tmp_path)
    await _describe(owner)
    await owner.press("在楼栋里")
    await owner.press("1栋")
    assert "1栋的哪个单元" in _question(owner).text
    assert _question(owner).buttons() == ["1单元", "2单元", "不在某个单元（整栋楼、楼外）"]
    await owner.press("2单元")
    assert "1 至 5 层" in _question(owner).text  # the roster's floors
    await owner.send("3楼")
    assert "地点：幸福家园 1栋 2单元，3层" in owner.last_text and "101" not in owner.last_text
    await owner.press("提交报事")
    await world.deliver()
    assert "幸福家园 1栋 2单元，3层" in staff.last_text
    assert "地点：幸福家园 1栋 2单元，3层" in await _staff_card(staff)
    ticket = await _ticket(world)
    assert (ticket.place_kind, ticket.unit, ticket.floor) == ("building", "2单元", 3)
    # the whole building, in no unit and on no floor
    await _describe(owner, "外墙有裂缝")
    await owner.press("在楼栋里")
    await owner.press("2栋")
    await owner.press("不在某个单元")
    await owner.press("不在某一层")
    assert "地点：幸福家园 2栋\n" in owner.last_text + "\n"


async def test_a_floor_outside_the_building_is_refused_with_its_range(world, tmp_path):
    owner, _staff, _liaison = await _cast(world, tmp_path)
    await _describe(owner)
    await owner.press("在楼栋里")
    await owner.press("4栋")  # one unit: no unit question
    assert "4栋的哪一层？该楼为 1 至 6 层" in _question(owner).text  # rooms: 601 → 6
    await owner.send("99")
    assert "4栋没有 99 层：该楼为 1 至 6 层" in owner.last_text
    await owner.send("0")
    assert "4栋没有 0 层" in owner.last_text
    await owner.send("６")  # full-width, as a Chinese keyboard types it
    assert "地点：幸福家园 4栋，6层" in owner.last_text
    await owner.press("提交报事")
    assert (await _ticket(world)).floor == 6


async def test_the_office_sets_common_areas_and_floors_from_the_command_line(
    database_url, monkeypatch, capsys
):
    def run() -> list[int]:
        _cli(monkeypatch, database_url, "admin", "import-roster", str(SAMPLE_ROSTER))
        return [
            _cli(monkeypatch, database_url, "admin", "common-areas", "幸福家园"),
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "common-areas",
                "幸福家园",
                "--set",
                "大堂,东门，快递柜、大堂",
            ),
            _cli(monkeypatch, database_url, "admin", "building-floors", "幸福家园", "1栋"),
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "building-floors",
                "幸福家园",
                "1",
                "--lowest",
                "-2",
            ),
            _cli(
                monkeypatch,
                database_url,
                "admin",
                "building-floors",
                "幸福家园",
                "1栋",
                "--highest",
                "-3",
            ),
            _cli(monkeypatch, database_url, "admin", "common-areas", "幸福家园", "--defaults"),
        ]

    assert await asyncio.to_thread(run) == [0, 0, 0, 0, 1, 0]
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()[-5:]
    assert lines[0] == "幸福家园: common areas 大堂、南门、北门、地下车库、中心花园、垃圾站."
    assert lines[1] == "幸福家园: common areas 大堂、东门、快递柜."
    assert lines[2] == "幸福家园 1栋: floors 1 to 5."
    assert lines[3] == "幸福家园 1栋: floors -2 to 5."
    assert "lowest floor must not be above the highest" in err
    assert lines[4].startswith("幸福家园: common areas 大堂、南门")


async def test_a_set_list_of_common_areas_is_offered(world, tmp_path):
    from services.ticket_places import configure_common_areas

    owner, _staff, _liaison = await _cast(world, tmp_path)
    async with world.session() as session:
        building = (await session.exec(select(Building).where(Building.name == "1栋"))).one()
        await configure_common_areas(
            session, None, building.compound_id, ["东门", "快递柜"], now=world.clock.now()
        )
    await _describe(owner)
    await owner.press("在公共区域")
    assert _question(owner).buttons() == ["东门", "快递柜"]
    await owner.press_data("v1:rp:area:7", _question(owner).message_id)  # forged: no 8th area
    assert "不再有效" in owner.last_text
    await owner.press("快递柜")
    assert "地点：幸福家园 · 快递柜" in owner.last_text


# --- home lookup ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("1栋1单元201", ["1栋", "1单元", "201"]),
        ("1-1-201", ["1", "1", "201"]),
        ("1号楼1单元201室", ["1号楼", "1单元", "201"]),
        ("1幢1单元201", ["1幢", "1单元", "201"]),
        ("1栋 1单元 201", ["1栋", "1单元", "201"]),
        ("１栋１单元２０１", ["1栋", "1单元", "201"]),
        ("1 栋 1 单元 201 室", ["1栋", "1单元", "201"]),
        ("4栋302", ["4栋", "302"]),
        ("3/2/1201号", ["3", "2", "1201"]),
        ("  ", []),
    ],
)
def test_home_words_read_the_usual_spellings(typed, words):
    assert home_words(typed) == words


def test_a_room_number_says_its_floor():
    assert [floor_of_room(r) for r in ("101", "1201", "０３０２", "B101", "12")] == [
        1,
        12,
        3,
        None,
        None,
    ]


async def test_a_liaison_finds_the_home_however_it_is_typed(world, tmp_path):
    _owner, _staff, liaison = await _cast(world, tmp_path)
    spellings = {
        "1栋1单元201": ("1栋", "1单元", "201"),
        "1-1-201": ("1栋", "1单元", "201"),
        "1号楼1单元201室": ("1栋", "1单元", "201"),
        "1幢1单元201": ("1栋", "1单元", "201"),
        "1栋 1单元 201": ("1栋", "1单元", "201"),
        "１栋１单元２０１": ("1栋", "1单元", "201"),
        "4栋302": ("4栋", "1单元", "302"),  # a building with one unit: the unit left out
    }
    for typed, home in spellings.items():
        await liaison.send("/report")
        await liaison.press("替住户代办")
        await liaison.send(typed)
        assert "哪方面的问题" in liaison.last_text, typed
        async with world.session() as session:
            row = (await session.exec(select(Draft))).one()
        assert row.data["household_id"] == await world.household_id(*home), typed
        await liaison.send("/cancel")
    await liaison.send("/report")
    await liaison.press("替住户代办")
    await liaison.send("2栋302")  # two units have a 302: which one?
    assert "没有唯一匹配“2栋302”" in liaison.last_text
    # the home filed for is the place of an at-home report, with its 单元
    await liaison.send("2栋2单元302")
    await liaison.press("秩序维护")
    await liaison.press("不紧急")
    await liaison.send("门口堆放杂物")
    await liaison.press("不加照片")
    assert "在我家（2栋 2单元 302）" in _question(liaison).buttons()[0]
    await liaison.press("在我家")
    assert "地点：幸福家园 2栋 2单元 302" in liaison.last_text
