"""Public shapes of joint assessments, built per page in batches, as the caller's
audience may see them (shared/sharing.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from contracts.http.partnerships.responses import AssessmentPublic
from services.partnerships.models import JointAssessment
from services.partnerships.store import assessment_public, partners_of, tasks_of
from shared.auth import Principal
from shared.db import AsyncSession
from shared.sharing import RecordKind, Viewer, shown_to, viewer_of


async def _public(
    session: AsyncSession, assessments: Sequence[JointAssessment], principal: Principal
) -> list[AssessmentPublic]:
    ids = [assessment.id for assessment in assessments]
    partners = await partners_of(session, ids)
    tasks = await tasks_of(session, ids)
    viewer = viewer_of(principal)
    return [
        shown(viewer, assessment_public(assessment, partners[assessment.id], tasks[assessment.id]))
        for assessment in assessments
    ]


def shown(viewer: Viewer, assessment: AssessmentPublic) -> AssessmentPublic:
    return shown_to(viewer, RecordKind.assessment, assessment)


async def _one(
    session: AsyncSession, assessment: JointAssessment, principal: Principal
) -> AssessmentPublic:
    await session.flush()
    return (await _public(session, [assessment], principal))[0]


def presenter(
    principal: Principal,
) -> Callable[[AsyncSession, JointAssessment], Awaitable[AssessmentPublic]]:
    """What a command answers its caller with (a partner answering its task included)."""

    async def present(session: AsyncSession, assessment: JointAssessment) -> AssessmentPublic:
        return (await _public(session, [assessment], principal))[0]

    return present
