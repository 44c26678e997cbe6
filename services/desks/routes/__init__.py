"""HTTP routes of the desks service: intake (the one door), commands on a request,
queries, and the admin routes of the reference data."""
