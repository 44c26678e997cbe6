"""Generate the committed OpenAPI document of each service (contracts/openapi/<name>.json).

It lives here, not in contracts/, because it reads the service apps' routes, and
contracts import nothing of ours; its shapes are the models of contracts/http/.

    python -m services.openapi          # rewrite contracts/openapi/*.json
    python -m services.openapi --check  # exit 1 if the committed files drifted
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from fastapi.openapi.utils import get_openapi

from contracts.generate import check_or_write, drift_of
from services.definitions import DEFINITIONS
from shared.service import ServiceDefinition

OPENAPI_DIR = Path(__file__).resolve().parent.parent / "contracts" / "openapi"


def openapi_document(service: ServiceDefinition) -> dict[str, Any]:
    """The service's own routes, as its app serves them at /openapi.json (the health
    routes every service shares are left out); built without settings or keys."""
    routes = [route for router in service.routers for route in router.routes]
    return get_openapi(title=f"OneDoor {service.title}", version="1.0.0", routes=routes)


def rendered_files() -> dict[Path, str]:
    return {
        OPENAPI_DIR / f"{service.name}.json": json.dumps(
            openapi_document(service), indent=2, sort_keys=True
        )
        + "\n"
        for service in DEFINITIONS.values()
    }


def drift(files: dict[Path, str] | None = None) -> list[str]:
    """Files whose committed text differs from what the service apps generate."""
    generated = rendered_files() if files is None else files
    return drift_of(generated, OPENAPI_DIR.glob("*.json"), "has no service")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail on drift, write nothing")
    args = parser.parse_args(argv)
    files = rendered_files()
    problems = drift(files)
    return check_or_write(files, problems, check=args.check, what="OpenAPI")


if __name__ == "__main__":
    sys.exit(main())
