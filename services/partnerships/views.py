"""Public shapes of joint assessments, built per page in batches."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.http.partnerships.responses import AssessmentPublic, TaskPublic
from services.partnerships.models import JointAssessment
from services.partnerships.store import partners_of, tasks_of
from shared.db import AsyncSession


async def _public(
    session: AsyncSession, assessments: Sequence[JointAssessment]
) -> list[AssessmentPublic]:
    ids = [assessment.id for assessment in assessments]
    partners = await partners_of(session, ids)
    tasks = await tasks_of(session, ids)
    return [
        AssessmentPublic(
            **assessment.model_dump(),
            partners=partners[assessment.id],
            tasks=[TaskPublic(**task.model_dump()) for task in tasks[assessment.id]],
        )
        for assessment in assessments
    ]


async def _one(session: AsyncSession, assessment: JointAssessment) -> AssessmentPublic:
    await session.flush()
    return (await _public(session, [assessment]))[0]
