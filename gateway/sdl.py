"""The gateway's GraphQL schema as SDL, committed in contracts/schema.graphql.

The portal's generated types and every other client depend on that file, so
`make test` fails when it drifts from the code, and refuses a change that would
break an existing client (graphql-core's `find_breaking_changes` against the
committed SDL, which is the baseline until it is regenerated).

    python -m gateway.sdl          # rewrite contracts/schema.graphql (refused if breaking)
    python -m gateway.sdl --check  # exit 1 on drift or on a breaking change
    python -m gateway.sdl --allow-breaking  # rewrite anyway: a break agreed with every client
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graphql import GraphQLSchema, build_schema, find_breaking_changes

from gateway.app import build_schema as build_gateway_schema
from gateway.settings import GatewaySettings

SDL_PATH = Path(__file__).resolve().parent.parent / "contracts" / "schema.graphql"


def current_sdl() -> str:
    return build_gateway_schema(GatewaySettings()).as_str().rstrip() + "\n"


def breaking_changes(committed: GraphQLSchema, current: GraphQLSchema) -> list[str]:
    return [
        f"{change.type.name}: {change.description}"
        for change in find_breaking_changes(committed, current)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail on drift, write nothing")
    parser.add_argument(
        "--allow-breaking", action="store_true", help="write even a breaking change (agreed)"
    )
    args = parser.parse_args(argv)
    sdl = current_sdl()
    if SDL_PATH.exists():
        breaking = breaking_changes(build_schema(SDL_PATH.read_text()), build_schema(sdl))
        if breaking and not args.allow_breaking:
            print("Breaking GraphQL schema changes:\n  " + "\n  ".join(breaking))
            return 1
    if args.check:
        if not SDL_PATH.exists() or SDL_PATH.read_text() != sdl:
            print(f"{SDL_PATH.name} drifted from the gateway's code; run `make contracts`")
            return 1
        return 0
    SDL_PATH.write_text(sdl)
    return 0


if __name__ == "__main__":
    sys.exit(main())
