"""Following a theme, country or region, on the real broker and both databases: the
follow list's rules, and who among the followers hears of a lesson, a request and an
engagement on a followed term (never of what their role or tenancy would not let them
read). One stack for the whole story: its steps build on one another."""

from __future__ import annotations

import uuid
from typing import Any

from contracts.events import (
    EngagementAccepted,
    LessonPublished,
    LessonStatusChanged,
    ProductCataloged,
)
from shared.auth import Role
from shared.mailsink import MailSink
from tests.integration.notifications.conftest import (
    PORTAL,
    START,
    Notifications,
    status_changed,
    submitted,
)


def _id() -> str:
    return str(uuid.uuid4())


def lesson(
    lesson_id: str, sensitivity: str, *, title: str = "Voter registration"
) -> LessonPublished:
    return LessonPublished(
        lesson_id=lesson_id,
        title=title,
        summary="",
        themes=["ELECTORAL_ASSISTANCE"],
        countries=["MLI"],
        regions=["Africa"],
        sensitivity=sensitivity,
        published_at=START,
    )


def cataloged(code: str) -> ProductCataloged:
    return ProductCataloged(
        code=code, name=code, provider_unit="EAD", description="", request_form={},
        capacity=1, active=True, revision=1,
    )  # fmt: skip


async def follow(
    notifications: Notifications, headers: dict[str, str], kind: str, code: str
) -> Any:
    return await notifications.http.post(f"/follows/{kind}/{code}", headers=headers)


async def followed(notifications: Notifications, headers: dict[str, str]) -> list[dict[str, Any]]:
    page = await notifications.page(headers)
    return [
        item
        for item in page["items"]
        if item["kind"] in ("followed_lesson_changed", "followed_request_changed")
    ]


async def test_followers_hear_of_what_they_may_read_and_nothing_else(
    notifications: Notifications, smtp_server: MailSink
) -> None:
    analyst = notifications.headers(Role.hq_analyst, subject="analyst-1")
    minusma = notifications.client("MINUSMA")
    unmiss = notifications.client("UNMISS")

    # Only terms the platform uses may be followed, and following is a set.
    assert (await follow(notifications, analyst, "country", "MLI")).status_code == 422
    await notifications.feed(submitted(_id()), cataloged("ELECTORAL_ASSISTANCE"))
    for kind, code in (("country", "XYZ"), ("country", "mli"), ("region", "Atlantis")):
        refused = await follow(notifications, analyst, kind, code)
        assert refused.json()["detail"]["code"] == "BAD_USER_INPUT", (kind, code)
    assert (await follow(notifications, analyst, "planet", "MLI")).status_code == 422
    for headers in (analyst, minusma, unmiss):
        assert (await follow(notifications, headers, "country", "MLI")).status_code == 200
    again = await follow(notifications, analyst, "country", "MLI")
    assert [(f["kind"], f["code"]) for f in again.json()] == [("country", "MLI")]
    both = await follow(notifications, analyst, "theme", "ELECTORAL_ASSISTANCE")
    assert [f["code"] for f in both.json()] == ["MLI", "ELECTORAL_ASSISTANCE"]
    assert (
        await notifications.http.delete("/follows/theme/ELECTORAL_ASSISTANCE", headers=analyst)
    ).json() == again.json()
    assert (
        await notifications.http.delete("/follows/region/Africa", headers=analyst)
    ).status_code == 200

    # The analyst hears by e-mail too, in French.
    mail_on = await notifications.set_preferences(
        analyst, email_enabled=True, email_address="analyst@un.example.org", language="fr"
    )
    assert mail_on.status_code == 200, mail_on.text

    # A restricted lesson reaches the analyst, not the clients; an internal one all three.
    restricted, internal = _id(), _id()
    await notifications.feed(lesson(restricted, "restricted"), lesson(internal, "internal"))
    # (Two lessons, two keys: the broker may hand them over in either order.)
    assert {
        (n["subject_id"], n["params"]["change"]) for n in await followed(notifications, analyst)
    } == {(internal, "lesson_published"), (restricted, "lesson_published")}
    for client in (minusma, unmiss):
        assert [n["subject_id"] for n in await followed(notifications, client)] == [internal]
    [notice] = await followed(notifications, minusma)
    assert notice["link"] == f"/lessons/{internal}"
    assert notice["params"] == {
        "change": "lesson_published", "followed_kind": "country", "followed_code": "MLI"
    }  # fmt: skip

    # Published again: revised; archived: its followers hear of that too.
    await notifications.feed(
        lesson(internal, "internal", title="Voter registration, revised"),
        LessonStatusChanged(
            lesson_id=internal, from_status="published", to_status="archived",
            actor="hq_analyst::r", sensitivity="internal", changed_at=START,
        ),
    )  # fmt: skip
    changes = [n["params"]["change"] for n in await followed(notifications, unmiss)]
    assert changes == ["lesson_archived", "lesson_revised", "lesson_published"]

    # MINUSMA's request in Mali: MINUSMA and the analyst hear it opened, UNMISS does not.
    request_id = _id()
    engagement_id = _id()
    # Each waits for the one before: they travel on different topics.
    await notifications.feed(submitted(request_id))
    await notifications.feed(
        EngagementAccepted(
            engagement_id=engagement_id, request_id=request_id, routing_id=_id(),
            product_code="ELECTORAL_ASSISTANCE", accepted_by="provider:EA:p", accepted_at=START,
        )
    )  # fmt: skip
    await notifications.feed(status_changed(request_id, "closed", from_status="delivered"))
    for headers in (minusma, analyst):
        about_request = [
            (n["params"]["change"], n["subject_id"])
            for n in await followed(notifications, headers)
            if n["request_id"] == request_id
        ]
        assert about_request == [
            ("request_closed", None),
            ("engagement_opened", engagement_id),
            ("request_opened", None),
        ]
    assert all(n["request_id"] is None for n in await followed(notifications, unmiss))

    # Unfollowed: told nothing more.
    await notifications.http.delete("/follows/country/MLI", headers=minusma)
    await notifications.feed(lesson(_id(), "public"))
    assert len(await followed(notifications, minusma)) == 6
    assert len(await followed(notifications, unmiss)) == 4

    # The analyst's e-mails: one per notice, in French, with the portal's link.
    assert await notifications.send_mail() == len(await followed(notifications, analyst)) == 8
    subjects = [message["Subject"] for message in smtp_server.messages()]
    assert len(subjects) == 8
    assert "Enseignement publié (pays MLI) : Voter registration" in subjects
    assert "Demande ouverte (pays MLI) : Electoral needs assessment" in subjects
    bodies = [message.get_content() for message in smtp_server.messages()]
    assert any(f"{PORTAL}/lessons/{restricted}" in body for body in bodies)


async def test_a_region_whose_name_holds_a_slash_is_followed_and_unfollowed(
    notifications: Notifications,
) -> None:
    """The gateway percent-encodes every path segment (`/` as `%2F`); the service's
    route takes the rest of the path as the code, so such a region is reachable."""
    analyst = notifications.headers(Role.hq_analyst, subject="analyst-slash")
    region = "Great Lakes/Kivu"
    published = lesson(_id(), "internal").model_copy(update={"regions": [region]})
    await notifications.feed(published)
    path = "/follows/region/Great%20Lakes%2FKivu"
    answer = await notifications.http.post(path, headers=analyst)
    assert answer.status_code == 200, answer.text
    assert [(f["kind"], f["code"]) for f in answer.json()] == [("region", region)]
    assert (await notifications.http.delete(path, headers=analyst)).json() == []
