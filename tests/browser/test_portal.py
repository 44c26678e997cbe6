"""People walking through the one door, in a real browser against the whole stack:
a host-country liaison, a desk officer, a provider, a partner and an HQ analyst, each
signing in on the portal's embedded sign-in page and working in their own screens;
the same screens in Arabic; a client editing the URL to reach someone else's request;
a session that expires without losing a draft. Every main page is checked with axe."""

from __future__ import annotations

import asyncio
import csv
import email
import email.policy
import io
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from shared.auth import Role
from shared.runner import EmbeddedStack
from shared.testing.waiting import eventually
from tests.browser.conftest import Door, assert_accessible, live_subscription, screenshot, sign_in

pytestmark = pytest.mark.e2e

PRODUCT = "query($code: ProductCode!) { product(code: $code) { revision autoAccept } }"
UPDATE_PRODUCT = """
mutation($code: ProductCode!, $input: ProductChangeInput!) {
  updateProduct(code: $code, input: $input) { autoAccept } }
"""
SUBMIT = "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id } }"
REQUEST = """
query($id: ID!) { request(id: $id) { status version
  engagements { id productCode status version }
  routings { id productCode status } } }
"""
ACCEPT = (
    "mutation($id: ID!, $v: Int!) { acceptEngagement(id: $id, expectedVersion: $v) { status } }"
)
OPEN_ASSESSMENT = "mutation($input: OpenAssessmentInput!) { openAssessment(input: $input) { id } }"
ASSESSMENT_VERSION = "query($id: ID!) { assessment(id: $id) { version } }"
ACTIVATE = """
mutation($id: ID!, $v: Int!) { activateAssessment(id: $id, expectedVersion: $v) { status } }
"""
UNMET = """
query($desk: String!) { unmetDemandRecords(deskCode: $desk) { requestId productCode note } }
"""
CREATE_LESSON = "mutation($input: LessonInput!) { createLesson(input: $input) { id version } }"
SUBMIT_LESSON = (
    "mutation($id: ID!, $v: Int!) { submitLesson(id: $id, expectedVersion: $v) { version } }"
)
WHO_IN_BURUNDI = (
    '{ whoDoesWhat(filter: {country: "BDI"}) { items { partyKind status clientCode } } }'
)
APPROVE_LESSON = (
    "mutation($id: ID!, $v: Int!) { approveLesson(id: $id, expectedVersion: $v) { status } }"
)
TRANSLATE = """mutation($input: LessonInput!, $of: ID!) {
  createLesson(input: $input, translationOf: $of) { id version } }"""


def data(answer: dict[str, Any]) -> Any:
    assert not answer.get("errors"), answer
    return answer["data"]


@pytest.fixture(scope="module", autouse=True)
async def providers_decide(door: Door) -> None:
    """Providers answer each proposal themselves here (the seeded catalog auto-accepts),
    so the tests can watch acceptances and declines arrive."""
    admin = door.headers(Role.admin)
    for code in ("ELECTORAL_ASSISTANCE", "RULE_OF_LAW", "MEDIATION_SUPPORT"):
        product = data(await door.call(PRODUCT, admin, code=code))["product"]
        change = {"expectedVersion": product["revision"], "autoAccept": False}
        data(await door.call(UPDATE_PRODUCT, admin, code=code, input=change))


async def open_once_known(door: Door, desk: dict[str, str], opening: dict[str, Any]) -> Any:
    """Open an assessment as soon as partnerships has consumed the request's event (it
    answers REQUEST_NOT_FOUND until then; on a loaded machine that takes a moment)."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        answer = await door.call(OPEN_ASSESSMENT, desk, input=opening)
        codes = [error.get("extensions", {}).get("code") for error in answer.get("errors", [])]
        if codes != ["REQUEST_NOT_FOUND"] or asyncio.get_running_loop().time() > deadline:
            return answer
        await asyncio.sleep(0.2)


async def submit_as_client(door: Door, client: str, title: str, **extra: Any) -> str:
    headers = door.headers(Role.client, client=client)
    answer = await door.call(SUBMIT, headers, input={"title": title, **extra})
    return str(data(answer)["submitRequest"]["id"])


async def test_a_liaison_submits_and_sees_routing_and_acceptance_live(
    page: Page, door: Door
) -> None:
    await sign_in(page, "client", "GOV_SIERRA_LEONE")
    await expect(page.get_by_role("heading", name="My requests")).to_be_visible()
    await page.get_by_role("link", name="New request").first.click()
    await page.get_by_label("Title *").fill("Support to the 2028 general elections")
    await page.get_by_label("Description").fill("The electoral commission asked for advice.")
    await page.get_by_label("Urgency").select_option("PRIORITY")
    await page.get_by_label("Electoral assistance").check()
    await page.get_by_label("Election date *").fill("2028-06-24")
    await assert_accessible(page)
    # Without the required election type the desks service refuses the details; the
    # portal shows its message beside the field it concerns.
    await page.get_by_role("button", name="Submit the request").click()
    election_type = page.get_by_label("Election type *")
    await expect(election_type).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#details-ELECTORAL_ASSISTANCE-election_type-error")).to_have_text(
        "This field is required."
    )
    await screenshot(page, "client-new-request-invalid")
    await election_type.select_option("general")
    await page.get_by_role("button", name="Submit the request").click()

    await expect(
        page.get_by_role("heading", name="Support to the 2028 general elections")
    ).to_be_visible()
    engagement = page.locator("li[data-product=ELECTORAL_ASSISTANCE]")
    await expect(engagement).to_contain_text(re.compile("Routed|Proposed"))
    await expect(page.locator(".request .status").first).to_have_text("Routed")
    await live_subscription(page, "requestUpdated")

    request_id = page.url.rsplit("/", 1)[-1]
    provider = door.headers(Role.provider, products=["ELECTORAL_ASSISTANCE"])
    proposed = data(await door.call(REQUEST, provider, id=request_id))["request"]["engagements"][0]
    data(await door.call(ACCEPT, provider, id=proposed["id"], v=proposed["version"]))

    # No reload: the acceptance arrives over the websocket.
    await expect(engagement).to_contain_text("Accepted")
    await expect(page.locator(".request .status").first).to_have_text("In progress")
    await expect(page.locator(".facts")).to_contain_text("Africa II")
    await screenshot(page, "client-request-accepted-live")
    await assert_accessible(page)


async def test_a_desk_triages_into_two_engagements_a_provider_declines_one_and_the_desk_records_unmet_demand(
    browser_page_pair: tuple[Page, Page], door: Door
) -> None:
    desk_page, provider_page = browser_page_pair
    request_id = await submit_as_client(
        door,
        "MINUSMA",
        "Advice on the peace agreement's justice chapter",
        description="No products named.",
    )
    await sign_in(desk_page, "desk_officer", "AFRICA_II")
    await expect(desk_page.get_by_role("heading", name="Desk queue")).to_be_visible()
    await assert_accessible(desk_page)
    await screenshot(desk_page, "desk-queue")
    await desk_page.get_by_role(
        "link", name="Advice on the peace agreement's justice chapter"
    ).click()
    await desk_page.get_by_label("Owner").fill("a.diallo")
    await desk_page.get_by_role("button", name="Triage").click()
    await expect(desk_page.locator(".request .status").first).to_have_text("Triaged")
    await desk_page.get_by_label("Rule of law support").check()
    await desk_page.get_by_label("Mediation support").check()
    # Each product's request form appears as the officer picks it.
    await desk_page.get_by_label("Sector *").select_option("justice")
    await desk_page.get_by_label("Parties *").fill("Government\nArmed movements")
    await desk_page.get_by_label("Confidentiality *").select_option("confidential")
    await desk_page.get_by_role("button", name="Route", exact=True).click()
    await expect(desk_page.locator("ul.engagements li")).to_have_count(2)
    await assert_accessible(desk_page)
    await screenshot(desk_page, "desk-request-routed")

    await sign_in(provider_page, "provider", "RULE_OF_LAW")
    await expect(provider_page.get_by_role("heading", name="Provider queue")).to_be_visible()
    await provider_page.get_by_role(
        "link", name="Advice on the peace agreement's justice chapter"
    ).click()
    await provider_page.get_by_label("Reason for declining").select_option("CAPACITY")
    await provider_page.get_by_label("Explanation").fill(
        "Our justice advisers are all deployed until March."
    )
    await provider_page.get_by_role("button", name="Decline").click()
    await expect(provider_page.locator(".status").first).to_have_text("Declined")
    await screenshot(provider_page, "provider-declined")

    # The decline reaches the desk's page live; the officer records the unmet demand.
    note = desk_page.get_by_label("Note on the unmet demand")
    await expect(note).to_be_visible()
    await note.fill("No rule of law capacity until March; the mission was told.")
    await desk_page.get_by_role("button", name="Record unmet demand").click()
    await expect(note).to_have_count(0)
    await expect(desk_page.locator("li[data-product=RULE_OF_LAW]")).to_contain_text("Unmet demand")
    desk = door.headers(Role.desk_officer, desk="AFRICA_II")
    records = data(await door.call(UNMET, desk, desk="AFRICA_II"))["unmetDemandRecords"]
    assert {(r["requestId"], r["productCode"]) for r in records} >= {(request_id, "RULE_OF_LAW")}
    await screenshot(desk_page, "desk-unmet-demand")


async def test_a_desk_searches_its_queue_for_a_word_and_downloads_it(
    page: Page, door: Door
) -> None:
    searched = await submit_as_client(
        door, "MINUSMA", "Ballot logistics for the Timbuktu region", description="By river."
    )
    await submit_as_client(door, "MINUSMA", "Mediation between herders and farmers")
    await sign_in(page, "desk_officer", "AFRICA_II")
    await expect(page.get_by_role("heading", name="Desk queue")).to_be_visible()
    await page.get_by_role("searchbox", name="Search the queue").fill("timbuktu river")
    await page.get_by_role("button", name="Search", exact=True).click()
    rows = page.get_by_role("table").get_by_role("link")
    await expect(rows).to_have_count(1)
    await expect(rows).to_have_text("Ballot logistics for the Timbuktu region")
    assert (await rows.get_attribute("href") or "").endswith(searched)
    # The queue as CSV, with the search applied: a download through the door.
    async with page.expect_download() as started:
        await page.get_by_role("button", name="Download the queue (CSV)").click()
    download = await started.value
    assert download.suggested_filename == "desk-queue.csv"
    saved = await download.path()
    exported = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert [(row["id"], row["title"]) for row in exported] == [
        (searched, "Ballot logistics for the Timbuktu region")
    ]
    await page.get_by_role("searchbox", name="Search the queue").fill("?!")
    await page.get_by_role("button", name="Search", exact=True).click()
    await expect(page.get_by_role("alert")).to_contain_text("not valid")
    await assert_accessible(page)


async def test_a_partner_accepts_its_task_and_posts_findings(page: Page, door: Door) -> None:
    request_id = await submit_as_client(
        door, "MINUSMA", "Joint assessment of the electoral calendar"
    )
    desk = door.headers(Role.desk_officer, desk="AFRICA_II")
    scope = "Feasibility of the electoral calendar"
    task = {"title": "Review the voter registration plan", "lead": "AU"}
    opening = {"requestId": request_id, "partners": ["AU"], "scope": scope, "tasks": [task]}
    assessment = data(await open_once_known(door, desk, opening))
    await sign_in(page, "partner", "AU")
    await expect(page.get_by_role("heading", name=scope)).to_be_visible()
    await page.get_by_role("button", name="Accept the task").click()
    await expect(page.get_by_role("button", name="Accept the task")).to_have_count(0)
    # Every partner has taken its task: the desk starts the assessment, the partner sees it.
    assessment_id = assessment["openAssessment"]["id"]
    seen = data(await door.call(ASSESSMENT_VERSION, desk, id=assessment_id))["assessment"]
    data(await door.call(ACTIVATE, desk, id=assessment_id, v=seen["version"]))
    await page.get_by_role("button", name="Refresh").click()
    findings = "Registration can finish by May if two more mobile teams are funded."
    await page.get_by_label("Findings (or reason for declining)").fill(findings)
    await page.get_by_role("button", name="Post the findings").click()
    await expect(page.locator(".findings")).to_have_text(findings)
    await assert_accessible(page)
    await screenshot(page, "partner-findings")


async def test_an_analyst_sees_a_new_lesson_arrive_in_the_feed_live(page: Page, door: Door) -> None:
    await sign_in(page, "hq_analyst")
    await expect(page.get_by_role("heading", name="Lessons learned")).to_be_visible()
    # The analyst follows the theme from the filters, and hears of its lesson in the bell.
    await page.get_by_label("Theme (product code)").fill("MEDIATION_SUPPORT")
    await page.get_by_role("button", name="Follow MEDIATION_SUPPORT").click()
    following = page.get_by_role("button", name="Following MEDIATION_SUPPORT")
    await expect(following).to_have_attribute("aria-pressed", "true")
    await live_subscription(page, "lessonPublished")
    provider = door.headers(Role.provider, products=["MEDIATION_SUPPORT"])
    analyst = door.headers(Role.hq_analyst)
    title = "Envoys need a standby mediation team within a week"
    content = {
        "title": title,
        "summary": "Talks stalled twice while experts were recruited.",
        "body": "## What happened\n\nRecruitment took **three weeks**.<script>alert(1)</script>",
        "themes": ["MEDIATION_SUPPORT"],
        "countries": ["LBY"],
        "sensitivity": "INTERNAL",
    }
    lesson = data(await door.call(CREATE_LESSON, provider, input=content))["createLesson"]
    version = data(await door.call(SUBMIT_LESSON, provider, id=lesson["id"], v=lesson["version"]))
    data(
        await door.call(
            APPROVE_LESSON, analyst, id=lesson["id"], v=version["submitLesson"]["version"]
        )
    )
    # Its French translation, linked to it and published the same way.
    french = "Les envoyés ont besoin d'une équipe de médiation en attente sous une semaine"
    translation = {**content, "title": french, "language": "fr"}
    created = data(await door.call(TRANSLATE, provider, input=translation, of=lesson["id"]))
    draft = {"id": created["createLesson"]["id"], "v": created["createLesson"]["version"]}
    sent = data(await door.call(SUBMIT_LESSON, provider, **draft))
    approved = {"id": draft["id"], "v": sent["submitLesson"]["version"]}
    data(await door.call(APPROVE_LESSON, analyst, **approved))

    link = page.get_by_role("link", name=title)
    await expect(link).to_be_visible()  # pushed by lessonPublished, no reload
    await page.get_by_role("button", name=re.compile(r"^Notifications")).click()
    notices = page.get_by_role("region", name="Notifications")
    notice = f"Lesson published (theme MEDIATION_SUPPORT): “{title}”"
    await expect(notices.get_by_role("link", name=notice)).to_be_visible()
    await page.get_by_role("button", name=re.compile(r"^Notifications")).click()
    await assert_accessible(page)
    await screenshot(page, "analyst-feed-live")
    await link.click()
    await expect(page.locator(".markdown h2")).to_have_text("What happened")
    await expect(page.locator(".markdown strong")).to_have_text("three weeks")
    assert await page.locator(".markdown script").count() == 0
    # The original names its translation; the translation leads back to the original.
    other_languages = page.get_by_role("navigation", name="Other languages")
    await other_languages.get_by_role("link", name=f"Français: {french}").click()
    await expect(page.get_by_role("heading", name=french)).to_have_attribute("lang", "fr")
    await (
        page.get_by_role("navigation", name="Other languages")
        .get_by_role("link", name="Original")
        .click()
    )
    await expect(page.get_by_role("heading", name=title)).to_be_visible()
    await expect(other_languages).to_contain_text("Translations")
    await screenshot(page, "lesson-and-its-translation")

    # The same page in Arabic reads right to left, its interface translated.
    await page.get_by_label("Language", exact=True).select_option("ar")
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page.locator("html")).to_have_attribute("lang", "ar")
    await page.get_by_role("link", name="الدروس").click()
    await expect(page.get_by_role("heading", name="الدروس المستفادة")).to_be_visible()
    await expect(page.get_by_role("link", name=title)).to_be_visible()
    await assert_accessible(page)
    await screenshot(page, "analyst-feed-arabic")


async def test_a_provider_writes_a_lesson_the_analyst_sends_it_back_then_publishes_it(
    browser_page_pair: tuple[Page, Page],
) -> None:
    writer_page, analyst_page = browser_page_pair
    await sign_in(writer_page, "provider", "RULE_OF_LAW")
    await writer_page.get_by_role("link", name="My lesson drafts").click()
    await writer_page.get_by_role("link", name="Write a lesson").click()
    title = "Mobile courts need their registrars before their judges"
    await writer_page.get_by_label("Title *").fill(title)
    await writer_page.get_by_label("Summary").fill("Hearings waited on the case files.")
    await writer_page.get_by_label("Text (Markdown)").fill(
        "## What happened\n\nFiles came **late**."
    )
    # A provider is offered only its own products as themes.
    themes = writer_page.get_by_role("group", name="Themes (products)")
    await expect(themes.get_by_role("checkbox")).to_have_count(1)
    await themes.get_by_role("checkbox", name="Rule of law support").check()
    await writer_page.get_by_label("Countries (ISO codes, separated by commas)").fill("cod, caf")
    await expect(writer_page.locator(".markdown strong")).to_have_text("late")  # the preview
    await assert_accessible(writer_page)
    await screenshot(writer_page, "provider-writes-a-lesson")
    await writer_page.get_by_role("button", name="Save the draft").click()
    await expect(writer_page.get_by_role("heading", name="Edit the draft")).to_be_visible()
    await expect(
        writer_page.get_by_label("Countries (ISO codes, separated by commas)")
    ).to_have_value("COD, CAF")
    await writer_page.get_by_role("button", name="Send to the reviewers").click()
    await expect(writer_page.get_by_role("heading", name="My lesson drafts")).to_be_visible()
    await expect(writer_page.locator(".lessons li", has_text=title)).to_contain_text("In review")

    await sign_in(analyst_page, "hq_analyst")
    await analyst_page.get_by_role("link", name="Drafts to review").click()
    await analyst_page.get_by_label("Review comment").fill("Say which registry lacked staff.")
    item = analyst_page.locator(".lessons li", has_text=title)
    await item.get_by_role("button", name="Send back").click()
    await expect(item.get_by_role("button", name="Send back")).to_have_count(0)

    await writer_page.get_by_role("button", name="Refresh").click()
    mine = writer_page.locator(".lessons li", has_text=title)
    await expect(mine).to_contain_text("Sent back by the reviewers: Say which registry")
    await mine.get_by_role("link", name="Edit the draft").click()
    body = writer_page.get_by_label("Text (Markdown)")
    await body.fill("## What happened\n\nThe Bunia registry had one clerk for 300 files.")
    await writer_page.get_by_role("button", name="Save the draft").click()
    await expect(writer_page.get_by_text("Draft saved.")).to_be_visible()
    await writer_page.get_by_role("button", name="Send to the reviewers").click()
    await expect(writer_page.get_by_role("heading", name="My lesson drafts")).to_be_visible()

    await analyst_page.get_by_role("link", name="Lessons", exact=True).click()
    await analyst_page.get_by_role("link", name="Drafts to review").click()
    await item.get_by_role("button", name="Approve and publish").click()
    await expect(item).to_have_count(0)
    await analyst_page.get_by_role("link", name="Lessons", exact=True).click()
    await analyst_page.get_by_role("link", name=title).click()
    await expect(analyst_page.locator(".markdown")).to_contain_text("one clerk for 300 files")
    await screenshot(analyst_page, "analyst-reads-the-revised-lesson")


async def test_a_client_cannot_reach_another_clients_request_by_editing_the_url(
    page: Page, door: Door
) -> None:
    secret = "MINUSMA's confidential request about the ceasefire"
    request_id = await submit_as_client(door, "MINUSMA", secret)
    # Typing the address loads the portal afresh: sign in, then land on that address.
    await page.goto(f"/requests/{request_id}")
    await page.get_by_label("Role").select_option("client")
    await page.locator("#sign-in-binding").fill("UNMISS")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"/requests/{request_id}")
    await expect(page.get_by_role("alert")).to_contain_text("does not exist or is not yours to see")
    await expect(page.get_by_text(secret)).to_have_count(0)
    await screenshot(page, "client-other-request-refused")


async def test_an_expired_session_returns_to_sign_in_and_keeps_the_draft(page: Page) -> None:
    await page.clock.install()
    await sign_in(page, "client", "MINUSMA", path="/requests/new")
    await expect(page).to_have_url("/requests/new")
    await page.get_by_label("Title *").fill("Draft typed before the session ran out")
    await page.clock.fast_forward("09:00:00")  # past the eight-hour session
    await expect(page.get_by_role("status")).to_contain_text("Your session expired")
    await assert_accessible(page)
    await screenshot(page, "session-expired")
    await page.locator("#sign-in-binding").fill("MINUSMA")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url("/requests/new")
    await expect(page.get_by_label("Title *")).to_have_value(
        "Draft typed before the session ran out"
    )
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


COMMENT = """mutation($id: ID!, $body: String!) {
  commentOnRequest(id: $id, body: $body, internal: false) { id } }"""


async def test_a_liaison_sets_email_in_french_and_hears_of_the_desks_comment_live(
    page: Page, door: Door, stack: EmbeddedStack
) -> None:
    await sign_in(page, "client", "UNCT_MALI")
    bell = page.get_by_role("button", name=re.compile(r"^Notifications"))
    await expect(bell).to_contain_text("0 unread")
    await bell.click()
    await expect(page.get_by_text("No notifications yet.")).to_be_visible()
    await page.get_by_role("link", name="Notification preferences").click()
    await expect(page.get_by_role("heading", name="Notification preferences")).to_be_visible()
    # A client is offered what can concern a client: its requests, not providers' news.
    kinds = page.get_by_role("group", name="Tell me about").get_by_role("checkbox")
    # Status, comments, approval decisions, merges, and what it follows (lessons, requests).
    await expect(kinds).to_have_count(6)
    await expect(page.get_by_label("A comment on my request")).to_be_checked()
    await page.get_by_label("Also send me e-mail").check()
    await page.get_by_label("E-mail address").fill("liaison@unct-mali.example.org")
    await page.get_by_label("Language of my e-mails").select_option("FR")
    await page.get_by_role("button", name="Save preferences").click()
    await expect(page.get_by_role("status")).to_have_text("Preferences saved.")
    await assert_accessible(page)
    await live_subscription(page, "notificationReceived")

    title = "Advice on local peace committees"
    request_id = await submit_as_client(door, "UNCT_MALI", title)
    officer = door.headers(Role.desk_officer, desk="AFRICA_II")
    data(await door.call(COMMENT, officer, id=request_id, body="Which regions first?"))

    # No reload: the notification arrives over the websocket.
    await expect(bell).to_contain_text("1 unread")
    await bell.click()
    listed = page.get_by_role("region", name="Notifications")
    await expect(
        listed.get_by_role("link", name=f"New comment on your request “{title}”")
    ).to_be_visible()
    await screenshot(page, "client-notification-bell")
    await assert_accessible(page)
    await listed.get_by_role("button", name="Mark read").click()
    await expect(bell).to_contain_text("0 unread")

    # The same news by e-mail, in French, from the stack's SMTP sink (var/mail/).
    async def french_mail() -> EmailMessage | None:
        for path in sorted(stack.mail_dir.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == "liaison@unct-mali.example.org":
                assert isinstance(message, EmailMessage)
                return message
        return None

    mail = await eventually(french_mail, timeout_s=30)
    assert mail["Subject"] == f"Nouveau commentaire sur votre demande : {title}"
    assert (
        f"{stack.graphql_url.removesuffix('/graphql')}/requests/{request_id}" in mail.get_content()
    )


async def test_an_admin_sees_the_email_queue_beside_the_webhook_log(page: Page) -> None:
    await sign_in(page, "admin", path="/admin")
    await expect(page.get_by_role("heading", name="Webhook deliveries")).to_be_visible()
    await expect(
        page.get_by_role("heading", name="E-mail queue (pending and dead)")
    ).to_be_visible()
    # The stack's SMTP sink takes every e-mail at once: nothing waits, nothing died.
    await expect(page.get_by_text("No e-mail is waiting.")).to_be_visible()
    await assert_accessible(page)
    await screenshot(page, "admin-mail-queue")


async def test_the_desk_chief_approves_a_host_governments_mediation_request_and_the_client_sees_it(
    browser_page_pair: tuple[Page, Page], door: Door
) -> None:
    chief_page, liaison_page = browser_page_pair
    title = "Facilitation of the dialogue on the electoral calendar"
    details = {"MEDIATION_SUPPORT": {"parties": ["Government", "Opposition"],
                                     "confidentiality": "confidential"}}  # fmt: skip
    await submit_as_client(
        door, "GOV_SIERRA_LEONE", title, products=["MEDIATION_SUPPORT"], details=details
    )
    await sign_in(liaison_page, "client", "GOV_SIERRA_LEONE")
    await liaison_page.get_by_role("link", name=title).click()
    await expect(liaison_page.locator(".request .status").first).to_have_text("Awaiting approval")
    await expect(liaison_page.get_by_role("heading", name="Approval")).to_be_visible()

    # No chief is configured in the embedded stack: every officer of the desk decides.
    await sign_in(chief_page, "desk_officer", "AFRICA_II")
    await chief_page.get_by_role("link", name="Approvals").click()
    await expect(chief_page.get_by_role("heading", name="Awaiting my approval")).to_be_visible()
    row = chief_page.get_by_role("row").filter(has_text=title)
    await expect(row).to_contain_text("Host-country requests for mediation support")
    await assert_accessible(chief_page)
    await screenshot(chief_page, "desk-approval-queue")
    await row.get_by_role("link", name=title).click()
    reject = chief_page.get_by_role("button", name="Reject")
    await expect(reject).to_be_disabled()  # a rejection needs its reason
    await chief_page.get_by_label("Comment (the client reads it; required to reject)").fill(
        "Agreed with the envoy's office."
    )
    await chief_page.get_by_role("button", name="Approve").click()
    await expect(chief_page.locator(".request .status").first).to_have_text("Routed")
    await expect(chief_page.locator("ul.engagements li")).to_have_count(1)
    await assert_accessible(chief_page)
    await screenshot(chief_page, "desk-request-approved")

    # The client's page follows live: routed, with the decision and its comment.
    await expect(liaison_page.locator(".request .status").first).to_have_text("Routed")
    await expect(liaison_page.locator("ul.approvals")).to_contain_text(
        "approved. Agreed with the envoy's office."
    )
    await screenshot(liaison_page, "client-request-approved")


async def test_an_admin_sees_the_approval_rules_and_turns_one_on_and_off(page: Page) -> None:
    await sign_in(page, "admin")
    await expect(page.get_by_role("heading", name="Approval rules")).to_be_visible()
    turn_on = page.get_by_role("button", name="Turn on the rule Immediate requests")
    turn_off = page.get_by_role("button", name="Turn off the rule Immediate requests")
    await expect(page.get_by_role("row").filter(has=turn_on)).to_contain_text("inactive")
    await turn_on.click()
    await expect(turn_off).to_be_visible()
    await assert_accessible(page)
    await screenshot(page, "admin-approval-rules")
    # Off again: the other tests' immediate requests go straight to their desks.
    await turn_off.click()
    await expect(turn_on).to_be_visible()


async def test_an_analyst_sees_who_does_what_where_and_a_client_its_own_part(
    page: Page, door: Door
) -> None:
    details = {"ELECTORAL_ASSISTANCE": {"election_type": "general", "election_date": "2027-05-20"}}
    await submit_as_client(
        door,
        "BINUB",
        "Electoral support in Burundi",
        products=["ELECTORAL_ASSISTANCE"],
        urgency="PRIORITY",
        details=details,
    )
    # The engagement reaches the insights service as events: open the page once it has.
    analyst = door.headers(Role.hq_analyst)

    async def engaged() -> bool:
        answer = await door.call(WHO_IN_BURUNDI, analyst)
        return any(line["partyKind"] == "PROVIDER" for line in data(answer)["whoDoesWhat"]["items"])

    await eventually(engaged, timeout_s=30)
    await sign_in(page, "hq_analyst")
    await page.get_by_role("link", name="Who does what where").click()
    await expect(page.get_by_role("heading", name="Who does what where")).to_be_visible()
    await page.get_by_label("Country").fill("BDI")
    provider_line = page.get_by_role("row").filter(has_text="Electoral Assistance Division")
    await expect(provider_line.first).to_contain_text("BINUB")
    await expect(provider_line.first).to_contain_text("Proposed")
    await expect(page.get_by_role("rowheader", name="BDI")).to_be_visible()
    await screenshot(page, "analyst-who-does-what")
    await assert_accessible(page)
    # The other insights tabs: the request's time per party, and supply beside demand.
    await page.get_by_role("tab", name="SLA time per party").click()
    await expect(page.get_by_role("heading", name="SLA time per party")).to_be_visible()
    await page.get_by_label("Country").fill("BDI")
    await expect(page.get_by_role("row").filter(has_text="BINUB").first).to_be_visible()
    await page.get_by_role("tab", name="Demand without supply").click()
    await expect(page.get_by_role("heading", name="Supply per product")).to_be_visible()
    await expect(
        page.get_by_role("row").filter(has_text="ELECTORAL_ASSISTANCE").first
    ).to_be_visible()
    await screenshot(page, "analyst-demand-without-supply")
    await assert_accessible(page)

    await page.get_by_role("button", name="Sign out").click()
    await sign_in(page, "client", "UNCT_MALI")
    await page.get_by_role("link", name="Who does what where").click()
    await page.get_by_label("Country").fill("BDI")
    # Another client's lines are not its to see: nothing in Burundi for the Mali team.
    await expect(page.get_by_text("Nothing here yet.").first).to_be_visible()
    await screenshot(page, "client-who-does-what-other-country")


async def test_an_admin_edits_a_desks_business_calendar(page: Page) -> None:
    await sign_in(page, "admin", path="/admin")
    await page.get_by_text("ASIA_PACIFIC: Asia/Bangkok (version 1)").click()
    calendar = page.get_by_role("form", name="Calendar of ASIA_PACIFIC")
    saturday = calendar.get_by_label("Working hours on Saturday")
    await saturday.fill("13:00-09:00")
    await calendar.get_by_role("button", name="Save the calendar of ASIA_PACIFIC").click()
    await expect(calendar).to_contain_text("Some of what you entered is not valid.")
    await saturday.fill("09:00-13:00")
    await calendar.get_by_role("button", name="Save the calendar of ASIA_PACIFIC").click()
    await page.get_by_text("ASIA_PACIFIC: Asia/Bangkok (version 2)").click()
    await expect(calendar.get_by_label("Working hours on Saturday")).to_have_value("09:00-13:00")
    await assert_accessible(page)
    await screenshot(page, "admin-desk-calendar")


async def test_a_desk_merges_a_duplicate_and_its_client_learns_only_that_it_was_merged(
    browser_page_pair: tuple[Page, Page], door: Door
) -> None:
    officer_page, liaison_page = browser_page_pair
    need = "Mapping of the polling stations of the Kidal and Menaka circles"
    survivor = await submit_as_client(door, "MINUSMA", f"MINUSMA: {need}", description=need)
    duplicate = await submit_as_client(door, "UNCT_MALI", f"UNCT: {need}", description=need)

    await sign_in(officer_page, "desk_officer", "AFRICA_II", path=f"/requests/{duplicate}")
    await officer_page.get_by_role(
        "button", name=f"Merge this request into “MINUSMA: {need}”"
    ).click()
    await expect(officer_page.locator(".request .status").first).to_have_text("Merged")
    linked = officer_page.get_by_role("region", name="Linked requests")
    await expect(linked.get_by_role("link", name=f"MINUSMA: {need}")).to_be_visible()
    await assert_accessible(officer_page)
    await screenshot(officer_page, "desk-request-merged")

    # Its client reads that it was merged, never into whose request.
    await sign_in(liaison_page, "client", "UNCT_MALI", path=f"/requests/{duplicate}")
    await expect(liaison_page.locator(".request .status").first).to_have_text("Merged")
    await expect(liaison_page.get_by_role("region", name="Linked requests")).to_contain_text(
        "Merged into a request the desk handles for the same need."
    )
    await expect(liaison_page.get_by_text(f"MINUSMA: {need}")).to_have_count(0)
    await expect(liaison_page.locator(f"a[href$='{survivor}']")).to_have_count(0)
    await screenshot(liaison_page, "client-request-merged")


async def test_a_liaison_uploads_a_file_to_its_request_and_downloads_it(
    page: Page, door: Door, tmp_path: Path
) -> None:
    request_id = await submit_as_client(door, "MINUSMA", "Audit of the voter register")
    await sign_in(page, "client", "MINUSMA", path=f"/requests/{request_id}")
    plan = tmp_path / "Plan d'audit.pdf"
    plan.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    await page.get_by_label("File", exact=True).set_input_files(plan)
    await page.get_by_role("button", name="Upload", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text("File uploaded.")
    download_button = page.get_by_role("button", name="Download Plan d'audit.pdf")
    async with page.expect_download() as started:
        await download_button.click()
    download = await started.value
    assert download.suggested_filename == "Plan d'audit.pdf"
    assert (await download.path()).read_bytes() == plan.read_bytes()
    # A program named like a PDF: refused with the reason, and nothing is listed.
    disguised = tmp_path / "minutes.pdf"
    disguised.write_bytes(b"MZ\x90\x00" + b"\x00" * 60)
    await page.get_by_label("File", exact=True).set_input_files(disguised)
    await page.get_by_role("button", name="Upload", exact=True).click()
    await expect(page.get_by_role("alert")).to_contain_text("cannot be attached")
    await expect(page.get_by_role("button", name="Download minutes.pdf")).to_have_count(0)
    await screenshot(page, "client-uploads-a-file")
    await assert_accessible(page)


async def test_a_liaison_writes_a_request_in_french_and_the_desk_filters_its_queue_by_it(
    page: Page,
) -> None:
    title = "Appui à la révision du fichier électoral"
    await sign_in(page, "client", "MINUSMA", path="/requests/new")
    await page.get_by_label("Title *").fill(title)
    await page.get_by_label("Written in").select_option("fr")
    await page.get_by_role("button", name="Submit the request").click()
    await expect(page.get_by_role("definition").filter(has_text="Français")).to_be_visible()
    await sign_in(page, "desk_officer", "AFRICA_II")
    await page.get_by_label("Written in").select_option("fr")
    rows = page.get_by_role("table").get_by_role("link")
    await expect(rows.filter(has_text=title)).to_have_count(1)
    await page.get_by_label("Written in").select_option("ar")
    await expect(rows.filter(has_text=title)).to_have_count(0)


START_PLANNING = """mutation($id: ID!, $v: Int!) {
  startPlanning(id: $id, expectedVersion: $v) { version } }"""
DEPLOY = """mutation($id: ID!, $v: Int!) {
  deployEngagement(id: $id, expectedVersion: $v) { version } }"""
RECORD_DELIVERABLE = """mutation($id: ID!, $v: Int!, $d: DeliverableInput!) {
  recordDeliverable(id: $id, expectedVersion: $v, deliverable: $d) { version } }"""
DELIVER = """mutation($id: ID!, $v: Int!) {
  deliverEngagement(id: $id, expectedVersion: $v) { status } }"""


async def delivered_by_its_provider(door: Door, title: str) -> str:
    """A MINUSMA request for electoral assistance, taken on and delivered by the
    provider through the door, step by step as its officers would."""
    request_id = await submit_as_client(
        door,
        "MINUSMA",
        title,
        products=["ELECTORAL_ASSISTANCE"],
        details={
            "ELECTORAL_ASSISTANCE": {"election_type": "general", "election_date": "2027-07-01"}
        },
    )
    provider = door.headers(Role.provider, products=["ELECTORAL_ASSISTANCE"])

    async def proposed() -> dict[str, Any] | None:
        request = data(await door.call(REQUEST, provider, id=request_id))["request"]
        return next(iter(request["engagements"]), None)

    engagement = await eventually(proposed, timeout_s=30)

    async def version() -> int:
        return int((await proposed() or {})["version"])

    deliverable = {
        "title": "Voter register audit report",
        "kind": "report",
        "reference": "https://docs.example.org/ead/audit",
        "deliveredOn": "2027-01-15",
    }
    for step, extra in (
        (ACCEPT, {}),
        (START_PLANNING, {}),
        (DEPLOY, {}),
        (RECORD_DELIVERABLE, {"d": deliverable}),
        (DELIVER, {}),
    ):
        data(await door.call(step, provider, id=engagement["id"], v=await version(), **extra))
    client = door.headers(Role.client, client="MINUSMA")

    async def delivered() -> bool:
        request = data(await door.call(REQUEST, client, id=request_id))["request"]
        return bool(request["status"] == "DELIVERED")

    await eventually(delivered, timeout_s=30)
    return request_id


async def test_a_liaison_disputes_a_delivery_with_a_reason_and_the_desk_sees_it_disputed(
    browser_page_pair: tuple[Page, Page], door: Door
) -> None:
    liaison_page, officer_page = browser_page_pair
    title = "Audit of the voter register in Gao"
    request_id = await delivered_by_its_provider(door, title)
    await sign_in(liaison_page, "client", "MINUSMA", path=f"/requests/{request_id}")
    status = liaison_page.locator(".request .status").first
    await expect(status).to_have_text("Delivered")

    # A dispute needs its reason: refused without one, and nothing changes.
    dispute = liaison_page.get_by_role("button", name="Dispute the delivery")
    await dispute.click()
    await expect(liaison_page.get_by_role("alert")).to_contain_text(
        "Some of what you entered is not valid."
    )
    await expect(status).to_have_text("Delivered")
    await liaison_page.get_by_label("Why (required to dispute)").fill(
        "The report leaves out the Ansongo polling stations."
    )
    await dispute.click()
    await expect(status).to_have_text("Triaged")
    await screenshot(liaison_page, "client-disputes-a-delivery")
    await assert_accessible(liaison_page)

    # The desk finds it with the queue's "Disputed only" filter, flagged.
    await sign_in(officer_page, "desk_officer", "AFRICA_II")
    await officer_page.get_by_label("Disputed only").check()
    row = officer_page.get_by_role("row").filter(has_text=title)
    await expect(row).to_contain_text("Disputed")
    await screenshot(officer_page, "desk-queue-disputed")
