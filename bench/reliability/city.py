"""The small synthetic city the full runs start from (built once, cached under /tmp)."""

from __future__ import annotations

import os
from pathlib import Path


def city_file() -> Path:
    """Path of a built small city (the tests' `build_city`), cached in GRIDSCORE_REL_CACHE or /tmp."""
    from tests.conftest import build_city

    path = Path(os.environ.get("GRIDSCORE_REL_CACHE", "/tmp/gridscore-rel-city.duckdb"))
    if not path.exists():
        partial = path.with_suffix(".building")
        partial.unlink(missing_ok=True)
        build_city(partial)
        partial.rename(path)
    return path
