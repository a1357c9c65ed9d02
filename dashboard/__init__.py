"""gridscore dashboard layer."""
