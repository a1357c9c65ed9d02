"""The surveys layer's exception root."""

from __future__ import annotations


class SurveyError(Exception):
    """Root of survey errors; the message is written for the user (one line)."""
