"""The committed GraphQL SDL: generated from the gateway's code, and a change that would
break an existing client (the portal's generated types among them) is refused."""

from __future__ import annotations

from graphql import build_schema

from gateway.sdl import SDL_PATH, breaking_changes, current_sdl


def test_committed_sdl_is_what_the_code_generates() -> None:
    assert SDL_PATH.read_text() == current_sdl()


def test_removing_a_field_or_requiring_an_argument_is_breaking() -> None:
    committed = build_schema(SDL_PATH.read_text())
    without_title = build_schema(
        SDL_PATH.read_text().replace(
            "type ServiceRequest {\n  id: ID!\n  title: String!\n",
            "type ServiceRequest {\n  id: ID!\n",
            1,
        )
    )
    assert any(
        "ServiceRequest.title" in change for change in breaking_changes(committed, without_title)
    )
    required_argument = build_schema(
        SDL_PATH.read_text().replace("request(id: ID!)", "request(id: ID!, why: String!)", 1)
    )
    assert any("why" in change for change in breaking_changes(committed, required_argument))


def test_adding_an_optional_field_is_not_breaking() -> None:
    committed = build_schema(SDL_PATH.read_text())
    extended = build_schema(
        SDL_PATH.read_text().replace(
            "type ServiceRequest {\n", "type ServiceRequest {\n  nickname: String\n", 1
        )
    )
    assert breaking_changes(committed, extended) == []
