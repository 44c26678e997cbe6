"""Tables owned by the partnerships service (assessments are later work)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import JSONColumn, UTCDateTime


class PartnershipsTable(SQLModel, registry=registry()):
    """Base of this database's tables: its own metadata, so each service's schema stays
    its own even when several services share one test process."""


class Partner(PartnershipsTable, table=True):
    """An organisation the UN assesses jointly with, and how to notify its systems."""

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    webhook_url: str | None = Field(default=None, max_length=500)
    # HMAC key for outbound webhooks; generated at seeding, never returned by the API.
    webhook_secret: str = Field(max_length=200)
    active: bool = True


class JointAssessment(PartnershipsTable, table=True):
    __tablename__ = "joint_assessment"

    id: str = Field(primary_key=True, max_length=36)
    request_id: str = Field(index=True, max_length=36)
    partners: list[str] = Field(sa_type=JSONColumn)
    scope: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(index=True, max_length=20)  # proposed | active | concluded | cancelled
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    version: int = 1
