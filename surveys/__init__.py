"""gridscore surveys layer."""
