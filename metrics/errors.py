"""The metrics layer's exception root."""

from __future__ import annotations


class ScoringError(Exception):
    """Root of scoring errors; the message is written for the user (one line)."""
