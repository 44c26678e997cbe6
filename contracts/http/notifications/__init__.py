"""The notifications service's HTTP shapes."""
