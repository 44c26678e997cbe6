"""Settings of the products service (`ONEDOOR_*` variables)."""

from __future__ import annotations

from shared.settings import ServiceSettings


class ProductsSettings(ServiceSettings):
    service_name: str = "products"
    port: int = 8102
