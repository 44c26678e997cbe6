"""Reference data an admin edits: the desks and the country → desk map.

A request keeps the desk it was assigned at intake; a changed map applies to new
requests only (moving open cases between desks is a hand-over, not a data edit).
"""

from __future__ import annotations

from fastapi import APIRouter

from contracts.http.desks.requests import CountryDeskBody, DeskBody
from contracts.http.desks.responses import (
    CountryDeskOut,
    DeskOut,
)
from services.desks.clocks import around_the_clock_calendar
from services.desks.models import CountryDesk, Desk, DeskCalendar
from shared.auth import CurrentPrincipal, Role
from shared.errors import DomainError
from shared.service import ClockDep, SessionDep

router = APIRouter(tags=["reference"])


@router.put("/desks/{code}", response_model=DeskOut)
async def put_desk(
    code: str, body: DeskBody, principal: CurrentPrincipal, session: SessionDep, clock: ClockDep
) -> DeskOut:
    """Create or rename a desk; a new one counts its SLA clocks around the clock until an
    admin gives it a business calendar."""
    principal.require(Role.admin)
    if not code.replace("_", "").isalnum() or not code.isupper() or len(code) > 40:
        raise DomainError(
            "BAD_USER_INPUT", "a desk code is upper case, e.g. AFRICA_II", field="code"
        )
    async with session.begin():
        desk = await session.get(Desk, code) or Desk(code=code, name=body.name, region=body.region)
        desk.name, desk.region = body.name.strip(), body.region.strip()
        session.add(desk)
        if await session.get(DeskCalendar, code) is None:  # a new desk: around the clock
            await session.flush()
            session.add(around_the_clock_calendar(code, at=clock.now(), by=principal.actor))
    return DeskOut(code=desk.code, name=desk.name, region=desk.region)


@router.put("/country-desks/{country}", response_model=CountryDeskOut)
async def put_country_desk(
    country: str, body: CountryDeskBody, principal: CurrentPrincipal, session: SessionDep
) -> CountryDeskOut:
    """Map a country (ISO 3166 alpha-3) to the desk that serves it."""
    principal.require(Role.admin)
    if len(country) != 3 or not country.isalpha() or not country.isupper():
        raise DomainError(
            "BAD_USER_INPUT", "country is ISO 3166 alpha-3, e.g. MLI", field="country"
        )
    async with session.begin():
        if await session.get(Desk, body.desk_code) is None:
            raise DomainError("NOT_FOUND", f"no desk {body.desk_code}")
        mapping = await session.get(CountryDesk, country) or CountryDesk(
            country=country, desk_code=body.desk_code
        )
        mapping.desk_code = body.desk_code
        session.add(mapping)
    return CountryDeskOut(country=country, desk_code=body.desk_code)
