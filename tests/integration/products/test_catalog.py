"""Catalog administration: forms are JSON Schemas, every edit is a new revision
published as ProductCataloged, and the seed never overwrites an admin's edit."""

from __future__ import annotations

from typing import Any

from services.products.app import DEFINITION as PRODUCTS
from shared.auth import Role
from shared.manage import seed
from tests.integration.products.conftest import Provider

FORM = {
    "type": "object",
    "required": ["population"],
    "properties": {"population": {"enum": ["refugees", "idps", "returnees"]}},
    "additionalProperties": False,
}
NEW_PRODUCT = {
    "code": "DURABLE_SOLUTIONS",
    "name": "Durable solutions advice",
    "provider_unit": "Durable Solutions Advisory Team",
    "description": "Advice on returns, local integration and resettlement.",
    "request_form": FORM,
    "capacity": 4,
    "sla_targets": {"acknowledge": 2, "deliver": 60},
}


async def test_admins_create_products_with_a_valid_form(provider: Provider) -> None:
    http = provider.service.http
    invalid = {**NEW_PRODUCT, "request_form": {"type": "object", "required": "population"}}
    refused = await http.post("/products", json=invalid, headers=provider.headers())
    assert refused.status_code == 422
    assert refused.json()["detail"]["code"] == "INVALID_FORM"
    not_an_object = {**NEW_PRODUCT, "request_form": {"type": "string"}}
    assert (await http.post("/products", json=not_an_object, headers=provider.headers())).json()[
        "detail"
    ]["code"] == "INVALID_FORM"
    bad_sla = {**NEW_PRODUCT, "sla_targets": {"teleport": 1}}
    assert (await http.post("/products", json=bad_sla, headers=provider.headers())).json()[
        "detail"
    ]["code"] == "BAD_USER_INPUT"
    officer = provider.officer("ELECTORAL_ASSISTANCE")
    assert (await http.post("/products", json=NEW_PRODUCT, headers=officer)).status_code == 403
    assert await provider.events("onedoor.product.cataloged.v1") == await _seeded(provider)

    created = await http.post("/products", json=NEW_PRODUCT, headers=provider.headers())
    assert created.status_code == 201, created.text
    assert created.json()["revision"] == 1
    assert created.json()["updated_by"] == "admin:dev-admin"
    again = await http.post("/products", json=NEW_PRODUCT, headers=provider.headers())
    assert again.json()["detail"]["code"] == "CONFLICT"
    cataloged = (await provider.events("onedoor.product.cataloged.v1"))[-1]
    assert cataloged["code"] == "DURABLE_SOLUTIONS"
    assert cataloged["sla_targets"] == {"acknowledge": 2, "deliver": 60}
    assert cataloged["request_form"] == FORM


async def test_every_edit_is_a_new_revision_and_stale_edits_are_refused(
    provider: Provider,
) -> None:
    http = provider.service.http
    path = "/products/ELECTORAL_ASSISTANCE"
    current = (await http.get(path, headers=provider.headers())).json()
    assert current["revision"] == 1

    officer = provider.officer("ELECTORAL_ASSISTANCE")
    edited = await http.patch(
        path, json={"expected_version": 1, "capacity": 20, "auto_accept": False}, headers=officer
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["revision"], edited.json()["capacity"]) == (2, 20)
    stale = await http.patch(path, json={"expected_version": 1, "capacity": 3}, headers=officer)
    assert stale.status_code == 409
    assert stale.json()["detail"]["code"] == "VERSION_CONFLICT"
    other = provider.officer("HUMAN_RIGHTS")
    assert (
        await http.patch(path, json={"expected_version": 2, "active": False}, headers=other)
    ).status_code == 403
    client = provider.headers(Role.client, client="MINUSMA")
    assert (
        await http.patch(path, json={"expected_version": 2, "active": False}, headers=client)
    ).status_code == 403
    broken = await http.patch(
        path, json={"expected_version": 2, "request_form": {"type": 7}}, headers=provider.headers()
    )
    assert broken.json()["detail"]["code"] == "INVALID_FORM"

    waiting = await provider.route("ELECTORAL_ASSISTANCE")
    assert waiting["status"] == "proposed"  # auto_accept is off now
    retired = await http.patch(
        path, json={"expected_version": 2, "active": False}, headers=provider.headers()
    )
    assert retired.json()["revision"] == 3
    too_late = await provider.act(waiting, "accept")
    assert too_late.status_code == 409
    assert too_late.json()["detail"]["code"] == "PRODUCT_INACTIVE"
    assert (
        await provider.act(waiting, "decline", reason_code="out_of_mandate", reason="Retired.")
    ).status_code == 200
    revisions = [
        (e["revision"], e["capacity"], e["active"])
        for e in await provider.events("onedoor.product.cataloged.v1")
        if e["code"] == "ELECTORAL_ASSISTANCE"
    ]
    assert revisions == [(1, 12, True), (2, 20, True), (3, 20, False)]

    await seed(PRODUCTS, provider.service.settings)
    after_seed = (await http.get(path, headers=provider.headers())).json()
    assert (after_seed["revision"], after_seed["capacity"], after_seed["active"]) == (3, 20, False)

    declined = await provider.route("ELECTORAL_ASSISTANCE")
    assert declined["status"] == "declined"
    assert declined["decline_reason_code"] == "out_of_mandate"


async def _seeded(provider: Provider) -> list[dict[str, Any]]:
    return [e for e in await provider.events("onedoor.product.cataloged.v1") if e["revision"] == 1]
