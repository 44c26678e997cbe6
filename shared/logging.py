"""Process logging: one JSON object per line on stderr, with the trace and span ids.

Every record carries `trace_id`/`span_id` of the span current when it was logged
(a request, or an event being handled), so a log line leads to its trace and back.
`ONEDOOR_LOG_FORMAT=text` keeps the plain format for a developer's terminal.
"""

from __future__ import annotations

import logging
import sys

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

from shared.settings import LogFormat

ACCESS_LOGGER = "onedoor.access"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class TraceIds(logging.Filter):
    """Stamps each record with the current span's ids (empty outside any span)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        record.trace_id = format(context.trace_id, "032x") if context.is_valid else ""
        record.span_id = format(context.span_id, "016x") if context.is_valid else ""
        return True


def configure_logging(level: str, log_format: LogFormat = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(TraceIds())
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(trace_id)s %(span_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    # Chatty at INFO (a line per outgoing request); the access log says what matters.
    for chatty in ("aiokafka", "httpx"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def access_logger() -> logging.Logger:
    return logging.getLogger(ACCESS_LOGGER)
