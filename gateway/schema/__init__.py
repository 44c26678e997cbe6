"""The one door: the GraphQL schema clients, desks, providers and partners call.

Each domain has its own module (requests, products, lessons, partnerships) with
its types and its Query / Mutation / Subscription parts; this module merges them
into the one root of each kind. Resolvers stay thin: they forward the caller's
token to the owning service and shape its answer; every fan-out goes through a
dataloader (`GatewayContext.loader`).
"""

from __future__ import annotations

from strawberry.tools import merge_types

from contracts.events import (
    ENGAGEMENTS_TOPIC,
    LESSONS_TOPIC,
    NOTIFICATIONS_TOPIC,
    REQUESTS_TOPIC,
)
from gateway.schema.approvals import ApprovalsMutation, ApprovalsQuery
from gateway.schema.calendars import CalendarsMutation, CalendarsQuery
from gateway.schema.common import PRODUCT_CODE_SCALAR, GatewayNames, ProductCode
from gateway.schema.insights import InsightsQuery
from gateway.schema.lessons import LessonsMutation, LessonsQuery, LessonsSubscription
from gateway.schema.links import LinksMutation
from gateway.schema.notifications import (
    NotificationsMutation,
    NotificationsQuery,
    NotificationsSubscription,
)
from gateway.schema.partnerships import PartnershipsMutation, PartnershipsQuery
from gateway.schema.products import ProductsMutation, ProductsQuery, ProductsSubscription
from gateway.schema.requests import RequestsMutation, RequestsQuery, RequestsSubscription

Query = merge_types(
    "Query",
    (
        RequestsQuery,
        ApprovalsQuery,
        CalendarsQuery,
        ProductsQuery,
        LessonsQuery,
        PartnershipsQuery,
        NotificationsQuery,
        InsightsQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        RequestsMutation,
        ApprovalsMutation,
        CalendarsMutation,
        LinksMutation,
        ProductsMutation,
        LessonsMutation,
        PartnershipsMutation,
        NotificationsMutation,
    ),
)
Subscription = merge_types(
    "Subscription",
    (RequestsSubscription, ProductsSubscription, LessonsSubscription, NotificationsSubscription),
)

# The topics the gateway tails for subscriptions.
LIVE_TOPICS = (REQUESTS_TOPIC, LESSONS_TOPIC, ENGAGEMENTS_TOPIC, NOTIFICATIONS_TOPIC)

__all__ = [
    "LIVE_TOPICS",
    "PRODUCT_CODE_SCALAR",
    "GatewayNames",
    "Mutation",
    "ProductCode",
    "Query",
    "Subscription",
]
