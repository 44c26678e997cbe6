"""Every service's definition, for the tools that act on all of them at once
(`services.openapi`, `services.prepare`). A serving process imports only its own."""

from __future__ import annotations

from services.desks.app import DEFINITION as DESKS
from services.insights.app import DEFINITION as INSIGHTS
from services.lessons.app import DEFINITION as LESSONS
from services.notifications.app import DEFINITION as NOTIFICATIONS
from services.partnerships.app import DEFINITION as PARTNERSHIPS
from services.products.app import DEFINITION as PRODUCTS
from shared.service import ServiceDefinition

DEFINITIONS: dict[str, ServiceDefinition] = {
    service.name: service
    for service in (DESKS, PRODUCTS, LESSONS, PARTNERSHIPS, NOTIFICATIONS, INSIGHTS)
}
