"""Reference data: the six regional desks, the country → desk map, the clients named in
the study and two approval rules. Loading is idempotent and adds only what is missing: a
desk, country mapping or rule an admin edited keeps its edit across restarts."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import SQLModel, select

from services.desks.calendars import ALWAYS_OPEN_DESK
from services.desks.clocks import around_the_clock_calendar, recompute_desk_clocks, working_time
from services.desks.models import ApprovalRule, Client, CountryDesk, Desk, DeskCalendar
from shared.clock import Clock
from shared.db import AsyncSession
from shared.messaging import Publisher

DESKS = [
    Desk(code="AFRICA_I", name="Africa I", region="Eastern and Central Africa"),
    Desk(code="AFRICA_II", name="Africa II", region="Western Africa and the Sahel"),
    Desk(code="AMERICAS", name="Americas", region="Americas"),
    Desk(code="ASIA_PACIFIC", name="Asia-Pacific", region="Asia and the Pacific"),
    Desk(code="EUROPE", name="Europe", region="Europe"),
    Desk(
        code="MIDDLE_EAST_WEST_ASIA",
        name="Middle East & West Asia",
        region="Middle East and West Asia",
    ),
]

COUNTRIES_BY_DESK = {
    "AFRICA_I": [
        "BDI",
        "CAF",
        "COD",
        "ETH",
        "KEN",
        "RWA",
        "SDN",
        "SOM",
        "SSD",
        "TZA",
        "UGA",
        "ZWE",
        "MOZ",
    ],
    "AFRICA_II": [
        "BEN",
        "BFA",
        "CIV",
        "CMR",
        "GHA",
        "GIN",
        "GMB",
        "GNB",
        "LBR",
        "MLI",
        "MRT",
        "NER",
        "NGA",
        "SEN",
        "SLE",
        "TCD",
        "TGO",
    ],
    "AMERICAS": ["BOL", "COL", "GTM", "HND", "HTI", "NIC", "USA", "VEN"],
    "ASIA_PACIFIC": ["AFG", "BGD", "FJI", "IDN", "LKA", "MMR", "NPL", "PHL", "PNG", "TLS"],
    "EUROPE": ["ARM", "AZE", "BIH", "CYP", "GEO", "MDA", "SRB", "UKR"],
    "MIDDLE_EAST_WEST_ASIA": ["DZA", "EGY", "IRQ", "JOR", "LBN", "LBY", "PSE", "SYR", "TUN", "YEM"],
}

CLIENTS = [
    Client(
        code="MINUSMA",
        name="UN Multidimensional Integrated Stabilization Mission in Mali",
        kind="peacekeeping_operation",
        country="MLI",
    ),
    Client(
        code="UNMISS",
        name="UN Mission in South Sudan",
        kind="peacekeeping_operation",
        country="SSD",
    ),
    Client(
        code="MONUSCO",
        name="UN Organization Stabilization Mission in the DR Congo",
        kind="peacekeeping_operation",
        country="COD",
    ),
    Client(
        code="UNSOM",
        name="UN Assistance Mission in Somalia",
        kind="special_political_mission",
        country="SOM",
    ),
    Client(
        code="UNSMIL",
        name="UN Support Mission in Libya",
        kind="special_political_mission",
        country="LBY",
    ),
    Client(
        code="UNIPSIL",
        name="UN Integrated Peacebuilding Office in Sierra Leone",
        kind="special_political_mission",
        country="SLE",
    ),
    Client(
        code="BINUB",
        name="UN Integrated Office in Burundi",
        kind="special_political_mission",
        country="BDI",
    ),
    Client(code="UNCT_YEMEN", name="UN Country Team in Yemen", kind="country_team", country="YEM"),
    Client(code="UNCT_MALI", name="UN Country Team in Mali", kind="country_team", country="MLI"),
    Client(
        code="GOV_SIERRA_LEONE",
        name="Government of Sierra Leone",
        kind="host_country",
        country="SLE",
    ),
    Client(
        code="GOV_GUINEA",
        name="Government of Guinea (no UN field presence)",
        kind="host_country",
        country="GIN",
    ),
    Client(
        code="HQ_POLICY_PLANNING", name="HQ Policy and Planning Team", kind="hq_team", country="USA"
    ),
]


# The two examples. A host government asking for mediation needs the desk chief's
# word (political weight); "any IMMEDIATE request" is seeded turned off, because it would
# slow down every emergency until an admin decides that is wanted (the admin page turns
# it on).
SEED_ACTOR = "desks:seed"


def approval_rules(now: datetime) -> list[ApprovalRule]:
    return [
        ApprovalRule(
            id="6f1c2a0e-0b7a-4d5e-9c1a-000000000001",
            name="Host-country requests for mediation support",
            product_code="MEDIATION_SUPPORT",
            client_kind="host_country",
            active=True,
            updated_at=now,
            updated_by=SEED_ACTOR,
        ),
        ApprovalRule(
            id="6f1c2a0e-0b7a-4d5e-9c1a-000000000002",
            name="Immediate requests",
            urgency="immediate",
            active=False,
            updated_at=now,
            updated_by=SEED_ACTOR,
        ),
    ]


async def seed_reference_data(session: AsyncSession, _publisher: Publisher, clock: Clock) -> None:
    rows: list[SQLModel] = [*DESKS]
    rows += [
        CountryDesk(country=country, desk_code=desk)
        for desk, countries in COUNTRIES_BY_DESK.items()
        for country in countries
    ]
    rows += CLIENTS
    for row in rows:
        key = row.country if isinstance(row, CountryDesk) else row.code  # type: ignore[attr-defined]
        if await session.get(type(row), key) is None:
            session.add(type(row)(**row.model_dump()))
            await session.flush()  # desks before the countries that point at them
    for rule in approval_rules(clock.now()):
        if await session.get(ApprovalRule, rule.id) is None:
            session.add(rule)
    await _seed_calendars(session, clock.now())


# Each desk's business calendar: the time zone of its region, a working week of two
# periods a day with a lunch break (eight working hours), New Year's Day and Christmas,
# and IMMEDIATE requests counted around the clock (an emergency does not wait for
# Monday). The Middle East desk works Sunday to Thursday. A desk not seeded here (an
# admin's) gets a calendar that is around the clock, what its clocks counted before.
DESK_ZONES = {
    "AFRICA_I": "Africa/Nairobi",
    "AFRICA_II": "Africa/Bamako",
    "AMERICAS": "America/Bogota",
    "ASIA_PACIFIC": "Asia/Bangkok",
    "EUROPE": "Europe/Brussels",
    "MIDDLE_EAST_WEST_ASIA": "Asia/Amman",
}
MONDAY_TO_FRIDAY = ("monday", "tuesday", "wednesday", "thursday", "friday")
SUNDAY_TO_THURSDAY = ("sunday", "monday", "tuesday", "wednesday", "thursday")
HOLIDAYS = [
    {"date": "2026-12-25", "name": "Christmas Day"},
    {"date": "2027-01-01", "name": "New Year's Day"},
    {"date": "2027-12-25", "name": "Christmas Day"},
]


def desk_calendar(desk_code: str, now: datetime) -> DeskCalendar:
    zone = DESK_ZONES.get(desk_code)
    if zone is None:
        return around_the_clock_calendar(desk_code, at=now, by=SEED_ACTOR)
    days = SUNDAY_TO_THURSDAY if desk_code == "MIDDLE_EAST_WEST_ASIA" else MONDAY_TO_FRIDAY
    return DeskCalendar(
        desk_code=desk_code,
        time_zone=zone,
        working_hours=[
            {"weekday": day, "start": start, "end": end}
            for day in days
            for start, end in (("08:00", "12:30"), ("13:30", "17:00"))
        ],
        holidays=[dict(holiday) for holiday in HOLIDAYS],
        around_the_clock=["immediate"],
        updated_at=now,
        updated_by=SEED_ACTOR,
    )


async def _seed_calendars(session: AsyncSession, now: datetime) -> None:
    """A calendar for every desk without one. Clocks already open there ran around the
    clock until now: they count that in, and on from now on the new calendar."""
    await session.flush()
    desks = (await session.scalars(select(Desk.code))).all()
    for code in desks:
        if await session.get(DeskCalendar, code) is None:
            calendar = desk_calendar(code, now)
            session.add(calendar)
            await recompute_desk_clocks(
                session, code, before=ALWAYS_OPEN_DESK, after=working_time(calendar), at=now
            )
