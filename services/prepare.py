"""`python -m services.prepare desks products …`: migrate and seed the databases of
the named services, one after the other, in this one process.

The embedded stack (`onedoor run`) prepares all six at every start. One process
doing all six costs one interpreter start and one import of the stack (about 3 s of
CPU) instead of six: a `python -m services.<name> migrate seed` each would spend
most of its time importing, not migrating. A deployment keeps one migration job per
service (docker-compose.yml, the Helm chart), so each service's schema still moves
with its own release.

--database-url-template   a URL with `{service}` (e.g. a PostgreSQL per service);
                          without it each service's settings decide (var/<name>.db)
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from services.definitions import DEFINITIONS
from shared.logging import configure_logging
from shared.manage import migrate, seed
from shared.settings import ServiceSettings


async def prepare(names: list[str], database_url_template: str | None) -> None:
    for name in names:
        url = database_url_template.format(service=name) if database_url_template else None
        settings = ServiceSettings(service_name=name, database_url=url)
        await migrate(DEFINITIONS[name], settings)
        await seed(DEFINITIONS[name], settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.prepare", description=__doc__)
    parser.add_argument("services", nargs="+", choices=sorted(DEFINITIONS))
    parser.add_argument("--database-url-template", default=None)
    args = parser.parse_args(argv)
    settings = ServiceSettings()
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(prepare(args.services, args.database_url_template))
    return 0


if __name__ == "__main__":
    sys.exit(main())
