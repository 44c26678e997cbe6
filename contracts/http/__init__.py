"""The services' HTTP shapes: what a service answers and what it accepts."""
