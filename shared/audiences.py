"""Who a notification is for: audiences, and the audiences a caller belongs to.

A notification is addressed to one audience, named from what the services' tenancy
already decides: every person of a client sees its requests (`client:MINUSMA`), a
desk officer is one person of a desk (`desk:AFRICA_II:amina`) and of the whole desk
(`desk:AFRICA_II`), a provider serves products (`product:RULE_OF_LAW`), a partner is
an organisation (`partner:AU`). A caller's token says which audiences they belong
to, so the notifications service and the gateway's live feed decide the same way,
and nobody is told of what their token would not let them read.
"""

from __future__ import annotations

from shared.auth import Principal, Role


def client_audience(client_code: str) -> str:
    return f"client:{client_code}"


def desk_audience(desk_code: str, subject: str | None = None) -> str:
    """The whole desk, or one person of it (a request's owner, the desk chief)."""
    return f"desk:{desk_code}:{subject}" if subject else f"desk:{desk_code}"


def desk_chief_audience(desk_code: str) -> str:
    """Whom the desks service escalates a breach to by default (`sla_escalate_to`); who
    the chief is, the notifications service knows (ONEDOOR_DESK_CHIEFS)."""
    return f"desk_chief:{desk_code}"


def product_audience(product_code: str) -> str:
    return f"product:{product_code}"


def partner_audience(partner_code: str) -> str:
    return f"partner:{partner_code}"


def person_audience(actor: str) -> str:
    """One person, whatever their role: what they follow is told to them alone."""
    return f"person:{actor}"


def audiences_of(principal: Principal) -> frozenset[str]:
    """Every audience the caller belongs to: themselves, and their tenant's."""
    return _tenant_audiences(principal) | {person_audience(principal.actor)}


def _tenant_audiences(principal: Principal) -> frozenset[str]:
    if principal.role is Role.client and principal.client:
        return frozenset({client_audience(principal.client)})
    if principal.role is Role.desk_officer and principal.desk:
        return frozenset(
            {desk_audience(principal.desk), desk_audience(principal.desk, principal.subject)}
        )
    if principal.role is Role.provider:
        return frozenset(product_audience(code) for code in principal.products)
    if principal.role is Role.partner and principal.partner:
        return frozenset({partner_audience(principal.partner)})
    return frozenset()


def may_concern(principal: Principal, audience: str) -> bool:
    """Whether a notification to `audience` may be the caller's (the gateway's cheap
    check before it asks the notifications service, which decides)."""
    if audience in audiences_of(principal):
        return True
    return principal.role is Role.desk_officer and audience == desk_chief_audience(
        principal.desk or ""
    )
