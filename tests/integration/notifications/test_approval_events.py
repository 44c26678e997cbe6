"""The approval step's notifications: the desk chief hears that a request waits for
their approval, the client hears the decision; nobody else hears of either."""

from __future__ import annotations

import uuid

from contracts.enums import ApprovalDecision, Urgency
from contracts.events import RequestApprovalDecided, RequestApprovalRequested
from tests.integration.notifications.conftest import CHIEF, START, Notifications, submitted


async def test_the_chief_is_asked_and_the_client_told_the_decision(
    notifications: Notifications,
) -> None:
    request_id, approval_id = str(uuid.uuid4()), str(uuid.uuid4())
    await notifications.feed(
        submitted(request_id),
        RequestApprovalRequested(
            request_id=request_id,
            approval_id=approval_id,
            client_code="MINUSMA",
            desk_code="AFRICA_II",
            urgency=Urgency.immediate,
            rules=["Immediate requests"],
            requested_at=START,
        ),
    )
    chief = notifications.officer(CHIEF)
    [asked] = (await notifications.page(chief))["items"]
    assert (asked["kind"], asked["params"]) == (
        "approval_requested",
        {"rules": "Immediate requests"},
    )
    assert asked["link"] == f"/requests/{request_id}"
    # Another officer of the desk (the chief is configured) and the client are not asked.
    for other in (notifications.officer("amina"), notifications.client("MINUSMA")):
        assert (await notifications.page(other))["items"] == []

    await notifications.feed(
        RequestApprovalDecided(
            request_id=request_id,
            approval_id=approval_id,
            client_code="MINUSMA",
            desk_code="AFRICA_II",
            decision=ApprovalDecision.rejected,
            comment="Not ours to decide",
            decided_by=f"desk_officer:AFRICA_II:{CHIEF}",
            decided_at=START,
        )
    )
    [told] = (await notifications.page(notifications.client("MINUSMA")))["items"]
    assert (told["kind"], told["params"]) == ("approval_decided", {"decision": "rejected"})
    assert told["title"] == "Electoral needs assessment"
    assert "Not ours to decide" not in str(told)  # the comment is read on the request
    assert (await notifications.page(notifications.client("GOV_SIERRA_LEONE")))["items"] == []
    assert len((await notifications.page(chief))["items"]) == 1
