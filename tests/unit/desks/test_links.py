"""The rules of linked requests: a parent's status derived from its children, and the
links and merges a desk may not make (each refused with its own code)."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.enums import RequestStatus
from services.desks import links
from services.desks.links import LinkSide, check_child_link, check_merge, derived_parent_status
from shared.errors import DomainError

S = RequestStatus


def side(id: str = "a", **overrides: Any) -> LinkSide:
    fields: dict[str, Any] = {
        "id": id,
        "client_code": "MINUSMA",
        "desk_code": "AFRICA_II",
        "status": S.triaged,
        "parent_id": None,
    }
    return LinkSide(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("children", "parent"),
    [
        ([], None),
        ([S.submitted, S.triaged, S.routed, S.on_hold], None),
        ([S.triaged, S.in_progress], S.in_progress),
        ([S.routed, S.delivered], S.in_progress),
        ([S.delivered, S.closed], S.delivered),
        # Children that will never be done do not hold their parent back...
        ([S.delivered, S.withdrawn, S.rejected, S.merged], S.delivered),
        # ...nor move it on their own.
        ([S.withdrawn, S.merged], None),
    ],
)
def test_a_parent_is_delivered_when_its_children_are_done_in_progress_when_one_started(
    children: list[RequestStatus], parent: RequestStatus | None
) -> None:
    assert derived_parent_status(children) is parent


def refusal(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(DomainError) as refused:
        call(*args, **kwargs)
    return refused.value.code


def link(parent: LinkSide, child: LinkSide, **given: Any) -> None:
    limits: dict[str, Any] = {"parent_ancestors": [], "child_height": 1, "children": 0}
    check_child_link(parent, child, **{**limits, **given})


@pytest.mark.parametrize(
    ("parent", "child", "given", "code"),
    [
        (side("p"), side("p"), {}, "LINK_TO_ITSELF"),
        (side("p"), side("c", client_code="UNMISS"), {}, "LINK_OTHER_CLIENT"),
        # The child is the parent's grandparent: the link would close a loop.
        (side("p", parent_id="m"), side("g"), {"parent_ancestors": ["m", "g"]}, "LINK_CYCLE"),
        (side("p"), side("c", parent_id="other"), {}, "ALREADY_LINKED"),
        (side("p"), side("c", status=S.withdrawn), {}, "REQUEST_CLOSED"),
        (side("p", status=S.merged), side("c"), {}, "REQUEST_CLOSED"),
        (side("p", parent_id="m"), side("c"), {"parent_ancestors": ["m"], "child_height": 2},
         "LINK_TOO_DEEP"),
        (side("p"), side("c"), {"children": links.MAX_CHILDREN}, "LINK_LIMIT"),
    ],
)  # fmt: skip
def test_a_link_that_leaks_loops_or_goes_too_deep_is_refused(
    parent: LinkSide, child: LinkSide, given: dict[str, Any], code: str
) -> None:
    assert refusal(link, parent, child, **given) == code


def test_three_levels_link_and_a_finished_child_may_still_be_linked() -> None:
    link(side("p", parent_id="m"), side("c", status=S.delivered), parent_ancestors=["m"])


@pytest.mark.parametrize(
    ("duplicate", "survivor", "flagged", "children", "code"),
    [
        (side("a"), side("a"), True, 0, "MERGE_INTO_ITSELF"),
        (side("a"), side("b", status=S.closed), True, 0, "REQUEST_CLOSED"),
        (side("a"), side("b", status=S.merged), True, 0, "REQUEST_CLOSED"),
        (side("a"), side("b", desk_code="AFRICA_I"), True, 0, "MERGE_ACROSS_DESKS"),
        (side("a"), side("b"), False, 0, "MERGE_NOT_OVERLAPPING"),
        (side("a"), side("b"), True, 2, "MERGE_HAS_CHILDREN"),
    ],
)
def test_a_merge_the_desk_cannot_make_is_refused(
    duplicate: LinkSide, survivor: LinkSide, flagged: bool, children: int, code: str
) -> None:
    given = {"flagged": flagged, "duplicate_children": children}
    assert refusal(check_merge, duplicate, survivor, **given) == code


def test_a_duplicate_of_another_client_is_merged_into_an_open_request_of_the_desk() -> None:
    check_merge(side("a"), side("b", client_code="UNMISS"), flagged=True, duplicate_children=0)
    assert "yours" not in links.merge_reason(same_client=False)
