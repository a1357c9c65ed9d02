"""The supervisors' pages, one module each; `PAGES` is the order of the navigation."""

from __future__ import annotations

from dashboard.pages import finalise, overview, rankings, scheme, surveys, unit, vetoes, worker

PAGES = (overview, rankings, worker, unit, vetoes, surveys, scheme, finalise)
