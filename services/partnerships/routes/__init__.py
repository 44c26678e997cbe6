"""HTTP routes of the partnerships service: commands on joint assessments, their
queries, and the admin routes (partners, frameworks, webhook deliveries)."""
