"""Persistence steps of the notifications service. Helpers never commit: the route or
the handler owns the one transaction, so a notification, its live event and its
e-mails are written together or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import col

from contracts.enums import FollowKind
from services.notifications.domain import (
    ALL_KINDS,
    Follower,
    Term,
    check_follow,
    person_audiences,
)
from services.notifications.known import known_terms, seen
from services.notifications.models import (
    Follow,
    KnownTerm,
    Notification,
    Person,
    PersonAudience,
    ReadMark,
)
from services.notifications.recording import READS_NO_KEPT_ROWS
from services.notifications.settings import NotificationsSettings
from shared.auth import Principal, Role
from shared.db import AsyncSession
from shared.errors import DomainError


@dataclass(frozen=True)
class Reader:
    """The caller as a person of this service, and the audiences they read."""

    person: Person
    audiences: frozenset[str]


async def register(
    session: AsyncSession, principal: Principal, settings: NotificationsSettings, now: datetime
) -> Reader:
    """The caller as a person of this service: created on their first call (everything
    on, no e-mail), their audiences kept as their token names them now (so e-mails find
    them)."""
    person = await session.get(Person, principal.actor)
    if person is None:
        person = Person(
            key=principal.actor,
            role=principal.role.value,
            kinds=[kind.value for kind in ALL_KINDS],
            created_at=now,
            updated_at=now,
        )
        session.add(person)
        await session.flush()
    wanted = person_audiences(principal, settings.desk_chiefs)
    kept = set(
        (
            await session.scalars(
                select(col(PersonAudience.audience)).where(
                    col(PersonAudience.person_key) == person.key
                )
            )
        ).all()
    )
    if kept != wanted:
        await session.execute(
            delete(PersonAudience).where(col(PersonAudience.person_key) == person.key)
        )
        session.add_all(PersonAudience(person_key=person.key, audience=a) for a in wanted)
    return Reader(person, wanted)


def visible_to(reader: Reader) -> ColumnElement[bool]:
    """The notifications this person may read: their audiences', of the kinds they want."""
    return and_(
        col(Notification.audience).in_(sorted(reader.audiences)),
        col(Notification.kind).in_(reader.person.kinds),
    )


def unread(person: Person) -> ColumnElement[bool]:
    marked = exists().where(
        col(ReadMark.person_key) == person.key,
        col(ReadMark.notification_seq) == col(Notification.seq),
    )
    return and_(col(Notification.seq) > person.read_through_seq, ~marked)


async def read_seqs(session: AsyncSession, person: Person, seqs: Sequence[int]) -> set[int]:
    """Which of these notifications the person has read."""
    marked = await session.scalars(
        select(col(ReadMark.notification_seq)).where(
            col(ReadMark.person_key) == person.key, col(ReadMark.notification_seq).in_(seqs)
        )
    )
    return {seq for seq in seqs if seq <= person.read_through_seq} | set(marked.all())


async def unread_count(session: AsyncSession, reader: Reader) -> int:
    query = select(func.count()).select_from(Notification)
    counted = await session.scalar(query.where(visible_to(reader), unread(reader.person)))
    return int(counted or 0)


async def visible_notification(
    session: AsyncSession, reader: Reader, notification_id: str
) -> Notification:
    """One notification the caller may read; another's is as missing as a missing one."""
    found = await session.scalar(
        select(Notification).where(col(Notification.id) == notification_id, visible_to(reader))
    )
    if found is None:
        raise DomainError("NOTIFICATION_NOT_FOUND", f"no notification {notification_id}")
    return found


async def mark_read(
    session: AsyncSession, person: Person, notification: Notification, now: datetime
) -> None:
    """Idempotent: a notification already read stays read, once."""
    assert notification.seq is not None
    if notification.seq in await read_seqs(session, person, [notification.seq]):
        return
    session.add(ReadMark(person_key=person.key, notification_seq=notification.seq, read_at=now))


async def mark_all_read(session: AsyncSession, reader: Reader) -> int:
    """Move the person's watermark to their newest notification; the marks below it are
    no longer needed. Returns how many were unread."""
    person = reader.person
    was_unread = await unread_count(session, reader)
    newest = await session.scalar(select(func.max(Notification.seq)).where(visible_to(reader)))
    if newest is not None and newest > person.read_through_seq:
        person.read_through_seq = newest
        session.add(person)
        await session.execute(
            delete(ReadMark).where(
                col(ReadMark.person_key) == person.key,
                col(ReadMark.notification_seq) <= newest,
            )
        )
    return was_unread


async def remember_terms(session: AsyncSession, terms: Sequence[Term]) -> None:
    """Make these terms followable (the ones already known stay as they are); one query
    for those this process does not know to be known yet."""
    wanted = [(kind.value, code) for kind, code in dict.fromkeys(terms) if code]
    wanted = [term for term in wanted if term not in known_terms(session, wanted)]
    if not wanted:
        return
    matches = or_(
        *(and_(col(KnownTerm.kind) == kind, col(KnownTerm.code) == code) for kind, code in wanted)
    )
    query = select(col(KnownTerm.kind), col(KnownTerm.code)).where(matches)
    known = set((await session.execute(query, execution_options=READS_NO_KEPT_ROWS)).all())
    session.add_all(
        KnownTerm(kind=kind, code=code) for kind, code in wanted if (kind, code) not in known
    )
    for term in wanted:
        seen(session, term)


async def follows_of(session: AsyncSession, person: Person) -> list[Follow]:
    query = select(Follow).where(col(Follow.person_key) == person.key)
    order = (col(Follow.kind), col(Follow.code))
    return list((await session.scalars(query.order_by(*order))).all())


async def follow(
    session: AsyncSession, person: Person, kind: FollowKind, code: str, now: datetime
) -> None:
    """Idempotent: a term already followed stays followed, once."""
    if await session.get(Follow, (person.key, kind.value, code)) is not None:
        return
    known = await session.get(KnownTerm, (kind.value, code)) is not None
    following = await session.scalar(
        select(func.count()).select_from(Follow).where(col(Follow.person_key) == person.key)
    )
    check_follow(kind, code, known, int(following or 0))
    session.add(Follow(person_key=person.key, kind=kind.value, code=code, created_at=now))


async def unfollow(session: AsyncSession, person: Person, kind: FollowKind, code: str) -> None:
    """Idempotent: a term not followed stays not followed."""
    await session.execute(
        delete(Follow).where(
            col(Follow.person_key) == person.key,
            col(Follow.kind) == kind.value,
            col(Follow.code) == code,
        )
    )


# The followers of each term read in this transaction (`followers_of`).
_FOLLOWERS = "notifications.followers"


async def followers_of(session: AsyncSession, terms: Sequence[Term]) -> list[Follower]:
    """Everyone who follows one of these terms, with the role and audiences that decide
    what they may be told; in the terms' order, so a person's first term names it.

    Each term is read once per transaction: the consumer applies a fetched batch in one,
    and its events name the same countries and regions again and again. No handler
    changes a follow or a person, so within the batch the answer stays what it was; a
    follow another replica's route commits meanwhile counts from the next batch on, as
    it would for an event applied a moment earlier."""
    known: dict[Term, list[Follower]] = session.info.setdefault(_FOLLOWERS, {})
    distinct = list(dict.fromkeys(terms))
    unread = [term for term in distinct if term not in known]
    if unread:
        known.update(await _read_followers(session, unread))
    return [follower for term in distinct for follower in known[term]]


async def _read_followers(
    session: AsyncSession, terms: Sequence[Term]
) -> dict[Term, list[Follower]]:
    """The followers of each of these terms (none: an empty list), each term's in the
    order of their keys."""
    matches = or_(
        *(and_(col(Follow.kind) == kind.value, col(Follow.code) == code) for kind, code in terms)
    )
    # One statement: each follow with its person's role and each of their audiences
    # (none: one row with no audience).
    rows = await session.execute(
        select(
            col(Follow.kind),
            col(Follow.code),
            col(Person.key),
            col(Person.role),
            col(PersonAudience.audience),
        )
        .join(Person, col(Person.key) == col(Follow.person_key))
        .outerjoin(PersonAudience, col(PersonAudience.person_key) == col(Person.key))
        .where(matches),
        execution_options=READS_NO_KEPT_ROWS,
    )
    roles: dict[tuple[str, Term], str] = {}
    audiences: dict[str, set[str]] = {}
    for kind, code, key, role, audience in rows:
        roles[(key, (FollowKind(kind), code))] = role
        found = audiences.setdefault(key, set())
        if audience is not None:
            found.add(audience)
    followers: dict[Term, list[Follower]] = {term: [] for term in terms}
    for (key, term), role in sorted(roles.items(), key=lambda item: item[0][0]):
        followers[term].append(
            Follower(key=key, role=Role(role), audiences=frozenset(audiences[key]), term=term)
        )
    return followers


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_followers(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction's end: the next one reads the followers again.
    if transaction.parent is None:
        session.info.pop(_FOLLOWERS, None)
