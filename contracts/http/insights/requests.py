"""What the insights service accepts besides its filters."""

from __future__ import annotations

from enum import StrEnum


class Grouping(StrEnum):
    """What a view's figures are grouped by (the shares: desk or product only)."""

    desk = "desk"
    product = "product"
    country = "country"
    month = "month"
