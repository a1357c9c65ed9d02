"""PDF by printing the report's HTML with headless Chromium (Playwright, Debian's chromium).

Why this way: the machine already has Chromium (kaleido needs it for the charts)
and the Noto CJK fonts; Chromium's layout engine does Chinese line breaking,
font fallback and CSS paged media (A4, `thead` repeated on every page, rows kept
whole, a fixed watermark on every page) well, and prints page numbers in its own
footer. WeasyPrint would be another engine with its own CSS gaps and native
dependencies (Pango) for the same result, and the HTML report and the PDF would
then be laid out by different engines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dashboard.reports.html import render_html
from dashboard.reports.model import AnnualReport
from dashboard.theme import FONT_FAMILY

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]
MARGINS = {"top": "16mm", "bottom": "17mm", "left": "13mm", "right": "13mm"}


def _footer(title: str) -> str:
    from html import escape

    font = escape(FONT_FAMILY, quote=True)
    style = f"font-family: {font}; font-size: 8px; color: #57606a; width: 100%; margin: 0 13mm;"
    return (f'<div style="{style}"><span>{escape(title)}</span>'
            '<span style="float: right;">第 <span class="pageNumber"></span> 页 / 共 '
            '<span class="totalPages"></span> 页</span></div>')


@contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium (Debian's) driven by Playwright; closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def html_to_pdf(html_text: str, path: str | Path, *, footer_title: str = "") -> Path:
    """Print an HTML document to an A4 PDF with page numbers in the footer."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with browser() as b:
        page = b.new_page()
        # offline: the document is self-contained; refuse anything that would go out
        page.route("**/*", lambda route: route.abort() if not route.request.url.startswith(("data:", "about:"))
                   else route.continue_())
        page.set_content(html_text, wait_until="load")
        page.emulate_media(media="print")
        page.pdf(path=str(out), format="A4", print_background=True, prefer_css_page_size=True,
                 display_header_footer=True, header_template="<div></div>", footer_template=_footer(footer_title),
                 margin=MARGINS)
        page.close()
    return out


def render_pdf(report: AnnualReport, path: str | Path, *, charts: dict[str, bytes] | None = None) -> Path:
    """The annual report as an A4 PDF (draft runs carry a DRAFT / 草稿 watermark)."""
    return html_to_pdf(render_html(report, charts=charts), path, footer_title=report.title)
