"""Plotly figures to SVG with plotly.js in the report browser's Chromium, one warm page per process.

The charts are the dashboard's own figure dicts, drawn by the plotly.js that ships
with the plotly package (`plotly/package_data/plotly.min.js`, so nothing is fetched)
in a page of the process's report browser (`browser.py`, Debian's Chromium) and
exported with `Plotly.toImage(..., {format: "svg"})`. Loading plotly.js costs
about 3 CPU-seconds, so the page is loaded once and reused by every report (kaleido,
used before, reloaded its page for every figure and ran a second Chromium). SVG
keeps the charts vector in the PDF and small in the HTML; the figure text uses the
dashboard's font stack (Noto Sans CJK SC first, Debian's `fonts-noto-cjk`), which
the SVG names and Chromium (or any browser opening the HTML) finds locally.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dashboard.reports import browser

WIDTH = 900
_PAGE = "cache:charts"
_JS = """async (figures) => {
  const out = {};
  for (const [key, fig] of Object.entries(JSON.parse(figures))) {
    const layout = fig.layout || {};
    const url = await Plotly.toImage({data: fig.data || [], layout: layout, config: {}},
                                     {format: 'svg', width: WIDTH, height: layout.height || 340});
    out[key] = decodeURIComponent(url.slice(url.indexOf(',') + 1));
  }
  return out;
}""".replace("WIDTH", str(WIDTH))


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


async def _chart_page(b: Any) -> tuple[Any, asyncio.Lock]:
    """The warm page with plotly.js loaded (one per browser), and the lock that serialises its use."""
    cache = browser.cache()
    lock = cache.setdefault(_PAGE + "-lock", asyncio.Lock())  # on the browser's loop: no race here
    async with lock:
        if _PAGE not in cache:
            page = await b.new_page()
            await page.route("**/*", lambda route: route.abort()
                             if not route.request.url.startswith(("data:", "about:")) else route.continue_())
            await page.set_content("<!doctype html><html><head><meta charset='utf-8'></head><body></body></html>")
            await page.add_script_tag(path=str(_plotly_js()))
            cache[_PAGE] = page
    return cache[_PAGE], lock


def _figure_dict(fig: Any) -> dict[str, Any]:
    """A plotly figure (dict or `go.Figure`) as a plain dict."""
    return fig.to_dict() if hasattr(fig, "to_dict") else dict(fig)


def chart_images(figures: Mapping[str, Any]) -> dict[str, bytes]:
    """Every figure of a mapping as SVG bytes, same keys."""
    if not figures:
        return {}
    import plotly.io as pio

    payload = pio.to_json({k: _figure_dict(f) for k, f in figures.items()}, validate=False)

    async def render(b: Any) -> dict[str, str]:
        page, lock = await _chart_page(b)
        async with lock:
            return await page.evaluate(_JS, payload)

    return {k: v.encode("utf-8") for k, v in browser.call(render).items()}


def prepare() -> None:
    """Start the browser and load plotly.js in the background, e.g. while the report is read."""

    async def load(b: Any) -> None:
        await _chart_page(b)

    browser.submit(load)


def data_uri(image: bytes) -> str:
    """SVG or PNG bytes as an inline base64 `data:` URI (the HTML stays self-contained)."""
    kind = "png" if image.startswith(b"\x89PNG") else "svg+xml"
    return f"data:image/{kind};base64," + base64.b64encode(image).decode("ascii")


def shutdown() -> None:
    """Close the report browser (tests, benchmarks and the CLI call this at the end)."""
    browser.shutdown()
