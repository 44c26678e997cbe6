"""A task given to a partner to lead is published (AssessmentTaskAssigned, for
notifications), at the opening and when added later; a task the UN leads is not."""

from __future__ import annotations

from tests.integration.partnerships.conftest import Partnerships
from tests.integration.partnerships.test_assessments import open_one


async def test_tasks_led_by_a_partner_are_published(partnerships: Partnerships) -> None:
    opened = await open_one(partnerships)
    added = await partnerships.command(
        f"/assessments/{opened['id']}/tasks",
        json={"title": "Donor mapping", "lead": "UN"},
        headers=partnerships.desk(),
    )
    assert added.status_code == 200, added.text

    assigned = await partnerships.outbox_payloads("onedoor.assessment.task-assigned.v1")
    assert [(e["assessment_id"], e["title"], e["lead"]) for e in assigned] == [
        (opened["id"], "Security sector review", "AU")
    ]
    assert assigned[0]["request_id"] == opened["request_id"]
