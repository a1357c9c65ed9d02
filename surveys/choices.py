"""The satisfaction estimators and estimands a scheme may name (kept free of heavy imports,
so parsing a scheme does not load the estimators; `surveys.scored` implements them)."""

from __future__ import annotations

ESTIMATORS: tuple[str, ...] = ("direct", "shrinkage", "fay_herriot")
ESTIMANDS: tuple[str, ...] = ("population", "mix_adjusted")
