"""The insights service's HTTP routes: the views (queries) and their CSV exports."""
