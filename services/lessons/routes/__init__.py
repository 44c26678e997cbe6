"""HTTP routes of the lessons service: commands (the workflow), queries (reads, search,
suggestions) and feeds (saved filters and their feeds)."""
