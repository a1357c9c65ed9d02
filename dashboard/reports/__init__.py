"""Annual assessment reports (PDF, Excel, self-contained HTML) and worker score sheets.

`build_report` reads one stored score run (scope-filtered as the dashboard does);
the renderers print it. See docs/reports.md.
"""

from __future__ import annotations

from dashboard.reports.html import render_html
from dashboard.reports.model import AnnualReport, ReportError, build_report
from dashboard.reports.pdf import render_pdf
from dashboard.reports.sheet import render_worker_sheet
from dashboard.reports.xlsx import render_xlsx

__all__ = ["AnnualReport", "ReportError", "build_report", "render_html", "render_pdf", "render_worker_sheet",
           "render_xlsx"]
