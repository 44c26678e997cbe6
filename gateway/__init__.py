# Before any module of the gateway imports httpx: shared/__init__.py keeps httpx's
# command-line client (click, rich, pygments) out of the process.
import shared  # noqa: F401
