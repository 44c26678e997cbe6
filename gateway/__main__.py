"""`python -m gateway`: serve the GraphQL gateway."""

import uvicorn

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.manage import configure_logging
from shared.processes import watch_supervisor

settings = GatewaySettings()
configure_logging(settings.log_level)
watch_supervisor()
uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
