"""Places: city → district → sub-district → community → compound → building → household, and grids."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_field, utc_field


class ServiceModel(StrEnum):
    """The four service models of the seed (服务模式), or none yet (a coverage gap)."""

    PROFESSIONAL = "professional"  # 专业化企业承接
    SELF_HELP = "self_help"  # 自助型物业
    PUBLIC_WELFARE = "public_welfare"  # 公益性企业托管
    GUIDED = "guided"  # 专业化企业指导帮扶与社区共管
    NONE = "none"


class ScopeKind(StrEnum):
    """Levels a role or a report can be scoped to."""

    CITY = "city"
    DISTRICT = "district"
    SUB_DISTRICT = "sub_district"
    COMMUNITY = "community"
    COMPOUND = "compound"
    GRID = "grid"
    BUILDING = "building"


class City(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)


class District(SQLModel, table=True):
    """区."""

    __table_args__ = (sa.UniqueConstraint("city_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    city_id: int = Field(foreign_key="city.id", index=True)
    name: str = Field(max_length=100)


class SubDistrict(SQLModel, table=True):
    """街道."""

    __tablename__ = "sub_district"
    __table_args__ = (sa.UniqueConstraint("district_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    district_id: int = Field(foreign_key="district.id", index=True)
    name: str = Field(max_length=100)


class Community(SQLModel, table=True):
    """社区."""

    __table_args__ = (sa.UniqueConstraint("sub_district_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    sub_district_id: int = Field(foreign_key="sub_district.id", index=True)
    name: str = Field(max_length=100)


class PropertyCompany(SQLModel, table=True):
    """物业服务企业."""

    __tablename__ = "property_company"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)


class Compound(SQLModel, table=True):
    """小区."""

    __table_args__ = (sa.UniqueConstraint("community_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    name: str = Field(max_length=100)
    service_model: str = enum_field(ServiceModel, default=ServiceModel.NONE)
    company_id: int | None = Field(default=None, foreign_key="property_company.id", index=True)
    # Service levels: a Wuhan red-property compound publicly runs "15 minutes, 24 hours".
    sla_response_minutes: int = Field(default=15, sa_column_kwargs={"server_default": "15"})
    sla_handling_hours: int = Field(default=24, sa_column_kwargs={"server_default": "24"})
    sla_supervisor_hours: int = Field(default=48, sa_column_kwargs={"server_default": "48"})
    auto_confirm_days: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    # Emergencies and dispatch: the 24-hour duty phone urgent reporters are given at once, how
    # often an unacknowledged urgent alert repeats, and whether staff take tickets (抢单).
    duty_phone: str | None = Field(default=None, max_length=30)
    urgent_repeat_minutes: int = Field(default=10, sa_column_kwargs={"server_default": "10"})
    ticket_offers: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # Owners' assembly: days of notice before voting opens (DOMAIN §5: at least 15) and the
    # opt-in local rule that counts unreturned ballots with the majority.
    vote_notice_days: int = Field(default=15, sa_column_kwargs={"server_default": "15"})
    count_unreturned_with_majority: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )
    # The common areas a report can be in (大堂, 南门 …), in the order offered; None: the defaults.
    common_areas: list[str] | None = Field(default=None, sa_type=sa.JSON())
    # The shortest voting window a vote of the compound may have (default a week, never under a day).
    vote_min_days: int = Field(default=7, sa_column_kwargs={"server_default": "7"})
    # Days owners may object to a vote's preliminary result before the final one (DOMAIN §9;
    # results are final within the 3 days of DOMAIN §5).
    vote_objection_days: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    # Where it is, for the console's KPI map (WGS-84 degrees, as a phone's map app shows them;
    # set by the administrator, `admin compound-location`); None: not on the map.
    latitude: float | None = None
    longitude: float | None = None


class Grid(SQLModel, table=True):
    """网格: a set of buildings with one grid worker; the property and governance grid are one."""

    __table_args__ = (sa.UniqueConstraint("community_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    name: str = Field(max_length=100)


class Building(SQLModel, table=True):
    """栋."""

    __table_args__ = (sa.UniqueConstraint("compound_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    compound_id: int = Field(foreign_key="compound.id", index=True)
    name: str = Field(max_length=50)
    # Its floors, lowest (a basement is negative) to highest: from the roster's homes, or set.
    lowest_floor: int | None = None
    floors: int | None = None  # the highest floor


class Household(SQLModel, table=True):
    """户: one dwelling, with its areas in ㎡ and its grid."""

    __table_args__ = (sa.UniqueConstraint("building_id", "unit", "room"),)
    id: int | None = Field(default=None, primary_key=True)
    building_id: int = Field(foreign_key="building.id", index=True)
    compound_id: int = Field(foreign_key="compound.id", index=True)
    grid_id: int | None = Field(default=None, foreign_key="grid.id", index=True)
    unit: str = Field(default="", max_length=20)
    room: str = Field(max_length=20)
    floor: int | None = None
    registered_area: Decimal | None = Field(default=None, max_digits=10, decimal_places=2)
    surveyed_area: Decimal | None = Field(default=None, max_digits=10, decimal_places=2)
    contract_area: Decimal | None = Field(default=None, max_digits=10, decimal_places=2)
    owner_name: str | None = Field(default=None, max_length=100)
    # several phones in one roster cell are kept as written, joined by "/" (the first is the
    # buyer's identity for the headcount, services/vote_eligibility)
    owner_phone: str | None = Field(default=None, max_length=100)
    developer_unit: bool = False
    tenants_see_bills: bool = Field(  # the owners decide whether tenants see the fee bills
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )
    updated_at: datetime | None = utc_field()

    @property
    def area(self) -> Decimal | None:
        """The area that counts: registered, else surveyed, else contract (DOMAIN §5)."""
        for value in (self.registered_area, self.surveyed_area, self.contract_area):
            if value is not None:
                return value
        return None
