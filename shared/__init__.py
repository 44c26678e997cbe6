"""The platform's shared code: every service and the gateway import it first."""

import sys

# httpx imports its command-line client (click, rich, pygments: about 3 MB per process)
# whenever those happen to be installed, as they are beside the dev tools. No process of
# the platform runs that client; a None entry makes httpx's guarded import of it fail, so
# httpx falls back to its "install httpx[cli]" stub.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
