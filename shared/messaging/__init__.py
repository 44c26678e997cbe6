"""Messaging on aiokafka: CloudEvents envelope, outbox + relay, inbox + consumer."""

from shared.messaging.consumer import EventConsumer, EventContext, EventHandlers, PoisonEvent
from shared.messaging.envelope import Envelope
from shared.messaging.models import InboxEntry, OutboxMessage, PlatformState, PlatformTable
from shared.messaging.outbox import Outbox, Publisher
from shared.messaging.relay import OutboxRelay
from shared.messaging.runtime import MessagingRuntime

__all__ = [
    "Envelope",
    "EventConsumer",
    "EventContext",
    "EventHandlers",
    "InboxEntry",
    "MessagingRuntime",
    "Outbox",
    "OutboxMessage",
    "OutboxRelay",
    "PlatformState",
    "PlatformTable",
    "PoisonEvent",
    "Publisher",
]
