"""One headless Chromium per process, kept warm, for printing PDFs and rendering charts.

Launching Chromium and loading plotly.js into a page cost seconds of CPU; a
dashboard exports many reports, so the process keeps one browser (Debian's
`/usr/bin/chromium`, driven by Playwright's async API) on an event loop in a
daemon thread and every report borrows it: `call(fn)` runs `await fn(browser)`
on that loop and returns the result to the calling (sync) thread. Each print job
opens its own browser context, so concurrent jobs do not share pages. The browser
is relaunched if it has died, and closed by `shutdown()` (also at exit).

Playwright and pikepdf come with the `reports` extra; without it everything imports
and only printing fails, with `ReportsExtraMissing` naming the extra. The Chromium
binary is `Settings.chromium_path` (set by `configure`).
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from dashboard.settings import CHROMIUM_DEFAULT

EXTRA_HINT = "pip install 'gridscore[reports]'"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]
T = TypeVar("T")

_lock = threading.Lock()
_state: dict[str, Any] = {}  # loop, thread, playwright, browser, plus per-browser caches (see `cache`)
_chromium = {"path": CHROMIUM_DEFAULT}


class ReportsExtraMissing(RuntimeError):
    """PDF printing / chart rendering asked for without the `reports` extra installed."""

    def __init__(self, module: str) -> None:
        self.module = module
        super().__init__(f"报表打印需要安装 reports 扩展（缺少 {module}）：{EXTRA_HINT} / "
                         f"printing reports needs the 'reports' extra (missing {module}): {EXTRA_HINT}")


def require_playwright() -> None:
    """Raise `ReportsExtraMissing` unless Playwright can be imported."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError as exc:
        raise ReportsExtraMissing("playwright") from exc


def configure(chromium_path: str) -> None:
    """Use this Chromium binary from the next launch on (`Settings.chromium_path`)."""
    _chromium["path"] = chromium_path


def chromium_path() -> str:
    """The Chromium binary the next launch uses."""
    return _chromium["path"]


def _loop() -> asyncio.AbstractEventLoop:
    with _lock:
        if "loop" not in _state:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="report-browser", daemon=True)
            thread.start()
            _state.update(loop=loop, thread=thread)
        return _state["loop"]


async def _browser() -> Any:
    """The live browser (launched on first use or after a crash); runs on the service loop."""
    browser = _state.get("browser")
    if browser is not None and browser.is_connected():
        return browser
    from playwright.async_api import async_playwright

    if "playwright" not in _state:
        _state["playwright"] = await async_playwright().start()
    for key in [k for k in _state if k.startswith("cache:")]:
        del _state[key]  # pages of a dead browser
    browser = await _state["playwright"].chromium.launch(executable_path=_chromium["path"],
                                                         args=CHROMIUM_ARGS, headless=True)
    _state["browser"] = browser
    return browser


def cache() -> dict[str, Any]:
    """Per-browser objects (e.g. the chart page), dropped when the browser is relaunched."""
    return _state


def submit(fn: Callable[[Any], Awaitable[T]]) -> Future[T]:
    """Schedule `await fn(browser)` on the browser's loop; returns at once.

    Raises `ReportsExtraMissing` here, in the caller's thread, without the extra."""
    require_playwright()
    loop = _loop()

    async def job() -> T:
        return await fn(await _browser())

    return asyncio.run_coroutine_threadsafe(job(), loop)


def call(fn: Callable[[Any], Awaitable[T]]) -> T:
    """Run `await fn(browser)` on the browser's loop and wait for its result."""
    if threading.current_thread() is _state.get("thread"):
        raise RuntimeError("browser.call() from the browser's own loop would deadlock")
    return submit(fn).result()


def shutdown() -> None:
    """Close the browser and Playwright and stop the loop (a later `call` starts them again)."""
    with _lock:
        loop = _state.get("loop")
        if loop is None:
            return

    async def close() -> None:
        browser = _state.pop("browser", None)
        if browser is not None and browser.is_connected():
            await browser.close()
        playwright = _state.pop("playwright", None)
        if playwright is not None:
            await playwright.stop()

    try:
        asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        _state["thread"].join(timeout=10)
        loop.close()
        with _lock:
            _state.clear()


atexit.register(shutdown)
