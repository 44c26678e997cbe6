"""Public shapes of the lessons service."""

from __future__ import annotations

from contracts.http.lessons.responses import LessonPublic
from services.lessons.models import Lesson


def public(lesson: Lesson) -> LessonPublic:
    return LessonPublic(**lesson.model_dump())
