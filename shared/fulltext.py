"""Full-text search on both databases: the words of a query and the match expressions.

The lessons and the desks search the same way: SQLite's FTS5 (embedded) and
PostgreSQL's tsvector with a GIN index (production), behind a small interface in each
service. What they share is here: turning what a user typed into plain words, so no
query syntax ever reaches either engine, and spelling those words as each engine's
match expression.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from typing import Any

MAX_TERMS = 40
_WORD = re.compile(r"[^\W_]+")

# PostgreSQL's `english` configuration drops these words from a tsquery; SQLite's
# FTS5 tokenizer keeps them. Dropping them on both makes a search mean the same on each.
ENGLISH_STOPWORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him
    his himself she her hers herself it its itself they them their theirs themselves
    what which who whom this that these those am is are was were be been being have
    has had having do does did doing a an the and but if or because as until while of
    at by for with about against between into through during before after above below
    to from up down in out on off over under again further then once here there when
    where why how all any both each few more most other some such no nor not only own
    same so than too very s t can will just don should now""".split()
)


def hand_managed(
    fts_table: str, vector_column: str, vector_index: str
) -> Callable[[str | None, str, Any], bool]:
    """Alembic's include_name filter for a service's search objects, which its migrations
    manage by hand (neither engine's index is in the models): the FTS5 table and its
    shadow tables on SQLite, the tsvector column and its GIN index on PostgreSQL."""

    def include_name(name: str | None, type_: str, _parent_names: Any) -> bool:
        if name is None:
            return True
        if type_ == "table":
            return not name.startswith(fts_table)
        if type_ == "column":
            return name != vector_column
        if type_ == "index":
            return name != vector_index
        return True

    return include_name


def search_terms(
    text: str, *, stopwords: Collection[str] = ENGLISH_STOPWORDS, max_terms: int = MAX_TERMS
) -> list[str]:
    """The words to look for: letters and digits only, lower-cased, at least two
    characters, without stop words, each once, at most `max_terms`."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if len(word) >= 2 and word not in stopwords:
            seen.setdefault(word, None)
    return list(seen)[:max_terms]


def fts5_expression(
    terms: Sequence[str], *, any_term: bool = False, columns: Sequence[str] = ()
) -> str:
    """An FTS5 MATCH expression: every term (or any), each quoted so FTS5 reads it as
    a plain string, never as syntax; limited to `columns` when given."""
    expression = (" OR " if any_term else " ").join(f'"{term}"' for term in terms)
    if columns:
        return "{" + " ".join(columns) + "} : (" + expression + ")"
    return expression


def tsquery_text(terms: Sequence[str], *, any_term: bool = False, weights: str = "") -> str:
    """A `to_tsquery` text: every term (or any); with `weights` (e.g. "A"), a term
    matches only lexemes of those weights (the parts of a document it may search)."""
    label = f":{weights}" if weights else ""
    return (" | " if any_term else " & ").join(f"{term}{label}" for term in terms)
