"""Backward-compatibility rules for published event versions.

A consumer written against the committed schema of a type must still be able to
read every event the current model produces. So, per event type, the current
schema must not: disappear, drop a property, change a property's declared type,
make a property required that was optional, or add a new required property.
"""

from __future__ import annotations

from typing import Any


def _property_shape(schema: dict[str, Any]) -> Any:
    keys = ("type", "$ref", "anyOf", "items", "enum", "const", "format")
    return {key: schema[key] for key in keys if key in schema}


def breaking_changes(
    committed: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]]
) -> list[str]:
    problems: list[str] = []
    for event_type, old in sorted(committed.items()):
        new = current.get(event_type)
        if new is None:
            problems.append(f"{event_type}: a published event type was removed")
            continue
        old_props = old.get("properties", {})
        new_props = new.get("properties", {})
        old_required = set(old.get("required", []))
        new_required = set(new.get("required", []))
        for name, old_prop in old_props.items():
            if name not in new_props:
                problems.append(f"{event_type}: property '{name}' was removed")
            elif _property_shape(old_prop) != _property_shape(new_props[name]):
                problems.append(f"{event_type}: property '{name}' changed its type")
        for name in sorted(new_required - old_required):
            what = "became required" if name in old_props else "was added as required"
            problems.append(f"{event_type}: property '{name}' {what}")
    return problems
