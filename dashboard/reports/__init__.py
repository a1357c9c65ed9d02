"""Annual assessment reports (PDF, Excel, self-contained HTML) and worker score sheets.

`build_report` reads one stored score run (scope-filtered as the dashboard does);
the renderers print it. See docs/reports.md. Names are imported lazily: the pages
import `dashboard.reports.web` for their export buttons, and the report model
imports the pages' figure functions, so an eager import here would be circular.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "AnnualReport": "dashboard.reports.model",
    "ReportError": "dashboard.reports.model",
    "build_report": "dashboard.reports.model",
    "render_html": "dashboard.reports.html",
    "render_pdf": "dashboard.reports.pdf",
    "render_xlsx": "dashboard.reports.xlsx",
    "render_worker_sheet": "dashboard.reports.sheet",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'dashboard.reports' has no attribute {name!r}")
