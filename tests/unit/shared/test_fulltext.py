"""The words of a search and each engine's match expression (shared by lessons and desks)."""

from __future__ import annotations

import pytest

from services.desks.search import queue_search_terms
from shared.errors import DomainError
from shared.fulltext import fts5_expression, search_terms, tsquery_text


def test_only_plain_words_reach_an_engine() -> None:
    assert search_terms('"Voter" OR reg* NEAR(x y) -- ;DROP the') == [
        "voter",
        "reg",
        "near",
        "drop",
    ]
    assert search_terms("Électeurs  électeurs") == ["électeurs"]
    assert len(search_terms(" ".join(f"w{n}" for n in range(100)))) == 40


def test_match_expressions_quote_every_term_and_filter_columns() -> None:
    assert fts5_expression(["voter", "roll"]) == '"voter" "roll"'
    assert fts5_expression(["voter", "roll"], any_term=True) == '"voter" OR "roll"'
    assert fts5_expression(["voter"], columns=("public_text",)) == '{public_text} : ("voter")'
    assert tsquery_text(["voter", "roll"]) == "voter & roll"
    assert tsquery_text(["voter", "roll"], any_term=True, weights="A") == "voter:A | roll:A"


@pytest.mark.parametrize("text", ["", "   ", "?!*", "the of and", "x" * 201])
def test_a_queue_search_without_words_or_too_long_is_refused(text: str) -> None:
    with pytest.raises(DomainError) as refused:
        queue_search_terms(text)
    assert refused.value.code == "BAD_USER_INPUT"
    assert refused.value.details == {"field": "search"}
