"""The read helpers: rows grouped by their parent, and keyset pages that neither repeat
nor skip a row, in either direction, with ties on the timestamp."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, registry
from sqlmodel import Field, SQLModel, col, select

from shared.db import UTCDateTime
from shared.errors import DomainError
from shared.queries import Keyset, grouped


class _Table(SQLModel, registry=registry()):
    pass


class Note(_Table, table=True):
    id: str = Field(primary_key=True)
    written_at: datetime = Field(sa_type=UTCDateTime)


START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# Pairs share a timestamp, so the id must break the tie.
NOTES = [Note(id=f"n{i}", written_at=START + timedelta(minutes=i // 2)) for i in range(7)]
OLDEST_FIRST = Keyset(col(Note.written_at), col(Note.id))
NEWEST_FIRST = Keyset(col(Note.written_at), col(Note.id), descending=True, order="newest")


def test_rows_are_grouped_by_key_in_their_order_with_every_asked_key_present() -> None:
    rows = [("a", 1), ("b", 2), ("a", 3)]
    assert grouped(rows, lambda row: row[0], ["a", "b", "c"]) == {
        "a": [("a", 1), ("a", 3)],
        "b": [("b", 2)],
        "c": [],
    }
    assert grouped(rows, lambda row: row[0]) == {"a": [("a", 1), ("a", 3)], "b": [("b", 2)]}


@pytest.mark.parametrize("keyset", [OLDEST_FIRST, NEWEST_FIRST], ids=["oldest", "newest"])
def test_pages_follow_one_another_without_repeats_or_gaps(keyset: Keyset) -> None:
    engine = create_engine("sqlite://")
    _Table.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([Note(id=note.id, written_at=note.written_at) for note in NOTES])
        session.commit()
        seen: list[str] = []
        after: str | None = None
        for _ in range(len(NOTES)):
            rows = list(session.scalars(keyset.page(select(Note), 2, after)).all())
            page = rows[:2]
            seen += [note.id for note in page]
            if len(rows) <= 2:
                break
            after = keyset.cursor(page[-1])
    expected = sorted(NOTES, key=lambda note: (note.written_at, note.id))
    if keyset.descending:
        expected.reverse()
    assert seen == [note.id for note in expected]


def test_a_cursor_of_another_order_or_made_up_is_bad_input() -> None:
    made_up = [
        "garbage",
        OLDEST_FIRST.cursor(NOTES[0]),  # no order in it
        base64.urlsafe_b64encode(b"oldest|2026-12-01T09:00:00+00:00|n1").decode(),
        base64.urlsafe_b64encode(b"newest|2026-12-01T09:00:00|n1").decode(),  # naive time
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ]
    for cursor in made_up:
        with pytest.raises(DomainError) as refused:
            NEWEST_FIRST.page(select(Note), 2, cursor)
        assert refused.value.code == "BAD_USER_INPUT", cursor
