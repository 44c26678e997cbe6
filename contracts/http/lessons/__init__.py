"""The lessons service's HTTP shapes."""
