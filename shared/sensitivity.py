"""Which lessons' sensitivities a role may read: the one rule for the lessons
service's queries, search, suggestions and feeds, and for the notifications service's
notices to followers, which must never tell of a lesson its reader could not open."""

from __future__ import annotations

from contracts.enums import Sensitivity
from shared.auth import HQ_ROLES, Role


def visible_sensitivities(role: Role) -> frozenset[Sensitivity]:
    """Restricted lessons reach HQ roles only; partners see public lessons only."""
    if role in HQ_ROLES:
        return frozenset(Sensitivity)
    if role is Role.partner:
        return frozenset({Sensitivity.public})
    return frozenset({Sensitivity.public, Sensitivity.internal})
