"""gridscore warehouse layer."""
