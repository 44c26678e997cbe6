"""The products schema upgrades a database that already holds the first revision's
data (SQLite and PostgreSQL): existing rows get their new columns' defaults."""

from __future__ import annotations

from sqlalchemy import text

from services.products.app import DEFINITION as PRODUCTS
from shared.db import create_engine
from shared.migrations import upgrade
from shared.testing.databases import Databases

FIRST = "3b767dafe51f"


async def test_existing_products_and_engagements_survive_the_upgrade(
    databases: Databases,
) -> None:
    engine = create_engine(await databases.new("products"))
    try:
        await upgrade(engine, PRODUCTS.migrations_dir, FIRST)
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO product (code, name, provider_unit, description, request_form,"
                    " capacity, auto_accept, sla_targets, active, revision) VALUES"
                    " ('HUMAN_RIGHTS', 'Human rights', 'OHCHR', '', '{}', 3, true, '{}', true, 1)"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO engagement (id, routing_id, request_id, product_code,"
                    " client_code, desk_code, country, title, urgency, details, status,"
                    " created_at, updated_at, version) VALUES ('e1', 'r1', 'q1', 'HUMAN_RIGHTS',"
                    " 'MINUSMA', 'AFRICA_II', 'MLI', 'Monitoring', 'routine', '{}', 'accepted',"
                    " '2026-01-05 09:00:00+00:00', '2026-01-05 09:00:00+00:00', 1)"
                )
            )
        await upgrade(engine, PRODUCTS.migrations_dir)
        async with engine.connect() as connection:
            product = (await connection.execute(text("SELECT updated_by FROM product"))).one()
            engagement = (
                await connection.execute(
                    text("SELECT client_kind, region, description, accepted_at FROM engagement")
                )
            ).one()
        assert tuple(product) == ("seed",)
        assert tuple(engagement) == ("", "", "", None)
    finally:
        await engine.dispose()
