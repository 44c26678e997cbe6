"""The desks service's HTTP shapes."""
