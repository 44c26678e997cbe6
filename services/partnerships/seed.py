"""Reference data: the partners named in the study, each with its own webhook secret."""

from __future__ import annotations

import secrets

from services.partnerships.models import Partner
from shared.clock import Clock
from shared.db import AsyncSession
from shared.messaging import Publisher

PARTNERS = {
    "AU": "African Union Commission",
    "WORLD_BANK": "World Bank Group",
    "EU": "European Union",
}


async def seed_partners(session: AsyncSession, _publisher: Publisher, _clock: Clock) -> None:
    for code, name in PARTNERS.items():
        if await session.get(Partner, code) is None:
            session.add(Partner(code=code, name=name, webhook_secret=secrets.token_urlsafe(32)))
