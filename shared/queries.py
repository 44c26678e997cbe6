"""What every service's read side repeats: rows grouped by their parent, keyset pages."""

from __future__ import annotations

import base64
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Mapped, QueryableAttribute

from shared.errors import DomainError

RowT = TypeVar("RowT")
KeyT = TypeVar("KeyT", bound=Hashable)
QueryT = TypeVar("QueryT", bound=Select[Any])


def grouped(
    rows: Iterable[RowT], key: Callable[[RowT], KeyT], keys: Iterable[KeyT] = ()
) -> dict[KeyT, list[RowT]]:
    """The rows by their key (e.g. child rows by the parent's id), each group in the rows'
    order; every key of `keys` is there, with no rows when none had it, so a caller can
    index by every parent it asked for."""
    groups: dict[KeyT, list[RowT]] = {wanted: [] for wanted in keys}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups


class Keyset:
    """A list paged by (a timestamp, then the id), each page continuing after an opaque
    cursor: no OFFSET, so a page costs the same however deep, and rows inserted
    meanwhile neither repeat nor vanish.

    `order` names the list's order in the cursor when it has several, so a cursor of
    one order is refused by another. A route fetches `first + 1` rows (`page`): the
    extra one only tells whether there is a next page.
    """

    def __init__(
        self,
        key: Mapped[datetime] | Mapped[datetime | None],
        row_id: Mapped[str],
        *,
        descending: bool = False,
        order: str | None = None,
    ) -> None:
        self.key = key
        self.row_id = row_id
        self.descending = descending
        self.order = order
        # `col(Model.field)` is the mapped attribute itself; its name reads the row.
        self._key_name = cast(QueryableAttribute[Any], key).key
        self._id_name = cast(QueryableAttribute[str], row_id).key

    def page(self, query: QueryT, first: int, after: str | None) -> QueryT:
        """`query` in this order, after the cursor `after` when given, `first + 1` rows."""
        if after:
            moment, last_id = self._decode(after)
            if self.descending:
                beyond = or_(self.key < moment, and_(self.key == moment, self.row_id < last_id))
            else:
                beyond = or_(self.key > moment, and_(self.key == moment, self.row_id > last_id))
            query = query.where(beyond)
        if self.descending:
            ordered = query.order_by(self.key.desc(), self.row_id.desc())
        else:
            ordered = query.order_by(self.key.asc(), self.row_id.asc())
        return ordered.limit(first + 1)

    def cursor(self, row: object) -> str:
        moment: datetime = getattr(row, self._key_name)
        parts = [moment.isoformat(), getattr(row, self._id_name)]
        if self.order is not None:
            parts.insert(0, self.order)
        return base64.urlsafe_b64encode("|".join(parts).encode()).decode()

    def _decode(self, cursor: str) -> tuple[datetime, str]:
        try:
            parts = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
            if self.order is not None and parts.pop(0) != self.order:
                raise ValueError("a cursor of another order")
            value, last_id = parts
            moment = datetime.fromisoformat(value)
        except (ValueError, IndexError, UnicodeDecodeError) as error:
            raise DomainError("BAD_USER_INPUT", "invalid cursor", field="after") from error
        if moment.tzinfo is None:  # every stored time is aware; a naive one was made up
            raise DomainError("BAD_USER_INPUT", "invalid cursor", field="after")
        return moment, last_id
