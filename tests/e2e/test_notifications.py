"""Notifications end to end: the whole embedded stack (its local SMTP sink included),
through the one door: a client's preferences, the desk's public comment and a status
change told live over the subscription, listed with the unread count, marked read, and
e-mailed in the client's language with the link to the portal; nobody else's to read."""

from __future__ import annotations

import email
import email.policy
import uuid
from email.message import EmailMessage
from typing import Any

import pytest

from shared.auth import Role
from shared.runner import EmbeddedStack
from shared.testing.waiting import eventually
from tests.e2e.conftest import Door
from tests.e2e.test_lessons import publish_lesson

pytestmark = pytest.mark.e2e
SHARED_STACK = "e2e"

NOTIFICATION = "id kind title requestId params link read"
LIST = f"""query($unread: Boolean!) {{ notifications(first: 50, unreadOnly: $unread) {{
  unreadCount edges {{ cursor node {{ {NOTIFICATION} }} }} pageInfo {{ hasNextPage }} }} }}"""
PREFERENCES = "{ notificationPreferences { kinds emailEnabled emailAddress language version } }"
UPDATE = """mutation($v: Int!, $input: NotificationPreferencesInput!) {
  updateNotificationPreferences(expectedVersion: $v, input: $input) {
    kinds emailEnabled emailAddress language version } }"""
READ = f"mutation($id: ID!) {{ markNotificationRead(id: $id) {{ {NOTIFICATION} }} }}"
READ_ALL = "mutation { markAllNotificationsRead { marked unreadCount } }"
RECEIVED = f"subscription {{ notificationReceived {{ {NOTIFICATION} }} }}"
SUBMIT = "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id version } }"
COMMENT = """mutation($id: ID!, $body: String!, $internal: Boolean!) {
  commentOnRequest(id: $id, body: $body, internal: $internal) { id } }"""
REJECT = """mutation($id: ID!, $v: Int!) {
  rejectRequest(id: $id, expectedVersion: $v, reason: "Outside the mandate") { status } }"""
VERSION = "query($id: ID!) { request(id: $id) { version } }"


def mails_to(stack: EmbeddedStack, address: str) -> list[EmailMessage]:
    found = []
    for path in sorted(stack.mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if message["To"] == address:
            found.append(message)
    return found


def codes(answer: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in answer.get("errors", [])]


async def test_a_client_is_told_live_in_app_and_by_email_and_nobody_else(
    stack: EmbeddedStack, door: Door
) -> None:
    me = door.headers(Role.client, client="UNCT_YEMEN", subject=f"liaison-{uuid.uuid4().hex[:8]}")
    colleague_elsewhere = door.headers(Role.client, client="MINUSMA", subject="liaison-x")
    officer = door.headers(Role.desk_officer, desk="MIDDLE_EAST_WEST_ASIA")
    address = f"{uuid.uuid4().hex[:8]}@unct-yemen.example.org"

    current = (await door.call(PREFERENCES, me))["data"]["notificationPreferences"]
    wanted = {
        "kinds": current["kinds"],
        "emailEnabled": True,
        "emailAddress": address,
        "language": "ES",
    }
    # Bad input gets a clear error and changes nothing.
    stale = await door.call(UPDATE, me, v=current["version"] + 5, input=wanted)
    assert codes(stale) == ["VERSION_CONFLICT"]
    bad = await door.call(UPDATE, me, v=current["version"], input={**wanted, "emailAddress": "x"})
    assert codes(bad) == ["BAD_USER_INPUT"]
    assert (await door.call(PREFERENCES, me))["data"]["notificationPreferences"] == current
    updated = await door.call(UPDATE, me, v=current["version"], input=wanted)
    assert updated["data"]["updateNotificationPreferences"]["version"] == current["version"] + 1

    async with door.listening(me["Authorization"], RECEIVED, {}) as received:
        submitted = await door.call(
            SUBMIT,
            me,
            input={
                "title": "Advice on a ceasefire monitoring mechanism",
                "description": "Which office can help us?",
                "urgency": "ROUTINE",
            },
        )
        request_id = submitted["data"]["submitRequest"]["id"]
        for internal in (True, False):  # the internal note tells the client nothing
            said = await door.call(
                COMMENT, officer, id=request_id, body="We are on it.", internal=internal
            )
            assert "errors" not in said, said
        first = (await received.next_data(timeout_s=30))["notificationReceived"]
        assert (first["kind"], first["requestId"]) == ("PUBLIC_COMMENT", request_id)

        version = (await door.call(VERSION, officer, id=request_id))["data"]["request"]["version"]
        assert "errors" not in await door.call(REJECT, officer, id=request_id, v=version)
        second = (await received.next_data(timeout_s=30))["notificationReceived"]
        assert second["kind"] == "REQUEST_STATUS_CHANGED"
        assert second["params"] == {"from_status": "submitted", "to_status": "rejected"}

    listed = (await door.call(LIST, me, unread=True))["data"]["notifications"]
    mine = [edge["node"] for edge in listed["edges"] if edge["node"]["requestId"] == request_id]
    assert [n["kind"] for n in mine] == ["REQUEST_STATUS_CHANGED", "PUBLIC_COMMENT"]
    assert listed["unreadCount"] >= 2

    # Another client can neither read nor mark it; the error says why, with a code.
    refused = await door.call(READ, colleague_elsewhere, id=mine[0]["id"])
    assert codes(refused) == ["NOTIFICATION_NOT_FOUND"]
    malformed = await door.call(READ, me, id="not-a-uuid")
    assert codes(malformed) == ["BAD_USER_INPUT"]

    read = (await door.call(READ, me, id=mine[0]["id"]))["data"]["markNotificationRead"]
    assert read["read"] is True
    after_one = (await door.call(LIST, me, unread=False))["data"]["notifications"]
    assert after_one["unreadCount"] == listed["unreadCount"] - 1
    done = (await door.call(READ_ALL, me))["data"]["markAllNotificationsRead"]
    assert done == {"marked": listed["unreadCount"] - 1, "unreadCount": 0}

    # The e-mails reached the stack's SMTP sink (var/mail/), in Spanish, with the link.
    mails = await eventually(lambda: _at_least(stack, address, 2), timeout_s=30)
    subjects = sorted(str(message["Subject"]) for message in mails)
    assert subjects == [
        "Nuevo comentario en su solicitud: Advice on a ceasefire monitoring mechanism",
        "Su solicitud está ahora en rejected: Advice on a ceasefire monitoring mechanism",
    ]
    portal = stack.graphql_url.removesuffix("/graphql")
    assert all(f"{portal}/requests/{request_id}" in m.get_content() for m in mails)


async def _at_least(stack: EmbeddedStack, address: str, count: int) -> list[EmailMessage] | None:
    found = mails_to(stack, address)
    return found if len(found) >= count else None


MAIL_QUEUE = """query($status: [MailStatus!]) { mailQueue(status: $status) {
  id notificationId toAddress language subject status attempts lastError sentAt } }"""
RETRY_MAIL = "mutation($id: ID!) { retryMail(id: $id) { id status } }"


async def test_an_admin_reads_the_mail_queue_and_only_a_dead_mail_is_retried(
    stack: EmbeddedStack, door: Door
) -> None:
    me = door.headers(Role.client, client="MINUSMA", subject=f"liaison-{uuid.uuid4().hex[:8]}")
    admin = door.headers(Role.admin)
    address = f"{uuid.uuid4().hex[:8]}@minusma.example.org"
    current = (await door.call(PREFERENCES, me))["data"]["notificationPreferences"]
    wanted = {"kinds": current["kinds"], "emailEnabled": True, "emailAddress": address}
    assert "errors" not in await door.call(UPDATE, me, v=current["version"], input=wanted)
    submitted = await door.call(
        SUBMIT, me, input={"title": "Mail queue", "description": "?", "urgency": "ROUTINE"}
    )
    request_id = submitted["data"]["submitRequest"]["id"]
    officer = door.headers(Role.desk_officer, desk="AFRICA_II")
    said = await door.call(COMMENT, officer, id=request_id, body="Noted.", internal=False)
    assert "errors" not in said, said
    await eventually(lambda: _at_least(stack, address, 1), timeout_s=30)

    sent = (await door.call(MAIL_QUEUE, admin, status=["SENT"]))["data"]["mailQueue"]
    [mine] = [mail for mail in sent if mail["toAddress"] == address]
    assert (mine["status"], mine["attempts"], mine["language"]) == ("SENT", 1, "EN")
    assert mine["subject"].endswith("Mail queue") and mine["sentAt"]

    assert codes(await door.call(MAIL_QUEUE, me)) == ["FORBIDDEN"]
    assert codes(await door.call(RETRY_MAIL, me, id=mine["id"])) == ["FORBIDDEN"]
    assert codes(await door.call(RETRY_MAIL, admin, id="../mail")) == ["BAD_USER_INPUT"]
    assert codes(await door.call(RETRY_MAIL, admin, id=mine["id"])) == ["ILLEGAL_TRANSITION"]
    assert len(mails_to(stack, address)) == 1


FOLLOW = "mutation($kind: FollowKind!, $code: String!) { follow(kind: $kind, code: $code) { kind code } }"
FOLLOWED = (
    f"""{{ notifications(first: 50) {{ edges {{ node {{ {NOTIFICATION} subjectId }} }} }} }}"""
)


async def test_a_follower_hears_of_a_lesson_on_their_country_only_if_they_may_read_it(
    stack: EmbeddedStack, door: Door
) -> None:
    tag = uuid.uuid4().hex[:8]
    analyst = door.headers(Role.hq_analyst, subject=f"analyst-{tag}")
    client = door.headers(Role.client, client="MINUSMA", subject=f"liaison-{tag}")
    address = f"analyst-{tag}@un.example.org"
    current = (await door.call(PREFERENCES, analyst))["data"]["notificationPreferences"]
    wanted = {"kinds": current["kinds"], "emailEnabled": True, "emailAddress": address}
    assert "errors" not in await door.call(UPDATE, analyst, v=current["version"], input=wanted)
    assert codes(await door.call(FOLLOW, analyst, kind="COUNTRY", code="ATL")) == ["BAD_USER_INPUT"]

    def lesson(title: str, sensitivity: str) -> dict[str, Any]:
        return {
            "title": title, "summary": "", "body": "", "themes": ["ELECTORAL_ASSISTANCE"],
            "countries": ["MLI"], "regions": [], "sensitivity": sensitivity,
        }  # fmt: skip

    # Mali is a term the platform uses once a lesson (or a request) names it.
    await publish_lesson(door, **lesson(f"Mali known {tag}", "PUBLIC"))

    async def both_follow() -> bool:
        answers = [
            await door.call(FOLLOW, headers, kind="COUNTRY", code="MLI")
            for headers in (analyst, client)
        ]
        return all("errors" not in answer for answer in answers)

    await eventually(both_follow, timeout_s=30, interval_s=0.2)

    restricted = await publish_lesson(door, **lesson(f"Restricted {tag}", "RESTRICTED"))
    internal = await publish_lesson(door, **lesson(f"Internal {tag}", "INTERNAL"))

    mine = {restricted, internal}

    async def notices(headers: dict[str, str], count: int) -> list[str] | None:
        """The notices of this test's lessons (other modules on this shared stack publish
        lessons on Mali too, and a follower of Mali hears of those as well)."""
        listed = (await door.call(FOLLOWED, headers))["data"]["notifications"]["edges"]
        found = sorted(
            edge["node"]["subjectId"]
            for edge in listed
            if edge["node"]["kind"] == "FOLLOWED_LESSON_CHANGED"
            and edge["node"]["subjectId"] in mine
        )
        return found if len(found) >= count else None

    assert await eventually(lambda: notices(analyst, 2), timeout_s=30, interval_s=0.2) == sorted(
        [restricted, internal]
    )
    # Both were handled for the analyst: the client was told of the one it may read only.
    assert await notices(client, 1) == [internal]

    async def my_mails() -> list[str] | None:
        subjects = sorted(str(m["Subject"]) for m in mails_to(stack, address))
        # Not "Mali known": a follow may land before that lesson's publication does.
        ours = [s for s in subjects if s.endswith((f"Internal {tag}", f"Restricted {tag}"))]
        return ours if len(ours) >= 2 else None

    assert await eventually(my_mails, timeout_s=30) == [
        f"Lesson published (country MLI): Internal {tag}",
        f"Lesson published (country MLI): Restricted {tag}",
    ]
