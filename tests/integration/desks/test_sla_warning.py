"""The warning before a breach: a clock within `sla_warn_before_s` of its due time is
announced once (RequestSlaAtRisk, which the notifications service turns into a word to
the owner and the desk chief); a stopped or breached clock is not."""

from __future__ import annotations

from datetime import timedelta

from services.desks.workers import warn_clocks_at_risk
from tests.integration.desks.conftest import DesksUnderTest

MINUTE = timedelta(minutes=1)


async def test_a_clock_about_to_run_out_is_announced_once(desks: DesksUnderTest) -> None:
    client = desks.client("MINUSMA")
    # Immediate: acknowledge within 1 h, triage within 4 h (the warning: 1 h before).
    urgent = await desks.submit(client, title="Mediators for the Kidal talks", urgency="immediate")
    warn = lambda: warn_clocks_at_risk(desks.worker_context())  # noqa: E731

    assert await warn() == 1  # acknowledge is due within the hour already
    assert await warn() == 0  # once
    desks.clock.advance(3 * 60 * MINUTE + MINUTE)  # triage now due in under an hour
    assert await desks.tick() == 1  # acknowledge breached meanwhile: no warning for it
    assert await warn() == 1
    warnings = await desks.outbox("onedoor.request.sla-at-risk.v1")
    assert [(w["request_id"], w["clock"], w["escalated_to"]) for w in warnings] == [
        (urgent["id"], "acknowledge", "desk_chief:AFRICA_II"),
        (urgent["id"], "triage", "desk_chief:AFRICA_II"),
    ]
    assert await warn() == 0
