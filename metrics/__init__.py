"""gridscore metrics layer."""
