"""HTTP routes of the products service: provider officers' commands on an engagement,
queries (engagements, catalog, roster, figures) and the admin routes that keep the
catalog and the expert roster."""
