"""The expert roster: bookings respect availability and never overlap, even when two
officers book one expert at the same moment (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from typing import Any

from shared.auth import Role
from tests.integration.products.conftest import Provider


async def book(
    provider: Provider, engagement: dict[str, Any], expert: str, starts: str, ends: str
) -> Any:
    return await provider.act(
        engagement, "assignments", expert_id=expert, starts_on=starts, ends_on=ends
    )


async def test_bookings_need_availability_and_must_not_overlap(provider: Provider) -> None:
    one = await provider.route("MEDIATION_SUPPORT")
    two = await provider.route("MEDIATION_SUPPORT", client_code="UNSMIL")

    first = await book(provider, one, "EXP-MED-01", "2026-04-01", "2026-04-15")
    assert first.status_code == 201, first.text
    assert [a["expert_name"] for a in first.json()["assignments"]] == ["Leila Haddad"]

    clash = await book(provider, two, "EXP-MED-01", "2026-04-15", "2026-04-30")
    assert clash.status_code == 409
    assert clash.json()["detail"]["code"] == "EXPERT_DOUBLE_BOOKED"
    assert clash.json()["detail"]["booked_to"] == "2026-04-15"
    again = await book(provider, first.json(), "EXP-MED-01", "2026-04-10", "2026-04-20")
    assert again.json()["detail"]["code"] == "EXPERT_DOUBLE_BOOKED"

    after = await book(provider, two, "EXP-MED-01", "2026-04-16", "2026-04-30")
    assert after.status_code == 201, after.text

    # Jorge Medina is on leave in July and August 2026.
    gap = await book(provider, after.json(), "EXP-ELEC-02", "2026-06-20", "2026-07-05")
    assert gap.status_code == 409
    assert gap.json()["detail"]["code"] == "EXPERT_UNAVAILABLE"
    backwards = await book(provider, after.json(), "EXP-ELEC-02", "2026-05-10", "2026-05-01")
    assert backwards.json()["detail"]["code"] == "BAD_USER_INPUT"
    nobody = await book(provider, after.json(), "EXP-NOBODY", "2026-05-01", "2026-05-10")
    assert nobody.status_code == 404
    assert nobody.json()["detail"]["code"] == "EXPERT_NOT_FOUND"

    free = (
        await provider.service.http.get(
            "/experts",
            params={"free_from": "2026-04-10", "free_to": "2026-04-12", "language": "ar"},
            headers=provider.officer("MEDIATION_SUPPORT"),
        )
    ).json()
    assert free == []
    released = await provider.service.http.delete(
        f"/engagements/{one['id']}/assignments/{first.json()['assignments'][0]['id']}",
        params={"expected_version": first.json()["version"]},
        headers=provider.officer("MEDIATION_SUPPORT"),
    )
    assert released.status_code == 200, released.text
    assert released.json()["assignments"] == []
    free = (
        await provider.service.http.get(
            "/experts",
            params={"free_from": "2026-04-10", "free_to": "2026-04-12", "language": "ar"},
            headers=provider.officer("MEDIATION_SUPPORT"),
        )
    ).json()
    assert [expert["id"] for expert in free] == ["EXP-MED-01"]


async def test_two_officers_booking_one_expert_at_once_one_wins(provider: Provider) -> None:
    rounds = 4
    engagements = [
        (await provider.route("RULE_OF_LAW"), await provider.route("RULE_OF_LAW"))
        for _ in range(rounds)
    ]
    for number, (one, two) in enumerate(engagements):
        days = (f"2026-0{number + 5}-01", f"2026-0{number + 5}-20")
        answers = await asyncio.gather(
            book(provider, one, "EXP-ROL-01", *days), book(provider, two, "EXP-ROL-01", *days)
        )
        assert sorted(answer.status_code for answer in answers) == [201, 409], [
            answer.text for answer in answers
        ]
        refused = next(answer for answer in answers if answer.status_code == 409)
        assert refused.json()["detail"]["code"] == "EXPERT_DOUBLE_BOOKED"
    [expert] = (
        await provider.service.http.get(
            "/experts", params={"skill": "corrections"}, headers=provider.headers()
        )
    ).json()
    assert len(expert["bookings"]) == rounds


async def test_admins_add_experts_who_speak_un_languages(provider: Provider) -> None:
    expert = {
        "id": "EXP-ELEC-03",
        "name": "Fatima Zahra Benali",
        "skills": ["voter_registration"],
        "languages": ["ar", "fr"],
        "availability": [{"starts_on": "2026-01-01", "ends_on": "2026-12-31"}],
    }
    officer = provider.officer("ELECTORAL_ASSISTANCE")
    assert (
        await provider.service.http.post("/experts", json=expert, headers=officer)
    ).status_code == 403
    klingon = await provider.service.http.post(
        "/experts", json={**expert, "languages": ["tlh"]}, headers=provider.headers()
    )
    assert klingon.json()["detail"]["code"] == "BAD_USER_INPUT"
    added = await provider.service.http.post("/experts", json=expert, headers=provider.headers())
    assert added.status_code == 201, added.text
    twice = await provider.service.http.post("/experts", json=expert, headers=provider.headers())
    assert twice.json()["detail"]["code"] == "CONFLICT"
    listed = (
        await provider.service.http.get(
            "/experts",
            params={"language": "ar"},
            headers=provider.headers(Role.desk_officer, desk="AFRICA_II"),
        )
    ).json()
    assert "EXP-ELEC-03" in [e["id"] for e in listed]


async def test_availability_changes_must_leave_live_bookings_covered(provider: Provider) -> None:
    engagement = await provider.route("HUMAN_RIGHTS")
    booked = await book(provider, engagement, "EXP-HR-01", "2026-06-01", "2026-06-10")
    assert booked.status_code == 201, booked.text
    http, admin = provider.service.http, provider.headers()
    [expert] = (await http.get("/experts", params={"skill": "investigation"}, headers=admin)).json()
    path = "/experts/EXP-HR-01/availability"

    leave = {
        "expected_version": expert["version"],
        "availability": [
            {"starts_on": "2026-01-01", "ends_on": "2026-06-05"},
            {"starts_on": "2026-09-01", "ends_on": "2026-12-31"},
        ],
    }
    stranded = await http.put(path, json=leave, headers=admin)
    assert stranded.status_code == 409
    assert stranded.json()["detail"]["code"] == "CONFLICT"
    assert stranded.json()["detail"]["booked_from"] == "2026-06-01"
    assert (
        await http.put(path, json=leave, headers=provider.officer("HUMAN_RIGHTS"))
    ).status_code == 403
    ahead = leave["expected_version"] + 1  # a version this calendar never had
    stale = await http.put(path, json={**leave, "expected_version": ahead}, headers=admin)
    assert stale.json()["detail"]["code"] == "VERSION_CONFLICT"

    leave["availability"][0]["ends_on"] = "2026-06-30"
    changed = await http.put(path, json=leave, headers=admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["availability"] == leave["availability"]
    assert changed.json()["version"] == expert["version"] + 1
    summer = await book(provider, booked.json(), "EXP-HR-01", "2026-07-01", "2026-07-10")
    assert summer.json()["detail"]["code"] == "EXPERT_UNAVAILABLE"
