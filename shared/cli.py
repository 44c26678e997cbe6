"""`onedoor`: the command line of the embedded platform.

onedoor run                                     start the whole stack (what `make run` does)
onedoor token --role client --client MINUSMA    print a signed dev JWT
onedoor token --role desk_officer --desk AFRICA_II
onedoor token --role provider --product ELECTORAL_ASSISTANCE
onedoor token --role partner --partner AU
onedoor token --role hq_analyst | --role admin
onedoor dlq list desks                          a service's dead letters
onedoor dlq show desks 0:12 | replay desks 0:12 | replay desks all
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from importlib.metadata import version
from types import FrameType

from shared.auth import Role, ensure_dev_keypair, issue_dev_token
from shared.dlq import run_command
from shared.errors import DomainError
from shared.runner import SERVICES, EmbeddedStack, RunnerSettings, StackFailed
from shared.settings import PlatformSettings


def token(args: argparse.Namespace) -> int:
    settings = PlatformSettings()
    ensure_dev_keypair(settings)
    print(
        issue_dev_token(
            settings,
            role=Role(args.role),
            subject=args.subject,
            client=args.client,
            desk=args.desk,
            products=args.product,
            partner=args.partner,
            ttl_s=args.ttl,
        )
    )
    return 0


def run(_args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    stack = EmbeddedStack(RunnerSettings())

    def _interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Ctrl-C and SIGTERM both stop the stack (SIGINT too, since a shell may have
    # started us with it ignored).
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        print("Starting OneDoor (broker, migrations, seeds, 4 services, gateway)...", flush=True)
        stack.start()
        print(_banner(stack), flush=True)
        stack.supervise()
    except KeyboardInterrupt:
        print("\nStopping every process OneDoor started...", flush=True)
        return 0
    except StackFailed as failure:
        print(f"OneDoor stopped: {failure}", file=sys.stderr, flush=True)
        return 1
    finally:
        # make forwards a second SIGTERM, a user presses Ctrl-C again: the stop goes on.
        signal.signal(signal.SIGTERM, _already_stopping)
        signal.signal(signal.SIGINT, _already_stopping)
        stack.stop()
    return 0


def _already_stopping(_signum: int, _frame: FrameType | None) -> None:
    print("Already stopping; every process will be stopped.", flush=True)


def dlq(args: argparse.Namespace) -> int:
    try:
        print(run_command(PlatformSettings(), args.service, args.action, args.position))
    except LookupError as missing:
        print(f"onedoor: {missing}", file=sys.stderr)
        return 2
    return 0


def _banner(stack: EmbeddedStack) -> str:
    return f"""
OneDoor is up.
  Portal:   {stack.graphql_url.removesuffix("/graphql")}/   (sign in there)
  GraphQL:  {stack.graphql_url}   (open it in a browser for GraphiQL)
  Broker:   {stack.bootstrap_servers}
  Data:     {stack.var_dir}   (logs in {stack.logs_dir})
  E-mail:   {stack.mail_dir}   (what the notifications service sent, as .eml files)

Get a token, then send it as `Authorization: Bearer <token>`:
  .venv/bin/onedoor token --role client --client MINUSMA
  .venv/bin/onedoor token --role desk_officer --desk AFRICA_II

Ctrl-C stops everything.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="onedoor", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"onedoor {version('onedoor')}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the whole embedded stack").set_defaults(handler=run)
    minting = commands.add_parser("token", help="print a signed dev JWT for the embedded mode")
    minting.add_argument("--role", required=True, choices=[role.value for role in Role])
    minting.add_argument("--client", help="client code, for --role client (e.g. MINUSMA)")
    minting.add_argument("--desk", help="desk code, for --role desk_officer (e.g. AFRICA_II)")
    minting.add_argument(
        "--product", action="append", help="product code, for --role provider (repeatable)"
    )
    minting.add_argument("--partner", help="partner code, for --role partner (e.g. AU)")
    minting.add_argument("--subject", help="the user the token names (default dev-<role>)")
    minting.add_argument("--ttl", type=int, default=12 * 3600, help="lifetime in seconds")
    minting.set_defaults(handler=token)
    dead_letters = commands.add_parser("dlq", help="list, show or replay a service's dead letters")
    dead_letters.add_argument("action", choices=["list", "show", "replay"])
    dead_letters.add_argument("service", choices=list(SERVICES))
    dead_letters.add_argument("position", nargs="?", help="PARTITION:OFFSET, or all (replay)")
    dead_letters.set_defaults(handler=dlq)
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except DomainError as refusal:  # e.g. a token without its tenant: one line, no traceback
        print(f"onedoor: {refusal}", file=sys.stderr)
        return 2
