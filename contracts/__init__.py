"""Event contracts shared by every OneDoor service.

Each event is a versioned, past-tense pydantic model. `EVENT_TYPES` maps the
CloudEvents `type` string to its model; `TOPICS` lists every topic.
"""

from contracts.events import EVENT_TYPES, TOPICS, Event, event_model

__all__ = ["EVENT_TYPES", "TOPICS", "Event", "event_model"]
