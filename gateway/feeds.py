"""Atom feeds of saved lesson filters, for feed readers (which send no credentials).

`GET /feeds/lessons/<token>`: the secret token in the URL is the credential; the
lessons service checks it and applies the filter owner's role. The gateway only
renders the entries as Atom (RFC 4287).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fastapi import APIRouter, Request, Response

from contracts.http.lessons.responses import FeedPublic
from gateway.clients import ServiceClients, ServiceError, service_path
from gateway.schema.common import FEED_TOKEN
from shared.text import strip_xml_illegal

router = APIRouter(tags=["feeds"])

ATOM = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"


@router.get("/feeds/lessons/{token}", response_class=Response)
async def lesson_feed(token: str, request: Request) -> Response:
    clients: ServiceClients = request.app.state.clients
    if not FEED_TOKEN.fullmatch(token):
        return Response("no such feed\n", status_code=404, media_type="text/plain")
    try:
        feed = await clients.by_name["lessons"].get(service_path("feeds", token), "", FeedPublic)
    except ServiceError as error:
        status = 404 if error.code == "NOT_FOUND" else 503
        return Response(f"{error.message}\n", status_code=status, media_type="text/plain")
    return Response(atom_document(feed, str(request.url)), media_type=ATOM_TYPE)


def atom_document(feed: FeedPublic, self_url: str) -> bytes:
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    _text(root, "id", f"urn:onedoor:lesson-feed:{feed.id}")
    _text(root, "title", f"OneDoor lessons: {feed.name}")
    _text(root, "updated", feed.updated.isoformat())
    ET.SubElement(root, f"{{{ATOM}}}link", rel="self", href=self_url, type="application/atom+xml")
    author = ET.SubElement(root, f"{{{ATOM}}}author")
    _text(author, "name", "OneDoor lessons learned")
    for lesson in feed.entries:
        entry = ET.SubElement(root, f"{{{ATOM}}}entry")
        _text(entry, "id", f"urn:onedoor:lesson:{lesson.id}")
        _text(entry, "title", lesson.title)
        if lesson.published_at is not None:
            _text(entry, "published", lesson.published_at.isoformat())
        _text(entry, "updated", lesson.updated_at.isoformat())
        entry_author = ET.SubElement(entry, f"{{{ATOM}}}author")
        _text(entry_author, "name", lesson.authoring_entity)
        for scheme, values in (
            ("theme", lesson.themes),
            ("country", lesson.countries),
            ("region", lesson.regions),
            ("client-kind", lesson.client_kinds),
        ):
            for value in values:
                ET.SubElement(
                    entry,
                    f"{{{ATOM}}}category",
                    term=strip_xml_illegal(value),
                    scheme=f"urn:onedoor:{scheme}",
                )
        _text(entry, "summary", lesson.summary)
        content = _text(entry, "content", lesson.body)
        content.set("type", "text")  # Markdown source, shown as text
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    # Lessons stored before input was checked may still hold such characters.
    element.text = strip_xml_illegal(value)
    return element
