"""Duplicate and overlap detection: the study's Mali case, where several UN presences
asked for the same thing without knowing it."""

from __future__ import annotations

from services.desks import domain
from services.desks.domain import OpenRequest

THRESHOLDS = {"min_similarity": 0.2, "min_similarity_without_products": 0.5}

MINUSMA = OpenRequest(
    id="minusma",
    country="MLI",
    products=frozenset({"ELECTORAL_ASSISTANCE"}),
    text="Support to the 2027 presidential elections: needs assessment of the electoral "
    "commission and voter registration",
)
UNCT = OpenRequest(
    id="unct",
    country="MLI",
    products=frozenset({"ELECTORAL_ASSISTANCE", "HUMAN_RIGHTS"}),
    text="Needs assessment for the presidential election, voter registration support",
)


def test_stop_words_and_plurals_do_not_count() -> None:
    assert domain.text_tokens("The Elections of the Commission, 2027!") == {
        "election",
        "commission",
    }


def test_similarity_is_symmetric_and_bounded() -> None:
    a, b = MINUSMA.text, UNCT.text
    assert domain.text_similarity(a, b) == domain.text_similarity(b, a)
    assert 0 < domain.text_similarity(a, b) < 1
    assert domain.text_similarity(a, a) == 1.0
    assert domain.text_similarity("", a) == 0.0


def test_the_mali_case_is_flagged_across_clients() -> None:
    overlaps = domain.find_overlaps(MINUSMA, [UNCT], **THRESHOLDS)
    assert [(o.other_id, o.shared_products) for o in overlaps] == [
        ("unct", ("ELECTORAL_ASSISTANCE",))
    ]
    assert overlaps[0].similarity >= 0.2


def test_another_country_is_never_an_overlap() -> None:
    elsewhere = OpenRequest("ssd", "SSD", UNCT.products, UNCT.text)
    assert domain.find_overlaps(MINUSMA, [elsewhere], **THRESHOLDS) == []


def test_different_products_are_different_needs() -> None:
    other = OpenRequest("rol", "MLI", frozenset({"RULE_OF_LAW"}), UNCT.text)
    assert domain.find_overlaps(MINUSMA, [other], **THRESHOLDS) == []


def test_shared_products_with_unrelated_text_are_not_flagged() -> None:
    other = OpenRequest(
        "legislative", "MLI", frozenset({"ELECTORAL_ASSISTANCE"}), "Training of local judges"
    )
    assert domain.find_overlaps(MINUSMA, [other], **THRESHOLDS) == []


def test_without_products_only_clearly_similar_text_is_flagged() -> None:
    untriaged = OpenRequest("new", "MLI", frozenset(), MINUSMA.text)
    loosely = OpenRequest("loose", "MLI", frozenset(), "presidential election logistics")
    found = domain.find_overlaps(untriaged, [MINUSMA, loosely], **THRESHOLDS)
    assert [(o.other_id, o.shared_products) for o in found] == [("minusma", ())]


def test_a_request_does_not_overlap_itself() -> None:
    assert domain.find_overlaps(MINUSMA, [MINUSMA], **THRESHOLDS) == []


def test_only_the_most_similar_are_linked() -> None:
    same = [OpenRequest(f"copy-{n}", "MLI", UNCT.products, MINUSMA.text) for n in range(10)]
    loose = OpenRequest("loose", "MLI", UNCT.products, UNCT.text)
    found = domain.find_overlaps(MINUSMA, [loose, *same], **THRESHOLDS, max_links=3)
    assert [overlap.other_id for overlap in found] == ["copy-0", "copy-1", "copy-2"]
    assert len(domain.find_overlaps(MINUSMA, [loose, *same], **THRESHOLDS)) == 11
