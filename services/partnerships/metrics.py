"""The partnerships service's figures for /metrics: webhook deliveries by status."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import col

from contracts.enums import DeliveryStatus
from services.partnerships.models import WebhookDelivery
from shared.db import AsyncSession
from shared.metrics import Reading


async def webhook_deliveries(session: AsyncSession) -> list[Reading]:
    rows = await session.execute(
        select(col(WebhookDelivery.status), func.count()).group_by(col(WebhookDelivery.status))
    )
    counts = {str(status): count for status, count in rows.all()}
    return [
        Reading(
            "onedoor_webhook_deliveries",
            "Webhook deliveries retained, by status (pending, delivered, dead).",
            counts.get(status.value, 0),
            {"status": status.value},
        )
        for status in DeliveryStatus
    ]
