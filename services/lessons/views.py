"""Public shapes of the lessons service, as the caller's audience may see them
(shared/sharing.py): its author, HQ, or a reader (a feed's reader is its owner)."""

from __future__ import annotations

from contracts.http.lessons.responses import LessonPublic
from services.lessons.models import Lesson
from shared.auth import Principal
from shared.sharing import RecordKind, lesson_viewer, shown_to


def public(lesson: Lesson, principal: Principal) -> LessonPublic:
    viewer = lesson_viewer(principal, lesson.owner_kind, lesson.owner_code)
    return shown_to(viewer, RecordKind.lesson, LessonPublic(**lesson.model_dump()))
