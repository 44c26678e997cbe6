"""A consumer batch's trace switching: each event runs in its writer's trace, and the
context the batch started in is back once the batch is done."""

from __future__ import annotations

from opentelemetry import trace

from shared.messaging.tracing import TraceRuns

FIRST = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"
SECOND = "00-" + "12" * 16 + "-" + "34" * 8 + "-01"


def current_trace_id() -> str:
    return f"{trace.get_current_span().get_span_context().trace_id:032x}"


def test_each_event_runs_in_its_writers_trace_and_the_batch_context_comes_back() -> None:
    before = current_trace_id()
    traces = TraceRuns()
    seen: list[str] = []
    for traceparent in (FIRST, FIRST, None, SECOND, FIRST):
        traces.enter(traceparent)
        seen.append(current_trace_id())
    traces.leave()
    assert seen == ["ab" * 16, "ab" * 16, before, "12" * 16, "ab" * 16]
    assert current_trace_id() == before
    traces.leave()  # leaving twice changes nothing
    assert current_trace_id() == before
