"""Each service's command line: `python -m services.<name> migrate|seed|serve`.

migrate   apply the service's Alembic migrations to its database
seed      load its reference data (idempotent: a second run changes nothing)
revision  autogenerate a migration from the models (developers: -m "what changed";
          --platform for a change to the platform's own tables, shared/messaging/models.py,
          which goes to the platform branch every service shares)
serve     run the HTTP API with its relay and consumer (exit code 3 when the
          broker was lost, so a supervisor restarts it)
"""

from __future__ import annotations

import argparse
import asyncio
import logging

import uvicorn
import uvloop

from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.logging import configure_logging
from shared.messaging import Outbox
from shared.processes import watch_supervisor
from shared.service import ServiceDefinition, create_service_app
from shared.settings import ServiceSettings

EXIT_BROKER_LOST = 3


async def migrate(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    # Imported here: Alembic (about 10 MB) is for `migrate`, not for a serving process.
    from shared.migrations import upgrade

    engine = create_engine(settings.resolved_database_url)
    try:
        await upgrade(engine, definition.migrations_dir)
    finally:
        await engine.dispose()


async def seed(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    if definition.seed is None:
        return
    engine = create_engine(settings.resolved_database_url)
    clock = SystemClock()
    outbox = Outbox(source=f"/onedoor/{definition.name}", clock=clock)
    try:
        async with session_factory(engine)() as session, session.begin():
            await definition.seed(session, outbox.publisher(session), clock)
    finally:
        await engine.dispose()


async def serve(definition: ServiceDefinition, settings: ServiceSettings) -> int:
    watch_supervisor()
    app = create_service_app(definition, settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        lifespan="on",
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not serving.done():
        runtime = getattr(app.state, "runtime", None)
        if runtime is not None and runtime.fatal.is_set():
            server.should_exit = True
            await serving
            logging.getLogger(definition.name).critical("exiting: %s", runtime.fatal_reason)
            return EXIT_BROKER_LOST
        await asyncio.sleep(0.2)
    await serving
    return 0 if server.started else 1


def main(
    definition: ServiceDefinition, settings: ServiceSettings, argv: list[str] | None = None
) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m services.{definition.name}", description=__doc__
    )
    parser.add_argument("commands", nargs="+", choices=["migrate", "seed", "serve", "revision"])
    parser.add_argument("-m", "--message", default="change", help="revision message")
    parser.add_argument(
        "--platform", action="store_true", help="revision of the shared platform tables"
    )
    args = parser.parse_args(argv)
    configure_logging(settings.log_level, settings.log_format)
    for command in args.commands:
        if command == "revision":
            from shared.migrations import PLATFORM_BRANCH, autogenerate_revision

            asyncio.run(migrate(definition, settings))
            autogenerate_revision(
                definition.migrations_dir,
                settings.resolved_database_url,
                PLATFORM_BRANCH if args.platform else definition.name,
                args.message,
            )
            continue
        if command == "migrate":
            asyncio.run(migrate(definition, settings))
        elif command == "seed":
            asyncio.run(seed(definition, settings))
        else:
            # uvloop, as uvicorn picks for the gateway: the services' hot paths hand work
            # between the loop and threads (aiosqlite) and sockets (HTTP, Kafka) at every
            # step, and asyncio's pure-Python loop spends more CPU on that than uvloop.
            return uvloop.run(serve(definition, settings))
    return 0
