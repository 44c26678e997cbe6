"""SLA time per party and the cost of coordination from a request's history: the
holding rule per status, breaches attributed to the holder, hand-offs, re-routings,
and the percentiles read from counts per percent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contracts.http.insights.responses import HoldingParty
from services.insights import domain

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
DESK, CLIENT = "AFRICA_II", "MINUSMA"


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def history(
    steps: list[tuple[float, str, str]],
    engagements: tuple[domain.EngagementPart, ...] = (),
    assessments: tuple[domain.AssessmentPart, ...] = (),
    breaches: tuple[domain.Breach, ...] = (),
) -> domain.RequestHistory:
    return domain.RequestHistory(
        client_code=CLIENT,
        desk_code=DESK,
        submitted_at=T0,
        steps=tuple(domain.Step(hours(h), status, actor) for h, status, actor in steps),
        engagements=engagements,
        assessments=assessments,
        breaches=breaches,
    )


def times(figures: domain.RequestFiguresOf) -> dict[tuple[str, str], int]:
    return {(p.kind.value, p.party): p.seconds // 3600 for p in figures.parties}


OFFICER = f"desk_officer:{DESK}:amina"


def test_each_status_is_held_by_its_party_and_the_times_add_up() -> None:
    """Desk while submitted and triaged, the provider while routed with its engagement
    open, the client on hold and once delivered; closing stops the clock."""
    electoral = domain.EngagementPart("EA", hours(3), hours(4), hours(10), declined=False)
    figures = domain.figures_of(
        history(
            [
                (2, "triaged", OFFICER),
                (3, "routed", OFFICER),
                (4, "in_progress", "desks:automation"),
                (6, "on_hold", OFFICER),
                (7, "in_progress", OFFICER),
                (10, "delivered", "desks:automation"),
                (12, "closed", f"client:{CLIENT}:liaison"),
                (20, "triaged", f"client:{CLIENT}:liaison"),  # reopened: measured again
                (21, "closed", OFFICER),
            ],
            engagements=(electoral,),
        )
    )
    assert times(figures) == {
        ("client", CLIENT): 1 + 2,
        ("desk", DESK): 3 + 1,
        ("provider", "EA"): 6,
    }
    assert figures.measured_s == 21 * 3600 and figures.measured_until == hours(21)
    assert sum(p.seconds for p in figures.parties) == 13 * 3600  # closed 12→20 is nobody's
    assert figures.held_by == ()
    assert figures.first_engagement_s == 4 * 3600
    assert not figures.routed_at_intake
    # desk → provider → client → provider → client → desk
    assert figures.hand_offs == 5


def test_parallel_providers_share_the_time_and_a_breach_is_theirs() -> None:
    both = (
        domain.EngagementPart("EA", hours(0), hours(0), None, declined=False),
        domain.EngagementPart("MS", hours(0), None, hours(4), declined=True),
    )
    figures = domain.figures_of(
        history(
            [(0, "triaged", f"desk:{DESK}:intake"), (0, "routed", f"desk:{DESK}:intake")],
            engagements=(
                *both,
                domain.EngagementPart("MS", hours(6), None, None, declined=False),
            ),
            breaches=(domain.Breach("deliver", hours(2)), domain.Breach("triage", hours(5))),
        )
    )
    # 0-4 h: both providers (2 h each); 4-6 h: EA alone; 6-… : both again, until the
    # newest event (the re-routing at 6 h): time after it is counted when it comes.
    assert times(figures) == {
        ("client", CLIENT): 0,
        ("desk", DESK): 0,
        ("provider", "EA"): 4,
        ("provider", "MS"): 2,
    }
    assert figures.routed_at_intake and figures.reroutings == 1 and figures.declines == 1
    first, second = figures.breaches
    provider = HoldingParty.provider
    assert first.held_by == ((provider, "EA"), (provider, "MS"))
    assert second.held_by == ((provider, "EA"),)
    assert figures.breaches_of(HoldingParty.provider) == 2
    assert figures.held_by == ((provider, "EA"), (provider, "MS"))


def test_an_open_joint_assessment_holds_a_request_at_the_desk() -> None:
    assessment = domain.AssessmentPart(("AU", "WB"), hours(1), hours(5))
    figures = domain.figures_of(
        history([(1, "triaged", OFFICER), (6, "rejected", OFFICER)], assessments=(assessment,))
    )
    assert times(figures) == {
        ("client", CLIENT): 0,
        ("desk", DESK): 2,
        ("partner", "AU"): 2,
        ("partner", "WB"): 2,
    }
    assert figures.joint_assessment_s == 4 * 3600
    assert figures.share_pct(HoldingParty.partner) == 67
    assert figures.first_engagement_s is None


def test_the_figures_do_not_depend_on_the_order_of_the_history() -> None:
    steps = [(2, "triaged", OFFICER), (3, "routed", OFFICER), (5, "delivered", OFFICER)]
    engagement = domain.EngagementPart("EA", hours(3), hours(3), hours(5), declined=False)
    forward = domain.figures_of(history(steps, engagements=(engagement,)))
    backward = domain.figures_of(history(steps[::-1], engagements=(engagement,)))
    assert forward == backward


def test_percentiles_are_read_from_counts_per_percent() -> None:
    counts = {0: 5, 40: 3, 100: 2}
    assert domain.percentile(counts, 0.5) == 0
    assert domain.percentile(counts, 0.6) == 40
    assert domain.percentile(counts, 0.9) == 100
    assert domain.percentile({}, 0.5) == 0


def test_an_engagement_adds_to_its_products_monthly_supply() -> None:
    taken = domain.EngagementLoad("EA", hours(0), hours(1), datetime(2026, 3, 2, tzinfo=UTC), False)
    assert taken.counts() == [
        ("EA", "2026-01", "requested"),
        ("EA", "2026-01", "accepted"),
        ("EA", "2026-03", "freed"),
    ]
    refused = domain.EngagementLoad("EA", hours(0), None, hours(1), True)
    assert refused.counts() == [("EA", "2026-01", "requested"), ("EA", "2026-01", "declined")]
    assert domain.month_range("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
