"""The products service's HTTP shapes."""
