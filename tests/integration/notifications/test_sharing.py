"""Per-audience sharing in the notifications (docs/sharing.md): a request's life told to
its client, its owner, the desk chief, a provider and a partner, in-app and by e-mail
to a real SMTP server on loopback. Every event carries, in a field no notification may
tell, a marked text; none reaches anyone, every notification is what its recipient's
audience may read of its record (services/notifications/sharing.py), and every e-mail
is that notification rendered, nothing more."""

from __future__ import annotations

import uuid
from datetime import timedelta

from contracts.enums import ApprovalDecision, Language, NotificationKind, SlaClock, Urgency
from contracts.events import (
    AssessmentTaskAssigned,
    EngagementProposed,
    Event,
    RequestApprovalDecided,
    RequestApprovalRequested,
    RequestAssigned,
    RequestCommentAdded,
    RequestReopened,
    RequestSlaBreached,
)
from services.notifications.domain import Draft
from services.notifications.messages import render_mail
from services.notifications.sharing import told
from shared.mailsink import MailSink
from tests.integration.notifications.conftest import (
    CHIEF,
    PORTAL,
    START,
    Notifications,
    status_changed,
    submitted,
)

EA = "ELECTORAL_ASSISTANCE"
# In every field of the events that no notification may tell its recipient.
SECRET = "NOT-FOR-THIS-AUDIENCE"


def life_of_a_request(request_id: str) -> list[Event]:
    approval_id, assessment_id = str(uuid.uuid4()), str(uuid.uuid4())
    return [
        submitted(request_id).model_copy(update={"description": f"{SECRET} description"}),
        RequestAssigned(
            request_id=request_id,
            client_code="MINUSMA",
            desk_code="AFRICA_II",
            owner="amina",
            assigned_by="desk_officer:AFRICA_II:amina",
            assigned_at=START,
        ),
        status_changed(request_id, "triaged").model_copy(
            update={"reason": f"{SECRET} the desk's triage note", "satisfaction_score": 1}
        ),
        RequestCommentAdded(
            request_id=request_id,
            comment_id=str(uuid.uuid4()),
            client_code="MINUSMA",
            desk_code="AFRICA_II",
            author=f"desk_officer:AFRICA_II:{SECRET}",
            author_role="desk_officer",
            added_at=START,
        ),
        RequestApprovalRequested(
            request_id=request_id,
            approval_id=approval_id,
            client_code="MINUSMA",
            desk_code="AFRICA_II",
            urgency=Urgency.immediate,
            rules=["Immediate requests"],
            requested_at=START,
        ),
        RequestApprovalDecided(
            request_id=request_id,
            approval_id=approval_id,
            client_code="MINUSMA",
            desk_code="AFRICA_II",
            decision=ApprovalDecision.approved,
            comment=f"{SECRET} the chief's comment",
            decided_by=f"desk_officer:AFRICA_II:{CHIEF}",
            decided_at=START,
        ),
        RequestSlaBreached(
            request_id=request_id,
            client_code="MINUSMA",
            desk_code="AFRICA_II",
            clock=SlaClock.triage,
            urgency=Urgency.priority,
            due_at=START + timedelta(days=1),
            breached_at=START + timedelta(days=1),
            escalated_to="desk_chief:AFRICA_II",
        ),
        EngagementProposed(
            engagement_id=str(uuid.uuid4()),
            request_id=request_id,
            routing_id=str(uuid.uuid4()),
            product_code=EA,
            proposed_at=START,
        ),
        AssessmentTaskAssigned(
            assessment_id=assessment_id,
            task_id=str(uuid.uuid4()),
            request_id=request_id,
            title="Map the electoral commission's logistics",
            lead="AU",
            assigned_by=f"desk_officer:AFRICA_II:{SECRET}",
            assigned_at=START,
        ),
        RequestReopened(
            request_id=request_id,
            client_code="MINUSMA",
            desk_code="AFRICA_II",
            owner="amina",
            from_status="closed",
            reason="The report misses Gao",
            reopened_by=f"client:MINUSMA:{SECRET}",
            reopened_at=START,
        ),
    ]


async def test_no_notification_or_email_tells_its_recipient_more_than_the_policy(
    notifications: Notifications, smtp_server: MailSink
) -> None:
    recipients = {
        "client": notifications.client(),
        "owner": notifications.officer("amina"),
        "chief": notifications.officer(CHIEF),
        "provider": notifications.provider(EA),
        "partner": notifications.partner("AU"),
    }
    for name, headers in recipients.items():
        response = await notifications.set_preferences(
            headers, email_enabled=True, email_address=f"{name}@example.org", language="en"
        )
        assert response.status_code == 200, response.text
    request_id = str(uuid.uuid4())
    await notifications.feed(*life_of_a_request(request_id))
    while await notifications.send_mail():  # every e-mail, a batch a tick
        pass

    stored = {n.id: n for n in await notifications.notifications_stored()}
    for notification in stored.values():
        draft = Draft(
            notification.audience,
            NotificationKind(notification.kind),
            notification.title,
            notification.link,
            params=dict(notification.params),
        )
        assert told(draft) == draft, notification  # within its recipient's policy

    mails = smtp_server.messages()
    for name, headers in recipients.items():
        items = (await notifications.page(headers))["items"]
        assert items, name  # each recipient was told something
        assert SECRET not in str(items), name
        assert {mail["To"] for mail in mails} >= {f"{name}@example.org"}
    kinds = {n.kind for n in stored.values()}
    assert kinds >= {
        "request_status_changed",
        "public_comment",
        "approval_requested",
        "approval_decided",
        "sla_breached",
        "engagement_proposed",
        "task_assigned",
        "request_reopened",
    }
    # Every e-mail is its notification rendered: nothing an event carried besides.
    assert len(mails) == len(await notifications.mails())
    for mail in mails:
        notification = stored[mail["X-OneDoor-Notification"]]
        rendered = render_mail(
            NotificationKind(notification.kind),
            Language.en,
            notification.title,
            notification.params,
            PORTAL + notification.link,
        )
        body = mail.get_content().replace("\r\n", "\n")  # as SMTP carried it
        assert (mail["Subject"], body) == (rendered.subject, rendered.body)
        assert SECRET not in mail.as_string()
