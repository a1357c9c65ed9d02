"""Plotly figures to PNG with kaleido 1.x and Debian's chromium, one browser per process.

Kaleido 1.x drives a real Chromium through choreographer; starting it costs
seconds, so the process keeps one kaleido server (`kaleido.start_sync_server`)
and renders every chart of every report through it, one request at a time (a lock:
the sync server is not thread-safe). `BROWSER_PATH` tells choreographer which
Chromium to use; MathJax is disabled so nothing is fetched from a CDN. The figure
text uses the dashboard's font stack (Noto Sans CJK SC first), installed by Debian's
`fonts-noto-cjk`, so Chinese does not render as boxes.
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Mapping
from typing import Any

CHROMIUM = "/usr/bin/chromium"
WIDTH = 900
SCALE = 1.6
_lock = threading.Lock()


def _figure_dict(fig: Any) -> dict[str, Any]:
    """A plotly figure (dict or `go.Figure`) as a plain dict."""
    return fig.to_dict() if hasattr(fig, "to_dict") else dict(fig)


def _server() -> Any:
    import kaleido

    os.environ.setdefault("BROWSER_PATH", CHROMIUM)
    if not kaleido._global_server.is_running():  # noqa: SLF001 — no public "is running" helper
        kaleido.start_sync_server(n=1, mathjax=False, silence_warnings=True)
    return kaleido


def figure_png(fig: Any, *, width: int = WIDTH, scale: float = SCALE) -> bytes:
    """One figure as PNG bytes (height from the figure's layout, else 340 px)."""
    data = _figure_dict(fig)
    height = int((data.get("layout") or {}).get("height") or 340)
    with _lock:
        kaleido = _server()
        return kaleido.calc_fig_sync(data, opts={"format": "png", "width": width, "height": height, "scale": scale})


def figures_png(figures: Mapping[str, Any]) -> dict[str, bytes]:
    """Every figure of a mapping as PNG bytes, same keys."""
    return {key: figure_png(fig) for key, fig in figures.items()}


def data_uri(png: bytes) -> str:
    """PNG bytes as an inline `data:` URI (the HTML stays self-contained)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def shutdown() -> None:
    """Stop the kaleido browser (tests and benchmarks call this at the end)."""
    import kaleido

    with _lock:
        if kaleido._global_server.is_running():  # noqa: SLF001
            kaleido.stop_sync_server(silence_warnings=True)
