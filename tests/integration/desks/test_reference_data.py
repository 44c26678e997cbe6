"""Intake keeps the catalog, approval rules and calendars per process
(services/desks/reference.py): a change of them, by any session of any replica, bumps
the revision intake reads with its first query, so the next request sees it."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from services.desks.models import CatalogProduct, ReferenceRevision
from tests.integration.desks.conftest import ELECTORAL, DesksUnderTest

ASK = {"products": ["ELECTORAL_ASSISTANCE"], "details": ELECTORAL}


async def revision(desks: DesksUnderTest) -> int:
    async with desks.sessions() as session, session.begin():
        value = await session.scalar(select(col(ReferenceRevision.revision)))
    assert value is not None
    return int(value)


async def test_a_change_of_the_catalog_elsewhere_applies_to_the_next_request(
    desks: DesksUnderTest,
) -> None:
    await desks.submit(**ASK)  # the kept catalog offers the product
    before = await revision(desks)
    await desks.submit(**ASK)
    assert await revision(desks) == before  # requests change no reference data

    # Another replica's transaction (a session not of this process's intake) turns the
    # product off: the revision grows with it.
    async with desks.sessions() as session, session.begin():
        product = await session.get(CatalogProduct, "ELECTORAL_ASSISTANCE")
        assert product is not None
        product.active = False
    assert await revision(desks) == before + 1

    refused = await desks.http.post(
        "/requests",
        json={"title": "Advice on a national dialogue", "description": "", **ASK},
        headers=desks.client(),
    )
    assert refused.json()["detail"]["code"] == "UNKNOWN_PRODUCT", refused.text
