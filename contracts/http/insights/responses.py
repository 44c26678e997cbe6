"""What the insights service answers: views computed from the event log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class PartyKind(StrEnum):
    """Who is engaged: the desk coordinating, the provider of a product, a partner."""

    desk = "desk"
    provider = "provider"
    partner = "partner"


class WhoDoesWhatRow(BaseModel):
    """One line of the 3W/4W: an organisation engaged on a product for a client in a
    country, in one status, since the first of those requests started."""

    country: str = Field(description="ISO 3166-1 alpha-3")
    region: str
    party_kind: PartyKind
    party: str = Field(description="The desk code, product code (provider) or partner code")
    org_name: str = Field(description="The organisation's name (a provider's unit)")
    product_code: str
    client_code: str
    activity: str = Field(description="coordination, engagement or joint_assessment")
    status: str
    since: datetime = Field(description="When the earliest of these requests started")
    requests: int = Field(description="How many requests this line counts")


class WhoDoesWhatPage(BaseModel):
    items: list[WhoDoesWhatRow]
    total: int = Field(description="Lines matching, over every page")
    has_next_page: bool


class CountrySummary(BaseModel):
    """A country on the map: its engagements (an organisation on a product of a request),
    how many organisations and products they involve, and how many are still open."""

    country: str
    region: str
    engagements: int
    open_engagements: int = Field(description="Engagements that have not ended")
    organisations: int
    products: int
