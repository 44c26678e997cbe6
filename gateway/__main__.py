"""`python -m gateway`: serve the GraphQL gateway."""

import uvicorn

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.logging import configure_logging
from shared.processes import watch_supervisor

settings = GatewaySettings()
configure_logging(settings.log_level, settings.log_format)
watch_supervisor()
uvicorn.run(
    create_app(settings),
    host=settings.host,
    port=settings.port,
    log_level="warning",
    # Behind a TLS ingress the scheme and client come from X-Forwarded-* (feed URLs: https).
    proxy_headers=True,
    forwarded_allow_ips=settings.forwarded_allow_ips,
)
