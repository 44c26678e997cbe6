"""HTTP routes of the notifications service: reads (queries) and changes (commands)."""
