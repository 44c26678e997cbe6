"""HTTP routes of the products service, one module per part: the catalog, reading
engagements (and the provider's queue), provider officers' actions, the expert roster
and the provider's figures."""

from services.products.api import actions, catalog, engagements, figures, roster

routers = [catalog.router, engagements.router, actions.router, roster.router, figures.router]
