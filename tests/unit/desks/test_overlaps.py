"""Duplicate and overlap detection: the study's Mali case, where several UN presences
asked for the same thing without knowing it."""

from __future__ import annotations

from services.desks import domain
from services.desks.domain import OpenRequest


def asked(id: str, country: str, products: frozenset[str], text: str) -> OpenRequest:
    return OpenRequest(id, country, products, frozenset(domain.match_words(text, "").split()))


THRESHOLDS = {"min_similarity": 0.2, "min_similarity_without_products": 0.5}

MINUSMA_TEXT = (
    "Support to the 2027 presidential elections: needs assessment of the electoral "
    "commission and voter registration"
)
UNCT_TEXT = "Needs assessment for the presidential election, voter registration support"
MINUSMA = asked("minusma", "MLI", frozenset({"ELECTORAL_ASSISTANCE"}), MINUSMA_TEXT)
UNCT = asked("unct", "MLI", frozenset({"ELECTORAL_ASSISTANCE", "HUMAN_RIGHTS"}), UNCT_TEXT)


def test_stop_words_and_plurals_do_not_count() -> None:
    assert domain.text_tokens("The Elections of the Commission, 2027!") == {
        "election",
        "commission",
    }


def test_similarity_is_symmetric_and_bounded() -> None:
    a, b = MINUSMA_TEXT, UNCT_TEXT
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
    elsewhere = asked("ssd", "SSD", UNCT.products, UNCT_TEXT)
    assert domain.find_overlaps(MINUSMA, [elsewhere], **THRESHOLDS) == []


def test_different_products_are_different_needs() -> None:
    other = asked("rol", "MLI", frozenset({"RULE_OF_LAW"}), UNCT_TEXT)
    assert domain.find_overlaps(MINUSMA, [other], **THRESHOLDS) == []


def test_shared_products_with_unrelated_text_are_not_flagged() -> None:
    other = asked(
        "legislative", "MLI", frozenset({"ELECTORAL_ASSISTANCE"}), "Training of local judges"
    )
    assert domain.find_overlaps(MINUSMA, [other], **THRESHOLDS) == []


def test_without_products_only_clearly_similar_text_is_flagged() -> None:
    untriaged = asked("new", "MLI", frozenset(), MINUSMA_TEXT)
    loosely = asked("loose", "MLI", frozenset(), "presidential election logistics")
    found = domain.find_overlaps(untriaged, [MINUSMA, loosely], **THRESHOLDS)
    assert [(o.other_id, o.shared_products) for o in found] == [("minusma", ())]


def test_a_request_does_not_overlap_itself() -> None:
    assert domain.find_overlaps(MINUSMA, [MINUSMA], **THRESHOLDS) == []


def test_only_the_most_similar_are_linked() -> None:
    same = [asked(f"copy-{n}", "MLI", UNCT.products, MINUSMA_TEXT) for n in range(10)]
    loose = asked("loose", "MLI", UNCT.products, UNCT_TEXT)
    found = domain.find_overlaps(MINUSMA, [loose, *same], **THRESHOLDS, max_links=3)
    assert [overlap.other_id for overlap in found] == ["copy-0", "copy-1", "copy-2"]
    assert len(domain.find_overlaps(MINUSMA, [loose, *same], **THRESHOLDS)) == 11
