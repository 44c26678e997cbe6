"""The insights service's HTTP shapes."""
