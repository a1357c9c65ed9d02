"""PDF by printing the report's HTML with headless Chromium (Playwright, Debian's chromium).

Why this way: the machine already has Chromium (the charts are drawn by plotly.js
in it) and the Noto CJK fonts; Chromium's layout engine does Chinese line breaking,
font fallback and CSS paged media (A4, `thead` repeated on every page, rows kept
whole, a fixed watermark on every page) well, and prints page numbers in its own
footer. WeasyPrint would be another engine with its own CSS gaps and native
dependencies (Pango) for the same result, and the HTML report and the PDF would
then be laid out by different engines.

Speed: Chromium lays out and prints one document on one core, and a city-wide
report is ~200 table-heavy pages. A large report is therefore cut at block
boundaries (`html.Parts`: cover and summary, the street table, each street, each
later chapter) into one part per core, the parts are printed at the same time in
separate browser contexts (separate renderer processes), joined with pikepdf, and
the page footers ("第 n 页 / 共 N 页") are printed once for the joined page count
and laid over the pages, so numbering runs through the whole document. The page
is never laid out for the screen (`_print_only`). The browser is the process's warm
one (`browser.py`): a dashboard pays Chromium's start once, not per export.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from dashboard.reports import browser
from dashboard.reports.html import Parts, render_parts
from dashboard.reports.model import AnnualReport
from dashboard.theme import FONT_FAMILY

MARGINS = {"top": "16mm", "bottom": "17mm", "left": "13mm", "right": "13mm"}
MAX_JOBS = 4
PART_MIN_CELLS = 8_000  # a part smaller than this (~15 pages) is not worth a renderer of its own
BLOCK_CELLS = 200  # a block's headings, charts and page breaks, counted as this many cells


def _footer(title: str) -> str:
    font = escape(FONT_FAMILY, quote=True)
    style = f"font-family: {font}; font-size: 8px; color: #57606a; width: 100%; margin: 0 13mm;"
    return (f'<div style="{style}"><span>{escape(title)}</span>'
            '<span style="float: right;">第 <span class="pageNumber"></span> 页 / 共 '
            '<span class="totalPages"></span> 页</span></div>')


def _blank_pages(n: int) -> str:
    """n empty A4 pages (printed with the report's margins and footer: the footer layer of a joined PDF)."""
    return ("<!doctype html><html><head><meta charset='utf-8'><style>@page { size: A4; } "
            "body { margin: 0; } div + div { break-before: page; }</style></head><body>"
            + "<div>&nbsp;</div>" * n + "</body></html>")


def _print_only(html_text: str) -> str:
    """The document with nothing shown on screen: Chromium then lays it out once, for print.

    Printing lays the document out again at the page size anyway (print media, the
    @page rules); hiding the body on screen saves the first, unused screen layout
    (about a sixth of the CPU of a table-heavy report).
    """
    rule = "<style>@media screen { body > * { display: none !important; } }</style>"
    head_end = html_text.find("</head>")
    return html_text[:head_end] + rule + html_text[head_end:] if head_end >= 0 else rule + html_text


async def _print(browser: Any, html_text: str, path: Path, footer: str | None) -> None:
    """Print one document in its own browser context (its own renderer process)."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        # offline: the document is self-contained; refuse anything that would go out
        await page.route("**/*", lambda route: route.abort()
                         if not route.request.url.startswith(("data:", "about:")) else route.continue_())
        await page.set_content(_print_only(html_text), wait_until="load")
        await page.pdf(path=str(path), format="A4", print_background=True, prefer_css_page_size=True,
                       display_header_footer=footer is not None, header_template="<div></div>",
                       footer_template=footer or "<div></div>", margin=MARGINS)
    finally:
        await context.close()


async def _print_all(browser: Any, docs: Sequence[str], out: Path, footer_title: str) -> None:
    footer = _footer(footer_title)
    if len(docs) == 1:
        await _print(browser, docs[0], out, footer)
        return
    with tempfile.TemporaryDirectory(prefix="gridscore-pdf-") as tmp:
        parts = [Path(tmp) / f"part-{i:02d}.pdf" for i in range(len(docs))]
        await asyncio.gather(*(_print(browser, d, f, None) for d, f in zip(docs, parts, strict=True)))
        footers = Path(tmp) / "footers.pdf"
        await _print(browser, _blank_pages(sum(_pages(p) for p in parts)), footers, footer)
        _join(parts, footers, out)


def _join(parts: Sequence[Path], footers: Path, out: Path) -> None:
    """Concatenate the part PDFs into `out` with page i of `footers` laid over page i (title from part 1)."""
    pikepdf = _pikepdf()

    sources = [pikepdf.open(p) for p in parts]
    try:
        with pikepdf.open(footers) as layer, pikepdf.new() as joined:
            for src in sources:
                joined.pages.extend(src.pages)
            if len(layer.pages) != len(joined.pages):
                raise RuntimeError(f"footer layer has {len(layer.pages)} pages for {len(joined.pages)}")
            for page, over in zip(joined.pages, layer.pages, strict=True):
                page.add_overlay(over)
            title = sources[0].docinfo.get("/Title")
            if title is not None:
                joined.docinfo["/Title"] = title
            joined.save(out)
    finally:
        for src in sources:
            src.close()


def _pikepdf() -> Any:
    """The pikepdf module, or `ReportsExtraMissing` naming the extra."""
    try:
        import pikepdf
    except ImportError as exc:
        raise browser.ReportsExtraMissing("pikepdf") from exc
    return pikepdf


def _pages(path: Path) -> int:
    pikepdf = _pikepdf()

    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def split(parts: Parts, jobs: int, *, min_cells: int = PART_MIN_CELLS) -> list[str]:
    """Cut the blocks into at most `jobs` contiguous documents with about equal numbers of table cells."""
    sizes = [b.count("<td") + BLOCK_CELLS for b in parts.blocks]
    total = sum(sizes)
    n = max(1, min(jobs, len(sizes), total // max(1, min_cells)))
    cuts, acc = [0], 0
    for i, size in enumerate(sizes):
        if len(cuts) < n and acc + size / 2 > total * len(cuts) / n and i > cuts[-1]:
            cuts.append(i)
        acc += size
    cuts.append(len(sizes))
    return [parts.document(a, b) for a, b in zip(cuts, cuts[1:], strict=False)]


def default_jobs() -> int:
    """Parts printed at once: the usable CPUs, at most `MAX_JOBS`.

    Measured on the shared 2-CPU machine, two parts beat one print job in wall time
    in most trials, by ~40 % when a CPU was idle, for ~3 CPU-s more (docs/performance.md).
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_JOBS, cpus))


def html_to_pdf(html_text: str | Sequence[str], path: str | Path, *, footer_title: str = "") -> Path:
    """Print an HTML document (or consecutive documents, in parallel) to one A4 PDF with page numbers."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    docs = [html_text] if isinstance(html_text, str) else list(html_text)
    if len(docs) > 1:
        _pikepdf()  # fail before printing, not after
    browser.call(lambda b: _print_all(b, docs, out, footer_title))
    return out


def render_pdf(report: AnnualReport, path: str | Path, *, charts: dict[str, bytes] | None = None,
               jobs: int | None = None) -> Path:
    """The annual report as an A4 PDF (draft runs carry a DRAFT / 草稿 watermark).

    Args:
        jobs: parts printed in parallel (default `default_jobs()`: the usable CPUs, at
            most 4); 1 prints the document in one piece.
    """
    parts = render_parts(report, charts=charts)
    return html_to_pdf(split(parts, jobs or default_jobs()), path, footer_title=report.title)
