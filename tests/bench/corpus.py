"""A synthetic but realistic corpus of lessons, for the search benchmark and for
trying the feed on a full repository.

    python -m tests.bench.corpus --count 100000 [--database-url URL] [--seed 7]

It migrates the lessons database (by default the one the lessons service uses,
`ONEDOOR_*` as for the service) and bulk-inserts the lessons. Synthetic lessons have
no place in a real repository, so this is a developer's and the benchmark's tool,
not an operator's command: it lives with the benchmark, not in the service.

Lessons are written from per-theme phrase banks (so words cluster by theme the way
real after-action reviews do), with countries, regions and client kinds of the
seed data, spread over ten years, mostly published, in every sensitivity. Rows go
in with bulk inserts, a few thousand per statement; the full-text index and the
narrow rows search reads follow (the database's triggers on `lesson`).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from contracts.enums import DEFAULT_CONTENT_LANGUAGE
from services.lessons.app import DEFINITION as LESSONS
from services.lessons.models import Lesson, LessonTag
from services.lessons.settings import LessonsSettings
from services.lessons.store import facet_keys
from shared.db import create_engine, session_factory
from shared.manage import migrate

THEMES: dict[str, list[str]] = {
    "ELECTORAL_ASSISTANCE": (
        "voter registration polling stations ballot counting tabulation electoral commission "
        "biometric kits candidate nomination results transmission observers turnout "
        "constituency boundaries voter education election calendar disputes recount"
    ).split(),
    "RULE_OF_LAW": (
        "police vetting prison census judiciary prosecutors detention case backlog "
        "courts legal aid corrections justice chain mobile courts land disputes "
        "customary justice pretrial detention penal reform magistrates"
    ).split(),
    "MEDIATION_SUPPORT": (
        "ceasefire negotiations armed groups dialogue envoy facilitation peace talks "
        "confidence building track two insider mediators power sharing agreement "
        "implementation monitoring local truces spoilers back channel"
    ).split(),
    "POLITICAL_ANALYSIS": (
        "conflict analysis scenarios early warning political economy elites "
        "transition risks coalition dynamics regional actors sanctions briefing "
        "horizon scanning stakeholder mapping fragility drivers grievances"
    ).split(),
    "HUMAN_RIGHTS": (
        "monitoring violations protection civilians accountability investigations "
        "detention visits sexual violence reporting victims witness protection "
        "documentation advocacy human rights defenders due diligence"
    ).split(),
}
PLACES = [
    ("MLI", "Africa", "Mali", "peacekeeping_operation"),
    ("SSD", "Africa", "South Sudan", "peacekeeping_operation"),
    ("COD", "Africa", "the Democratic Republic of the Congo", "peacekeeping_operation"),
    ("SOM", "Africa", "Somalia", "special_political_mission"),
    ("LBY", "Middle East", "Libya", "special_political_mission"),
    ("SLE", "Africa", "Sierra Leone", "host_country"),
    ("BDI", "Africa", "Burundi", "special_political_mission"),
    ("YEM", "Middle East", "Yemen", "country_team"),
    ("HTI", "Americas", "Haiti", "country_team"),
    ("AFG", "Asia-Pacific", "Afghanistan", "special_political_mission"),
    ("COL", "Americas", "Colombia", "special_political_mission"),
    ("XKX", "Europe", "Kosovo", "peacekeeping_operation"),
]
OPENINGS = [
    "The team found that {a} depended on {b}.",
    "Early planning of {a} saved weeks when {b} slipped.",
    "Counterparts asked for {a} before agreeing to {b}.",
    "Delays in {a} came from weak coordination on {b}.",
    "A joint approach to {a} with partners made {b} credible.",
    "Without reliable data on {a}, decisions on {b} were guesswork.",
    "Local ownership of {a} mattered more than funding for {b}.",
    "Headquarters support on {a} arrived after {b} had started.",
]
CLOSINGS = [
    "Next time, budget for {a} from the start.",
    "Assign one lead for {a} and report on it weekly.",
    "Share the {a} plan with the desk and the partners early.",
    "Document {a} so the next mission does not start from zero.",
]
GENERIC = (
    "logistics staffing budget training coordination partners government donors "
    "security access timeline handover transport communications procurement"
).split()
SYLLABLES = (
    "ka ma to ri bu se lo ga di ne ya zu fa mo te li ba ko su wa he ni da ro sa gu be ki no ta"
).split()
NAMES_IN_CORPUS = 5_000


def local_names(rng: random.Random, count: int = NAMES_IN_CORPUS) -> list[str]:
    """Districts, towns, people and organisations: the long tail of words real lessons
    are full of, each rare on its own."""
    names: dict[str, None] = {}
    while len(names) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        names.setdefault(word.capitalize(), None)
    return list(names)


def zipf_pick(rng: random.Random, items: list[str]) -> str:
    """A few names are mentioned often, most rarely (a Zipf-like long tail)."""
    return items[int(len(items) * rng.random() ** 3)]


def _phrase(rng: random.Random, words: list[str]) -> str:
    return " ".join(rng.sample(words, rng.randint(1, 2)))


def lesson_rows(
    count: int, seed: int, now: datetime
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    rng = random.Random(seed)
    names = local_names(random.Random(seed + 1))
    theme_codes = list(THEMES)
    span_s = int(timedelta(days=3650).total_seconds())
    for _ in range(count):
        themes = rng.sample(theme_codes, 1 if rng.random() < 0.75 else 2)
        vocabulary = [word for theme in themes for word in THEMES[theme]] + GENERIC
        places = rng.sample(PLACES, 1 if rng.random() < 0.85 else 2)
        country_name = places[0][2]
        place = zipf_pick(rng, names)
        sentences = [
            rng.choice(OPENINGS).format(
                a=_phrase(rng, vocabulary),
                b=f"{_phrase(rng, vocabulary)} in {zipf_pick(rng, names)}",
            )
            for _ in range(rng.randint(5, 12))
        ]
        sentences.append(rng.choice(CLOSINGS).format(a=_phrase(rng, vocabulary)))
        published_at = now - timedelta(seconds=rng.randrange(span_s))
        status = rng.choices(
            ["published", "draft", "in_review", "archived"], weights=[88, 5, 3, 4]
        )[0]
        sensitivity = rng.choices(["public", "internal", "restricted"], weights=[55, 35, 10])[0]
        lesson_id = str(uuid.UUID(int=rng.getrandbits(128)))
        row: dict[str, Any] = {
            "id": lesson_id,
            "title": f"{_phrase(rng, vocabulary).capitalize()} in {place}, {country_name}: "
            f"{_phrase(rng, vocabulary)}",
            "summary": " ".join(sentences[:2]),
            "body": "## What happened\n\n"
            + " ".join(sentences[2:-1])
            + "\n\n## Recommendation\n\n"
            + sentences[-1],
            "themes": themes,
            "countries": [place[0] for place in places],
            "regions": sorted({place[1] for place in places}),
            "client_kinds": sorted({place[3] for place in places}),
            "source_kind": rng.choice(["engagement", "direct", "assessment"]),
            "source_ref": None,
            "authoring_entity": f"provider:{themes[0]}",
            "sensitivity": sensitivity,
            "status": status,
            "owner_kind": "provider",
            "owner_code": themes[0],
            "created_by": "corpus",
            "review_comment": None,
            "created_at": published_at - timedelta(days=rng.randint(1, 60)),
            "updated_at": published_at,
            "published_at": published_at if status in ("published", "archived") else None,
            "version": 3,
            "language": DEFAULT_CONTENT_LANGUAGE,
        }
        # The facet rows store.set_tags writes for a lesson, and their flattened keys.
        facets = [
            (facet, value)
            for facet, key in (
                ("theme", "themes"),
                ("country", "countries"),
                ("region", "regions"),
                ("client_kind", "client_kinds"),
            )
            for value in row[key]
        ] + [("language", row["language"])]
        row["facet_keys"] = facet_keys(facets)
        yield row, [{"lesson_id": lesson_id, "facet": f, "value": v} for f, v in facets]


Progress = Callable[[int, int, float], None]


class PrintProgress:
    """One line per tenth of the corpus, so a 100 000-lesson load shows it is moving."""

    def __init__(self) -> None:
        self.printed_tenths = 0

    def __call__(self, done: int, count: int, elapsed_s: float) -> None:
        tenths = done * 10 // max(count, 1)
        if tenths > self.printed_tenths:
            self.printed_tenths = tenths
            print(f"  {done:>7} / {count} lessons, {elapsed_s:.1f} s", file=sys.stderr, flush=True)


async def seed_corpus(
    database_url: str,
    count: int,
    seed: int = 7,
    batch: int = 2_000,
    progress: Progress | None = None,
    start: int = 0,
) -> float:
    """Insert lessons `start` to `count` of the corpus (those before `start` are already
    in: a corpus grows by its next lessons), reporting `progress` after each batch;
    returns the seconds."""
    engine = create_engine(database_url)
    started = time.monotonic()
    now = datetime(2026, 11, 1, tzinfo=UTC)
    try:
        rows = lesson_rows(count, seed, now)
        _take(rows, start)
        done = start
        while done < count:
            lessons, tags = [], []
            for row, row_tags in _take(rows, min(batch, count - done)):
                lessons.append(row)
                tags.extend(row_tags)
            async with session_factory(engine)() as session, session.begin():
                await session.execute(insert(Lesson), lessons)
                await session.execute(insert(LessonTag), tags)
            done += len(lessons)
            if progress is not None:
                progress(done, count, time.monotonic() - started)
        if engine.dialect.name == "postgresql":
            # Fresh statistics, the full-text index's pending entries merged and the
            # visibility map set after a bulk load (autovacuum would get there later).
            # Not on SQLite: its planner, given statistics, walks the tag index instead
            # of the feed index for filter-only listings, ten times slower here.
            async with engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()
    return time.monotonic() - started


def _take(
    rows: Iterator[tuple[dict[str, Any], list[dict[str, Any]]]], size: int
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    return [row for _, row in zip(range(size), rows, strict=False)]


def _parser(default_database_url: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.corpus")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--database-url", default=default_database_url)
    parser.add_argument("--seed", type=int, default=7)
    return parser


def main(argv: list[str] | None = None) -> int:
    settings = LessonsSettings()
    args = _parser(settings.resolved_database_url).parse_args(argv)
    asyncio.run(migrate(LESSONS, settings.model_copy(update={"database_url": args.database_url})))
    elapsed = asyncio.run(
        seed_corpus(args.database_url, args.count, args.seed, progress=PrintProgress())
    )
    print(f"inserted {args.count} lessons in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
