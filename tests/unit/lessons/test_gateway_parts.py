"""The gateway's lessons pieces that need no service: the subscription's event filter
and the Atom rendering."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from contracts.events import LessonPublished
from contracts.http.lessons.responses import FeedPublic
from gateway.feeds import atom_document
from gateway.schema.common import ProductCode
from gateway.schema.lessons import LessonFilter

ATOM = "{http://www.w3.org/2005/Atom}"


def published(**overrides: object) -> LessonPublished:
    fields: dict[str, object] = {
        "lesson_id": "l-1",
        "title": "T",
        "summary": "S",
        "themes": ["RULE_OF_LAW"],
        "countries": ["SSD"],
        "regions": ["Africa"],
        "sensitivity": "public",
        "published_at": datetime(2026, 1, 1, tzinfo=UTC),
        "client_kinds": ["peacekeeping_operation"],
        **overrides,
    }
    return LessonPublished(**fields)  # type: ignore[arg-type]


def test_the_subscription_filter_matches_any_value_within_a_list_and_all_lists() -> None:
    assert LessonFilter().accepts(published())
    assert LessonFilter(themes=[ProductCode("RULE_OF_LAW"), ProductCode("X")]).accepts(published())
    assert not LessonFilter(themes=[ProductCode("HUMAN_RIGHTS")]).accepts(published())
    assert LessonFilter(countries=["SSD"], regions=["Africa"]).accepts(published())
    assert not LessonFilter(countries=["SSD"], regions=["Europe"]).accepts(published())
    assert not LessonFilter(client_kinds=["host_country"]).accepts(published())


def test_the_atom_document_escapes_text_and_names_each_lesson() -> None:
    lesson = {
        "id": "l-1",
        "title": "Prisons & <courts>",
        "summary": "S",
        "body": "## Markdown <b>",
        "themes": ["RULE_OF_LAW"],
        "countries": ["SSD"],
        "regions": ["Africa"],
        "client_kinds": [],
        "source_kind": "direct",
        "source_ref": None,
        "authoring_entity": "provider:RULE_OF_LAW",
        "sensitivity": "public",
        "status": "published",
        "review_comment": None,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "published_at": "2026-01-01T00:00:00Z",
        "version": 3,
        "owner_kind": "provider",
        "owner_code": "RULE_OF_LAW",
        "created_by": "provider-1",
    }
    feed = FeedPublic.model_validate(
        {
            "id": "f-1",
            "name": "Rule of law <SSD> & more",
            "updated": "2026-01-02T00:00:00Z",
            "entries": [lesson],
        }
    )
    root = ET.fromstring(atom_document(feed, "http://door/feeds/lessons/t"))
    assert root.findtext(f"{ATOM}title") == "OneDoor lessons: Rule of law <SSD> & more"
    assert root.find(f"{ATOM}link").get("href") == "http://door/feeds/lessons/t"  # type: ignore[union-attr]
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Prisons & <courts>"
    assert entry.findtext(f"{ATOM}content") == "## Markdown <b>"
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "provider:RULE_OF_LAW"
    assert [c.get("scheme") for c in entry.findall(f"{ATOM}category")] == [
        "urn:onedoor:theme",
        "urn:onedoor:country",
        "urn:onedoor:region",
    ]
