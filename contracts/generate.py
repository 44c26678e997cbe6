"""Generate the committed event contracts: one JSON Schema per event type and an
AsyncAPI 3.0 document describing every topic and message.

    python -m contracts.generate          # rewrite contracts/schemas and asyncapi.yaml
    python -m contracts.generate --check  # exit 1 if the committed files drifted
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from contracts.compatibility import breaking_changes
from contracts.events import EVENT_TYPES, TOPICS

CONTRACTS_DIR = Path(__file__).resolve().parent
SCHEMAS_DIR = CONTRACTS_DIR / "schemas"
ASYNCAPI_PATH = CONTRACTS_DIR / "asyncapi.yaml"

CLOUDEVENT_HEADERS = {
    "type": "object",
    "description": (
        "CloudEvents 1.0 Kafka binary content mode: attributes travel as ce_* headers, "
        "the record value is the JSON data, the record key is the aggregate id."
    ),
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"],
    "properties": {
        "ce_specversion": {"const": "1.0"},
        "ce_id": {"type": "string"},
        "ce_source": {"type": "string"},
        "ce_type": {"type": "string"},
        "ce_subject": {"type": "string"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_correlationid": {"type": "string"},
        "ce_causationid": {"type": "string"},
        "content-type": {"const": "application/json"},
        "traceparent": {"type": "string", "description": "W3C trace context"},
    },
}


def schema_filename(event_type: str) -> str:
    return f"{event_type}.json"


def event_schemas() -> dict[str, dict[str, Any]]:
    schemas = {}
    for event_type, model in sorted(EVENT_TYPES.items()):
        schema = model.model_json_schema()
        schema["$id"] = f"urn:onedoor:event:{event_type}"
        schema["x-topic"] = model.topic
        schemas[event_type] = schema
    return schemas


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else ""


def asyncapi_document(schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    messages = {
        event_type: {
            "name": event_type,
            "title": EVENT_TYPES[event_type].__name__,
            "summary": _first_line(EVENT_TYPES[event_type].__doc__),
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/CloudEventHeaders"},
            "payload": {"$ref": f"./schemas/{schema_filename(event_type)}"},
        }
        for event_type in schemas
    }
    channels = {
        topic: {
            "address": topic,
            "messages": {
                event_type: {"$ref": f"#/components/messages/{event_type}"}
                for event_type, model in sorted(EVENT_TYPES.items())
                if model.topic == topic
            },
            "bindings": {"kafka": {"partitions": 4, "bindingVersion": "0.5.0"}},
        }
        for topic in TOPICS
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "OneDoor events",
            "version": "1.0.0",
            "description": "Every event published through a service's transactional outbox.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {
            "schemas": {"CloudEventHeaders": CLOUDEVENT_HEADERS},
            "messages": messages,
        },
    }


def rendered_files() -> dict[Path, str]:
    schemas = event_schemas()
    files = {
        SCHEMAS_DIR / schema_filename(event_type): json.dumps(schema, indent=2, sort_keys=True)
        + "\n"
        for event_type, schema in schemas.items()
    }
    files[ASYNCAPI_PATH] = yaml.safe_dump(asyncapi_document(schemas), sort_keys=True)
    return files


def committed_schemas() -> dict[str, dict[str, Any]]:
    return {
        path.name.removesuffix(".json"): json.loads(path.read_text())
        for path in SCHEMAS_DIR.glob("*.json")
    }


def drift(files: dict[Path, str] | None = None) -> list[str]:
    """Files whose committed text differs from what the models generate."""
    generated = rendered_files() if files is None else files
    return drift_of(generated, SCHEMAS_DIR.glob("*.json"), "has no model (a removed event?)")


def drift_of(files: dict[Path, str], committed: Iterable[Path], unmade: str) -> list[str]:
    """What differs between generated `files` and the committed ones: a file whose text
    is out of date, and a committed file nothing generates any more (`unmade` says why)."""
    root = CONTRACTS_DIR.parent
    problems = [
        f"{path.relative_to(root)} is out of date"
        for path, text in files.items()
        if not path.exists() or path.read_text() != text
    ]
    problems += [f"{path.relative_to(root)} {unmade}" for path in committed if path not in files]
    return problems


def check_or_write(files: dict[Path, str], problems: list[str], *, check: bool, what: str) -> int:
    """`--check`: exit 1 and say what drifted (the `problems`); otherwise write the files."""
    if check:
        if problems:
            print(f"{what} drifted; run `make contracts`:\n  " + "\n  ".join(problems))
            return 1
        return 0
    for path, text in files.items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail on drift, write nothing")
    args = parser.parse_args(argv)
    breaking = breaking_changes(committed_schemas(), event_schemas())
    if breaking:
        print("Backward-incompatible contract changes:\n  " + "\n  ".join(breaking))
        return 1
    files = rendered_files()
    problems = drift(files)
    return check_or_write(files, problems, check=args.check, what="Contracts")


if __name__ == "__main__":
    sys.exit(main())
