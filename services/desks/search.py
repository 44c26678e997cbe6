"""Full-text search of the queue: the lessons' design (services/lessons/search.py) on
the desks' requests, with the shared pieces of shared/fulltext.py.

Each request has one `request_search_text` row, written in the same transaction as
the request and its comments: `public_text` (title, description, public comments)
and `internal_text` (the desk's internal notes). The index over it, per engine:

- SQLite: an external-content FTS5 table `request_search_fts` over both columns
  (porter stemmer), kept in sync by triggers; a caller who may not read internal
  notes matches with a column filter on `public_text` only.
- PostgreSQL: a generated `tsvector` column `search_vector`, public text weighted A
  and internal notes D, with a GIN index; such a caller's terms match weight A only.

A search narrows the queue like any other filter: the queue keeps its own order and
keyset pages (no relevance ranking: a desk reads its queue newest or oldest first).
Neither index object is in the SQLModel metadata; `include_name` hides them from
the models==migrations comparison.
"""

from __future__ import annotations

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Table,
    column,
    func,
    literal_column,
    select,
    table,
    update,
)
from sqlmodel import col

from services.desks import journal
from services.desks.models import Comment, RequestSearchText, ServiceRequest
from shared import fulltext
from shared.auth import Principal
from shared.db import AsyncSession
from shared.errors import DomainError
from shared.sharing import INTERNAL_READERS, viewer_of

FTS_TABLE = "request_search_fts"
SEARCH_VECTOR = "search_vector"
SEARCH_INDEX = "ix_request_search_text_vector"
MAX_SEARCH = 200  # characters a search may have
PUBLIC_WEIGHT = "A"
SEARCH_TEXT: Table = RequestSearchText.__table__  # type: ignore[attr-defined]


# Alembic leaves the search objects to the migrations, which manage them by hand.
include_name = fulltext.hand_managed(FTS_TABLE, SEARCH_VECTOR, SEARCH_INDEX)


def queue_search_terms(text: str) -> list[str]:
    """The words of a queue search, or a refusal the searcher can act on."""
    if len(text) > MAX_SEARCH:
        raise DomainError(
            "BAD_USER_INPUT", f"a search is at most {MAX_SEARCH} characters", field="search"
        )
    terms = fulltext.search_terms(text)
    if not terms:
        raise DomainError(
            "BAD_USER_INPUT",
            "a search needs at least one word of two letters or digits (not only "
            "punctuation or words as common as 'the')",
            field="search",
        )
    return terms


def sees_internal_notes(principal: Principal) -> bool:
    """As GET /comments: only the sharing policy's INTERNAL_READERS (the desk,
    HQ) read the desk's internal notes, clients and providers never."""
    return viewer_of(principal).audience in INTERNAL_READERS


def matching(session: AsyncSession, terms: list[str], principal: Principal) -> ColumnElement[bool]:
    """The requests whose text holds every term, among what the caller may read."""
    internal = sees_internal_notes(principal)
    if session.get_bind().dialect.name == "postgresql":
        vector: ColumnClause[str] = literal_column(
            f"{RequestSearchText.__tablename__}.{SEARCH_VECTOR}"
        )
        query = func.to_tsquery(
            "english",
            fulltext.tsquery_text(terms, weights="" if internal else PUBLIC_WEIGHT),
        )
        matched = select(col(RequestSearchText.request_id)).where(vector.op("@@")(query))
    else:
        fts = table(FTS_TABLE, column("rowid"))
        expression = fulltext.fts5_expression(terms, columns=() if internal else ("public_text",))
        matched = (
            select(col(RequestSearchText.request_id))
            .select_from(fts)
            .join(
                RequestSearchText,
                literal_column(f"{RequestSearchText.__tablename__}.rowid") == fts.c.rowid,
            )
            .where(literal_column(FTS_TABLE).op("MATCH")(expression))
        )
    return col(ServiceRequest.id).in_(matched)


def index_request(session: AsyncSession, request: ServiceRequest) -> None:
    """The new request's searchable text (its comments are added as they come): a row
    kept for the journal's bulk INSERT (services/desks/journal.py), as nothing in the
    transaction needs it as an object."""
    journal.keep(
        session,
        SEARCH_TEXT,
        [
            {
                "request_id": request.id,
                "public_text": f"{request.title}\n{request.description}",
                "internal_text": "",
            }
        ],
    )


async def index_comment(session: AsyncSession, comment: Comment) -> None:
    """Append a comment to its request's text: public, or the desk's internal notes."""
    column_ = col(
        RequestSearchText.internal_text if comment.internal else RequestSearchText.public_text
    )
    await session.execute(
        update(RequestSearchText)
        .where(col(RequestSearchText.request_id) == comment.request_id)
        .values({column_: column_ + "\n" + comment.body})
    )
