"""The seeded catalog (five products with realistic request forms) and expert roster.

Seeding is idempotent: a product is written (and a `ProductCataloged` event
published through the outbox) only when it is new or its definition here changed,
and never over an admin's edit (once an admin edited a product, the catalog admin
owns it). Experts are added when missing; their availability is not touched again.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts.events import ProductCataloged
from services.products.domain import UN_LANGUAGES
from services.products.models import SEED_EDITOR, Expert, ExpertAvailability, Product
from shared.clock import Clock
from shared.db import AsyncSession
from shared.messaging import Publisher


def _form(title: str, required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


CATALOG: list[dict[str, Any]] = [
    {
        "code": "ELECTORAL_ASSISTANCE",
        "name": "Electoral assistance",
        "provider_unit": "Electoral Assistance Division",
        "description": "Needs assessments, technical advice and support to electoral management bodies.",
        "capacity": 12,
        "sla_targets": {"acknowledge": 2, "plan": 14, "deploy": 45},
        "request_form": _form(
            "Electoral assistance request",
            ["election_type", "election_date"],
            {
                "election_type": {
                    "enum": ["presidential", "legislative", "local", "referendum", "general"]
                },
                # `format` alone is advisory in JSON Schema; the pattern makes validators check it.
                "election_date": {
                    "type": "string",
                    "format": "date",
                    "pattern": r"^\d{4}-\d{2}-\d{2}$",
                },
                "electoral_body": {"type": "string", "maxLength": 200},
                "support_needed": {
                    "type": "array",
                    "items": {
                        "enum": [
                            "needs_assessment",
                            "voter_registration",
                            "logistics",
                            "observation",
                            "dispute_resolution",
                        ]
                    },
                    "uniqueItems": True,
                },
            },
        ),
    },
    {
        "code": "RULE_OF_LAW",
        "name": "Rule of law support",
        "provider_unit": "Office of Rule of Law and Security Institutions",
        "description": "Justice, corrections and police advisory capacity, deployable as a standing team.",
        "capacity": 10,
        "sla_targets": {"acknowledge": 2, "plan": 21, "deploy": 60},
        "request_form": _form(
            "Rule of law request",
            ["sector"],
            {
                "sector": {
                    "enum": [
                        "justice",
                        "corrections",
                        "police",
                        "security_sector_reform",
                        "disarmament",
                    ]
                },
                "institutions": {"type": "array", "items": {"type": "string", "maxLength": 200}},
                "duration_weeks": {"type": "integer", "minimum": 1, "maximum": 104},
            },
        ),
    },
    {
        "code": "MEDIATION_SUPPORT",
        "name": "Mediation support",
        "provider_unit": "Mediation Support Unit",
        "description": "Mediation experts on standby, process design and support to envoys.",
        "capacity": 8,
        "sla_targets": {"acknowledge": 1, "plan": 7, "deploy": 14},
        "request_form": _form(
            "Mediation support request",
            ["parties", "confidentiality"],
            {
                "parties": {
                    "type": "array",
                    "items": {"type": "string", "maxLength": 200},
                    "minItems": 2,
                },
                "urgency_reason": {"type": "string", "maxLength": 2000},
                "confidentiality": {"enum": ["public", "confidential", "strictly_confidential"]},
                "languages": {
                    "type": "array",
                    "items": {"enum": list(UN_LANGUAGES)},
                    "uniqueItems": True,
                },
            },
        ),
    },
    {
        "code": "POLITICAL_ANALYSIS",
        "name": "Political analysis",
        "provider_unit": "Policy and Mediation Division, Analysis Team",
        "description": "Conflict and political economy analysis, scenario planning and briefings.",
        "capacity": 15,
        "sla_targets": {"acknowledge": 2, "plan": 7, "deploy": 21},
        "request_form": _form(
            "Political analysis request",
            ["question"],
            {
                "question": {"type": "string", "minLength": 10, "maxLength": 2000},
                "horizon_months": {"type": "integer", "minimum": 1, "maximum": 36},
                "format": {
                    "enum": [
                        "briefing_note",
                        "scenario_paper",
                        "conflict_analysis",
                        "oral_briefing",
                    ]
                },
            },
        ),
    },
    {
        "code": "HUMAN_RIGHTS",
        "name": "Human rights support",
        "provider_unit": "Office of the High Commissioner for Human Rights, Field Operations",
        "description": "Monitoring, investigation and capacity building for national human rights institutions.",
        "capacity": 10,
        "sla_targets": {"acknowledge": 2, "plan": 14, "deploy": 30},
        "request_form": _form(
            "Human rights support request",
            ["focus"],
            {
                "focus": {
                    "enum": [
                        "monitoring",
                        "investigation",
                        "capacity_building",
                        "transitional_justice",
                    ]
                },
                "sensitive": {"type": "boolean"},
                "affected_groups": {"type": "array", "items": {"type": "string", "maxLength": 200}},
            },
        ),
    },
]

_DEFINITION_FIELDS = (
    "name",
    "provider_unit",
    "description",
    "request_form",
    "capacity",
    "sla_targets",
)

# A realistic handful of the standby roster: (id, name, skills, languages, windows).
ROSTER: list[tuple[str, str, list[str], list[str], list[tuple[date, date]]]] = [
    (
        "EXP-ELEC-01",
        "Aminata Diallo",
        ["electoral_management", "voter_registration"],
        ["fr", "en"],
        [(date(2026, 1, 1), date(2030, 12, 31))],
    ),
    (
        "EXP-ELEC-02",
        "Jorge Medina",
        ["electoral_logistics", "observation"],
        ["es", "en"],
        [(date(2026, 1, 1), date(2026, 6, 30)), (date(2026, 9, 1), date(2030, 12, 31))],
    ),
    (
        "EXP-MED-01",
        "Leila Haddad",
        ["process_design", "ceasefire_arrangements"],
        ["ar", "fr", "en"],
        [(date(2026, 1, 1), date(2030, 12, 31))],
    ),
    (
        "EXP-MED-02",
        "Chen Wei",
        ["constitution_making", "power_sharing"],
        ["zh", "en"],
        [(date(2026, 1, 1), date(2030, 12, 31))],
    ),
    (
        "EXP-ROL-01",
        "Olga Petrova",
        ["corrections", "justice"],
        ["ru", "en"],
        [(date(2026, 1, 1), date(2030, 12, 31))],
    ),
    (
        "EXP-HR-01",
        "Samuel Okafor",
        ["investigation", "transitional_justice"],
        ["en", "fr"],
        [(date(2026, 1, 1), date(2030, 12, 31))],
    ),
    (
        "EXP-PA-01",
        "Ines Ferreira",
        ["conflict_analysis", "political_economy"],
        ["es", "fr", "en"],
        [(date(2026, 1, 1), date(2030, 12, 31))],
    ),
]


def cataloged(product: Product) -> ProductCataloged:
    return ProductCataloged(
        code=product.code,
        name=product.name,
        provider_unit=product.provider_unit,
        description=product.description,
        request_form=product.request_form,
        capacity=product.capacity,
        active=product.active,
        revision=product.revision,
        sla_targets=product.sla_targets,
    )


async def seed_catalog(session: AsyncSession, publisher: Publisher, _clock: Clock) -> None:
    for definition in CATALOG:
        product = await session.get(Product, definition["code"])
        if product is None:
            product = Product(**definition)
        elif product.updated_by != SEED_EDITOR or all(
            getattr(product, name) == definition[name] for name in _DEFINITION_FIELDS
        ):
            continue
        else:
            for name in _DEFINITION_FIELDS:
                setattr(product, name, definition[name])
            product.revision += 1
        session.add(product)
        publisher.publish(cataloged(product))
    await seed_roster(session)


async def seed_roster(session: AsyncSession) -> None:
    for expert_id, name, skills, languages, windows in ROSTER:
        if await session.get(Expert, expert_id) is not None:
            continue
        session.add(Expert(id=expert_id, name=name, skills=skills, languages=languages))
        await session.flush()
        for starts_on, ends_on in windows:
            session.add(
                ExpertAvailability(expert_id=expert_id, starts_on=starts_on, ends_on=ends_on)
            )
