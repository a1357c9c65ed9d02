"""The reports stack (Playwright, pikepdf) is an extra: everything imports without it,
and printing fails with an error naming the extra.

The missing modules are simulated with `sys.modules[name] = None`, which makes Python's
own import machinery raise ImportError for them, in a fresh interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

WITHOUT_EXTRA = r"""
import sys
for name in ("playwright", "playwright.async_api", "playwright.sync_api", "pikepdf"):
    sys.modules[name] = None

import dashboard.cli, dashboard.reports.charts, dashboard.reports.pdf, dashboard.reports.sheet
import dashboard.reports.web
from dashboard.app import create_app
from dashboard.reports import browser, pdf
from dashboard.settings import Settings

app = create_app(Settings.from_env(db_path=":memory:"))
print("chromium", browser.chromium_path())
for label, call in (("submit", lambda: browser.submit(lambda b: None)),
                    ("join", lambda: pdf.html_to_pdf(["<p>a</p>", "<p>b</p>"], "/tmp/never.pdf"))):
    try:
        call()
    except browser.ReportsExtraMissing as exc:
        print(label, exc.module, "|", exc)
    else:
        print(label, "no error")
"""


@pytest.mark.slow
def test_everything_imports_without_the_reports_extra_and_printing_names_it() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRIDSCORE_CHROMIUM": "/opt/custom/chromium"}
    proc = subprocess.run([sys.executable, "-c", WITHOUT_EXTRA], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines())
    assert lines["chromium"] == "/opt/custom/chromium"  # Settings.chromium_path reached the browser
    assert lines["submit"].startswith("playwright |")
    assert lines["join"].startswith("pikepdf |")
    for label in ("submit", "join"):
        assert "gridscore[reports]" in lines[label] and "reports 扩展" in lines[label]
    assert "Traceback" not in proc.stderr
