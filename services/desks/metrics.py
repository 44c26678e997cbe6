"""The desks service's figures for /metrics: SLA clocks that ran out."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import col

from services.desks.models import SlaClockState
from shared.db import AsyncSession
from shared.metrics import Reading


async def sla_breaches(session: AsyncSession) -> list[Reading]:
    rows = await session.execute(
        select(col(SlaClockState.clock), func.count())
        .where(col(SlaClockState.breached_at).is_not(None))
        .group_by(col(SlaClockState.clock))
    )
    return [
        Reading(
            "onedoor_sla_breached_clocks",
            "SLA clocks that ran out before they were stopped, by clock.",
            count,
            {"clock": clock},
        )
        for clock, count in rows.all()
    ]
