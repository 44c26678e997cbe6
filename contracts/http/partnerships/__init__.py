"""The partnerships service's HTTP shapes."""
