"""What the benchmarks send through the one door: a client's request for a product."""

from __future__ import annotations

from typing import Any

import httpx

CLIENT = "MINUSMA"

SUBMIT = """
mutation Submit($input: SubmitRequestInput!) {
  submitRequest(input: $input) { id status }
}"""

# The details each product's request form requires (services/products/seed.py).
PRODUCT_DETAILS: dict[str, dict[str, Any]] = {
    "ELECTORAL_ASSISTANCE": {"election_type": "presidential", "election_date": "2027-05-01"},
    "RULE_OF_LAW": {"sector": "justice"},
    "MEDIATION_SUPPORT": {
        "parties": ["Government of Mali", "Signatory armed movements"],
        "confidentiality": "confidential",
    },
    "POLITICAL_ANALYSIS": {"question": "What could derail the transition before the elections?"},
    "HUMAN_RIGHTS": {"focus": "monitoring"},
}
PRODUCTS = tuple(PRODUCT_DETAILS)


def request_input(product: str, number: int) -> dict[str, Any]:
    return {
        "title": f"Bench request {number} for {product.lower().replace('_', ' ')}",
        "description": "Submitted by the OneDoor benchmark suite.",
        "products": [product],
        "urgency": "ROUTINE",
        "details": {product: PRODUCT_DETAILS[product]},
    }


class GraphQLFailed(RuntimeError):
    pass


async def graphql(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], query: str, **variables: Any
) -> dict[str, Any]:
    response = await http.post(url, json={"query": query, "variables": variables}, headers=headers)
    response.raise_for_status()
    answer = response.json()
    if answer.get("errors"):
        raise GraphQLFailed(str(answer["errors"]))
    data: dict[str, Any] = answer["data"]
    return data


def submit_body(product: str, number: int) -> dict[str, Any]:
    return {"query": SUBMIT, "variables": {"input": request_input(product, number)}}


def submitted_id(status: int, answer: dict[str, Any]) -> str:
    """The new request's id from the gateway's answer, or GraphQLFailed."""
    if status != 200 or answer.get("errors"):
        raise GraphQLFailed(f"HTTP {status}: {answer.get('errors', answer)}"[:300])
    return str(answer["data"]["submitRequest"]["id"])


async def submit(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], product: str, number: int
) -> str:
    """Submit one request; return its id."""
    response = await http.post(url, json=submit_body(product, number), headers=headers)
    return submitted_id(response.status_code, response.json())
