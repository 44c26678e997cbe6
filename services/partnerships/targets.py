"""Where a webhook may point: a public `https` address, unless a setting allows more.

Without this an admin (or a stolen admin token) could aim a partner's webhook at
the platform's own network (loopback, private ranges, link-local cloud metadata)
and use the dispatcher to reach it. Checked when a URL is set and again before
each delivery, since a name may resolve elsewhere by then.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from shared.errors import DomainError


class RefusedTarget(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__("WEBHOOK_TARGET_REFUSED", message, field="webhook_url")


async def check_webhook_target(url: str, *, allow_private: bool) -> None:
    """Raise RefusedTarget unless `url` is https to public addresses only
    (`allow_private`: any scheme of http/https, any address, for tests and labs)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise RefusedTarget("a webhook URL is https://host/...")
    if allow_private:
        return
    if parts.scheme != "https":
        raise RefusedTarget("a webhook URL must use https")
    for address in await _addresses(parts.hostname, parts.port or 443):
        if not address.is_global:
            raise RefusedTarget(
                f"{parts.hostname} resolves to {address}, which is not a public address"
            )


async def _addresses(host: str, port: int) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return {ipaddress.ip_address(host)}
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise RefusedTarget(f"{host} does not resolve: {error}") from error
    return {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
