"""HTTP routes of the notifications service: reads (queries), changes (commands)
and the mail queue for admins (admin)."""
