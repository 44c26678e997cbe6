"""The committed JSON Schemas and AsyncAPI document match the models, and a change
that would break a consumer of a published version is caught."""

from __future__ import annotations

import copy

from contracts.compatibility import breaking_changes
from contracts.events import EVENT_TYPES, TOPICS
from contracts.generate import committed_schemas, drift, event_schemas


def test_committed_contracts_match_the_models() -> None:
    assert drift() == [], "run `make contracts` and commit the result"


def test_no_published_version_changed_incompatibly() -> None:
    assert breaking_changes(committed_schemas(), event_schemas()) == []


def test_every_event_type_is_versioned_past_tense_and_on_a_known_topic() -> None:
    for event_type, model in EVENT_TYPES.items():
        assert event_type.startswith("onedoor.") and event_type.rsplit(".", 1)[-1].startswith("v")
        assert model.topic in TOPICS


def test_compatibility_rules_catch_breaking_changes() -> None:
    old = {
        "t.v1": {
            "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
            "required": ["a"],
        }
    }
    removed_property = copy.deepcopy(old)
    del removed_property["t.v1"]["properties"]["b"]
    retyped = copy.deepcopy(old)
    retyped["t.v1"]["properties"]["a"] = {"type": "integer"}
    newly_required = copy.deepcopy(old)
    newly_required["t.v1"]["required"] = ["a", "b"]
    added_required = copy.deepcopy(old)
    added_required["t.v1"]["properties"]["c"] = {"type": "string"}
    added_required["t.v1"]["required"] = ["a", "c"]
    added_optional = copy.deepcopy(old)
    added_optional["t.v1"]["properties"]["d"] = {"type": "string"}

    assert breaking_changes(old, {}) == ["t.v1: a published event type was removed"]
    assert breaking_changes(old, removed_property) == ["t.v1: property 'b' was removed"]
    assert breaking_changes(old, retyped) == ["t.v1: property 'a' changed its type"]
    assert breaking_changes(old, newly_required) == ["t.v1: property 'b' became required"]
    assert breaking_changes(old, added_required) == ["t.v1: property 'c' was added as required"]
    assert breaking_changes(old, added_optional) == []
