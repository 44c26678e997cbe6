"""Who is told what, in-app: events of the other services on the real broker become
notifications their audience reads, marks read and filters; nobody else sees them."""

from __future__ import annotations

import uuid
from datetime import timedelta

from contracts.events import (
    AssessmentTaskAssigned,
    EngagementProposed,
    RequestAssigned,
    RequestCommentAdded,
    RequestDisputed,
    RequestMerged,
    RequestReopened,
    RequestSlaBreached,
    SlaClock,
    Urgency,
)
from tests.integration.notifications.conftest import (
    CHIEF,
    START,
    Notifications,
    status_changed,
    submitted,
)


def _id() -> str:
    return str(uuid.uuid4())


def comment(request_id: str, author_role: str) -> RequestCommentAdded:
    return RequestCommentAdded(
        request_id=request_id,
        comment_id=_id(),
        client_code="MINUSMA",
        desk_code="AFRICA_II",
        author=f"{author_role}:X:someone",
        author_role=author_role,
        added_at=START,
    )


async def test_a_status_change_reaches_the_requests_client_and_no_other(
    notifications: Notifications,
) -> None:
    request_id = _id()
    await notifications.feed(submitted(request_id), status_changed(request_id, "triaged"))

    page = await notifications.page(notifications.client("MINUSMA"))
    assert page["unread_count"] == 1
    [item] = page["items"]
    assert item["kind"] == "request_status_changed"
    assert item["request_id"] == request_id
    assert item["title"] == "Electoral needs assessment"
    assert item["params"] == {"from_status": "submitted", "to_status": "triaged"}
    assert item["link"] == f"/requests/{request_id}"
    assert item["read"] is False
    # The status change's reason is the desk's: it is not in the notification.
    assert "internal triage note" not in str(item)

    # Another person of the same client sees it too; another client, a desk, a provider
    # and a partner do not.
    assert (await notifications.page(notifications.client("MINUSMA", "liaison-2")))[
        "unread_count"
    ] == 1
    for other in (
        notifications.client("GOV_SIERRA_LEONE"),
        notifications.officer("amina"),
        notifications.provider("ELECTORAL_ASSISTANCE"),
        notifications.partner("AU"),
    ):
        assert (await notifications.page(other)) == {
            "items": [],
            "unread_count": 0,
            "has_next_page": False,
            "end_cursor": None,
        }


async def test_nobody_reads_or_marks_another_persons_notification(
    notifications: Notifications,
) -> None:
    request_id = _id()
    await notifications.feed(submitted(request_id), status_changed(request_id, "triaged"))
    [item] = (await notifications.page(notifications.client("MINUSMA")))["items"]
    stranger = notifications.client("GOV_SIERRA_LEONE")

    for response in (
        await notifications.http.get(f"/notifications/{item['id']}", headers=stranger),
        await notifications.http.post(f"/notifications/{item['id']}/read", headers=stranger),
    ):
        assert response.status_code == 404
        assert response.json()["detail"]["code"] == "NOTIFICATION_NOT_FOUND"
    # The stranger's "read all" marks only their own (none).
    read_all = await notifications.http.post("/notifications/read", headers=stranger)
    assert read_all.json() == {"marked": 0, "unread_count": 0}
    assert (await notifications.page(notifications.client("MINUSMA")))["unread_count"] == 1


async def test_comments_tell_the_client_of_the_desks_words_not_of_its_own(
    notifications: Notifications,
) -> None:
    request_id = _id()
    await notifications.feed(
        submitted(request_id), comment(request_id, "client"), comment(request_id, "desk_officer")
    )
    page = await notifications.page(notifications.client())
    assert [item["kind"] for item in page["items"]] == ["public_comment"]
    assert page["items"][0]["params"] == {"author_role": "desk_officer"}


async def test_a_breach_reaches_the_owner_and_the_desk_chief_only(
    notifications: Notifications,
) -> None:
    request_id = _id()
    assigned = RequestAssigned(
        request_id=request_id,
        client_code="MINUSMA",
        desk_code="AFRICA_II",
        owner="amina",
        assigned_by="desk_officer:AFRICA_II:amina",
        assigned_at=START,
    )
    breached = RequestSlaBreached(
        request_id=request_id,
        client_code="MINUSMA",
        desk_code="AFRICA_II",
        clock=SlaClock.triage,
        urgency=Urgency.priority,
        due_at=START + timedelta(days=1),
        breached_at=START + timedelta(days=1),
        escalated_to="desk_chief:AFRICA_II",
    )
    await notifications.feed(submitted(request_id), assigned, breached)

    for subject in ("amina", CHIEF):
        [item] = (await notifications.page(notifications.officer(subject)))["items"]
        assert item["kind"] == "sla_breached"
        assert item["params"]["clock"] == "triage"
    for outsider in (
        notifications.officer("kofi"),  # a colleague at the same desk
        notifications.officer("amina", desk="AFRICA_I"),  # the same name at another desk
        notifications.client(),
    ):
        assert (await notifications.page(outsider))["items"] == []


async def test_a_provider_hears_of_engagements_of_its_products_a_partner_of_its_tasks(
    notifications: Notifications,
) -> None:
    request_id, assessment_id = _id(), _id()
    proposed = EngagementProposed(
        engagement_id=_id(),
        request_id=request_id,
        routing_id=_id(),
        product_code="ELECTORAL_ASSISTANCE",
        proposed_at=START,
    )
    task = AssessmentTaskAssigned(
        assessment_id=assessment_id,
        task_id=_id(),
        request_id=request_id,
        title="Map the electoral commission's logistics",
        lead="AU",
        assigned_by="desk_officer:AFRICA_II:amina",
        assigned_at=START,
    )
    await notifications.feed(submitted(request_id), proposed, task)

    [engagement] = (
        await notifications.page(notifications.provider("RULE_OF_LAW", "ELECTORAL_ASSISTANCE"))
    )["items"]
    assert engagement["kind"] == "engagement_proposed"
    assert engagement["subject_id"] == proposed.engagement_id
    assert (await notifications.page(notifications.provider("RULE_OF_LAW")))["items"] == []

    [assigned] = (await notifications.page(notifications.partner("AU")))["items"]
    assert assigned["kind"] == "task_assigned"
    # The partner reads the task's title and is sent to the assessment, not the request.
    assert assigned["title"] == "Map the electoral commission's logistics"
    assert assigned["link"] == f"/assessments/{assessment_id}"
    assert (await notifications.page(notifications.partner("WB")))["items"] == []


async def test_marking_read_one_and_all_and_paging(notifications: Notifications) -> None:
    request_id = _id()
    statuses = ["triaged", "in_progress", "delivered", "closed"]
    await notifications.feed(
        submitted(request_id), *(status_changed(request_id, s) for s in statuses)
    )
    me = notifications.client()
    first = await notifications.page(me, first=3)
    assert [i["params"]["to_status"] for i in first["items"]] == [
        "closed",
        "delivered",
        "in_progress",
    ]
    assert first["has_next_page"] is True and first["unread_count"] == 4
    rest = await notifications.page(me, first=3, after=first["end_cursor"])
    assert [i["params"]["to_status"] for i in rest["items"]] == ["triaged"]
    assert rest["has_next_page"] is False

    newest = first["items"][0]["id"]
    for _twice in range(2):  # marking read again changes nothing
        read = await notifications.http.post(f"/notifications/{newest}/read", headers=me)
        assert read.status_code == 200 and read.json()["read"] is True
        assert (await notifications.page(me))["unread_count"] == 3
    unread = await notifications.page(me, unread_only="true")
    assert newest not in [i["id"] for i in unread["items"]]

    read_all = await notifications.http.post("/notifications/read", headers=me)
    assert read_all.json() == {"marked": 3, "unread_count": 0}
    # Other persons of the client keep their own unread notifications.
    assert (await notifications.page(notifications.client(subject="liaison-2")))[
        "unread_count"
    ] == 4
    # Later ones are unread again.
    await notifications.feed(status_changed(request_id, "closed", from_status="delivered"))
    assert (await notifications.page(me))["unread_count"] == 1


async def test_a_redelivered_event_notifies_once(notifications: Notifications) -> None:
    request_id = _id()
    changed = status_changed(request_id, "triaged")
    await notifications.feed(submitted(request_id))
    await notifications.feed(changed, event_id="evt-status-1")
    await notifications.feed(changed, event_id="evt-status-1")
    assert len(await notifications.notifications_stored()) == 1


async def test_a_reopening_and_a_dispute_reach_the_owner_or_the_whole_desk(
    notifications: Notifications,
) -> None:
    owned, unowned = _id(), _id()
    reopened = RequestReopened(
        request_id=owned,
        client_code="MINUSMA",
        desk_code="AFRICA_II",
        owner="amina",
        from_status="closed",
        reason="The report misses Gao",
        reopened_by="client:MINUSMA:focal",
        reopened_at=START,
    )
    disputed = RequestDisputed(
        request_id=unowned,
        client_code="MINUSMA",
        desk_code="AFRICA_II",
        owner=None,
        from_status="delivered",
        reason="Wrong election",
        disputed_by="client:MINUSMA:focal",
        disputed_at=START,
    )
    await notifications.feed(submitted(owned), submitted(unowned), reopened, disputed)

    amina = (await notifications.page(notifications.officer("amina")))["items"]
    assert sorted((item["kind"], item["request_id"]) for item in amina) == sorted(
        [("request_reopened", owned), ("delivery_disputed", unowned)]
    )
    [dispute] = (await notifications.page(notifications.officer("kofi")))["items"]
    assert (dispute["kind"], dispute["params"]["reason"]) == ("delivery_disputed", "Wrong election")
    assert (await notifications.page(notifications.officer("amina", desk="AFRICA_I")))[
        "items"
    ] == []
    assert (await notifications.page(notifications.client()))["items"] == []


async def test_a_merge_tells_each_client_of_its_own_request_only(
    notifications: Notifications,
) -> None:
    survivor, duplicate = _id(), _id()
    merged = RequestMerged(
        request_id=duplicate,
        survivor_id=survivor,
        client_code="UNCT_MALI",
        survivor_client_code="MINUSMA",
        desk_code="AFRICA_II",
        merged_by="desk_officer:AFRICA_II:amina",
        merged_at=START,
    )
    await notifications.feed(
        submitted(survivor).model_copy(update={"title": "Voter registration audit"}),
        submitted(duplicate, client="UNCT_MALI").model_copy(update={"title": "Census of voters"}),
        # The duplicate's move to merged is told by the merge, not as a status change.
        status_changed(duplicate, "merged", client="UNCT_MALI", from_status="triaged"),
    )
    await notifications.feed(merged)  # keyed by the duplicate: after both are known

    for client, request_id, title in (
        ("MINUSMA", survivor, "Voter registration audit"),
        ("UNCT_MALI", duplicate, "Census of voters"),
    ):
        [item] = (await notifications.page(notifications.client(client)))["items"]
        assert (item["kind"], item["request_id"], item["title"]) == (
            "request_merged",
            request_id,
            title,
        )
        assert item["link"] == f"/requests/{request_id}"
